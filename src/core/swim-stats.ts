/* The node's monotonic protocol counters (probes, acks, suspicions, …), read by metrics. */

/** Monotonic counters, for metrics. */
export interface SwimStats {
  /** Probes started (direct pings to a probe target), suspect probes included. */
  probes: number;
  /** Extra probes of members someone else suspected (config.suspectProbes). */
  suspectProbes: number;
  /** Suspicion timeouts and probe deadlines deferred because they fired late (config.lateTimerGraceMs). */
  lateTimers: number;
  /** Probes that ended without any ack (the target was then suspected). */
  probeFailures: number;
  /** Acks that answered one of our probes (direct, indirect or TCP). */
  acksReceived: number;
  /** Nacks received for our probes. */
  nacksReceived: number;
  /** Probes that escalated to indirect pings (and the TCP fallback). */
  indirectProbes: number;
  /** Members we marked suspect (by our probe or by gossip). */
  suspicions: number;
  /** Times we refuted a suspicion or death about ourselves. */
  refutations: number;
  /** Members we recorded as dead (failed, not left). */
  deaths: number;
  /** Push-pull exchanges completed (served or initiated). */
  pushPulls: number;
  /** Gossip packets sent by the gossip loop. */
  gossipPackets: number;
}

/** A zeroed set of counters. */
export function createSwimStats(): SwimStats {
  return {
    probes: 0,
    suspectProbes: 0,
    lateTimers: 0,
    probeFailures: 0,
    acksReceived: 0,
    nacksReceived: 0,
    indirectProbes: 0,
    suspicions: 0,
    refutations: 0,
    deaths: 0,
    pushPulls: 0,
    gossipPackets: 0,
  };
}
