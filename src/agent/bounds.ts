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
 *
 * The awareness score can stretch probe periods up to awarenessMaxMultiplier× on an unhealthy
 * node; the bound assumes healthy observers (score 0), true on an idle loopback.
 */
import type {SwimConfig} from "../core/index.ts";

/** Terms of the detection bound, in ms. */
export interface DetectionBound {
  readonly firstProbeMs: number;
  readonly probePeriodMs: number;
  readonly suspicionMaxMs: number;
  readonly suspicionMinMs: number;
  readonly disseminationMs: number;
  /** Sum of the terms: kill → every other member has declared it dead. */
  readonly totalMs: number;
}

/** The detection bound for a cluster of `n` members (the failed one included). */
export function detectionBound(config: SwimConfig, n: number): DetectionBound {
  const interval = config.probeIntervalMs;
  const firstProbeMs = 2 * Math.max(1, n - 1) * interval;
  const probePeriodMs = interval;
  const suspicionMinMs = config.suspicionMult * Math.max(1, Math.log10(Math.max(1, n))) * interval;
  const suspicionMaxMs = config.suspicionMaxTimeoutMult * suspicionMinMs;
  const disseminationMs = config.retransmitMult * Math.ceil(Math.log10(n + 1)) * config.gossipIntervalMs;
  return {
    firstProbeMs,
    probePeriodMs,
    suspicionMaxMs,
    suspicionMinMs,
    disseminationMs,
    totalMs: Math.ceil(firstProbeMs + probePeriodMs + suspicionMaxMs + disseminationMs),
  };
}
