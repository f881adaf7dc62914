/*
 * What the config implies about failure detection time, as a conservative upper bound (used by
 * the demo's report and the integration tests' assertions):
 *
 *   first probe of the dead member   ≤ 2·(n−1)·probeIntervalMs   (shuffled round-robin: it can be
 *                                                                  last in one round, first... of the next)
 *   the probe period itself          ≤ probeIntervalMs           (direct + indirect + TCP ping)
 *   suspicion timeout                ≤ suspicionMaxTimeoutMult · suspicionMult · max(1, log10 n) · probeIntervalMs
 *                                      (a fresh suspicion starts at the maximum; Lifeguard
 *                                      confirmations only shorten it)
 *   dissemination of `dead`          ≤ retransmitMult · ceil(log10(n+1)) gossip rounds · gossipIntervalMs
 *   stall grace                      ≤ 2 · lateTimerGraceMs      (the probe deadline and the suspicion
 *                                                                  timeout may each wait once)
 *
 * Lifeguard stretches the probe interval of a node that sees its own probes fail (an overloaded
 * host): interval × (awarenessScore + 1). Pass the highest awareness score the observers had to
 * scale the two probe terms; 0 (healthy observers, the default) gives the nominal bound.
 */
import type {SwimConfig} from "./config.ts";

/** Terms of the detection bound, in ms. */
export interface DetectionBound {
  readonly firstProbeMs: number;
  readonly probePeriodMs: number;
  readonly suspicionMaxMs: number;
  readonly suspicionMinMs: number;
  readonly disseminationMs: number;
  /** What the late-timer grace (config.lateTimerGraceMs) may add: the deadline and the timeout, once each. */
  readonly stallGraceMs: number;
  /** Sum of the terms: kill → every other member has declared it dead. */
  readonly totalMs: number;
}

/** The detection bound for a cluster of `n` members (the failed one included). */
export function detectionBound(config: SwimConfig, n: number, awarenessScore = 0): DetectionBound {
  const interval = config.probeIntervalMs;
  const scaled = interval * (Math.min(Math.max(0, awarenessScore), config.awarenessMaxMultiplier - 1) + 1);
  const firstProbeMs = 2 * Math.max(1, n - 1) * scaled;
  const probePeriodMs = scaled;
  const suspicionMinMs = config.suspicionMult * Math.max(1, Math.log10(Math.max(1, n))) * interval;
  const suspicionMaxMs = config.suspicionMaxTimeoutMult * suspicionMinMs;
  const disseminationMs = config.retransmitMult * Math.ceil(Math.log10(n + 1)) * config.gossipIntervalMs;
  const stallGraceMs = 2 * config.lateTimerGraceMs;
  return {
    firstProbeMs,
    probePeriodMs,
    suspicionMaxMs,
    suspicionMinMs,
    disseminationMs,
    stallGraceMs,
    totalMs: Math.ceil(firstProbeMs + probePeriodMs + suspicionMaxMs + disseminationMs + stallGraceMs),
  };
}
