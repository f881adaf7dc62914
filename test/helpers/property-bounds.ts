/*
 * The time bounds the cluster properties assert, as free functions of the core config and the
 * cluster size N. They are written from the protocol's documented formulas (SWIM §4.3, Lifeguard
 * §IV, memberlist's util.go), not read back from the implementation, so a regression in the core
 * that makes detection or healing slower than the design allows fails a property.
 *
 * They are upper bounds that hold with overwhelming probability, not tight estimates: the typical
 * times are several times smaller (the soak prints the worst observed/bound ratio per property).
 *
 *   P  = probeIntervalMs                      T  = gossipIntervalMs
 *   A  = awarenessMaxMultiplier               L  = one-way latency allowance (see latencyAllowanceMs)
 *   Smin(N) = suspicionMult × max(1, log10 N) × P          (Lifeguard's minimum suspicion timeout)
 *   Smax(N) = suspicionMaxTimeoutMult × Smin(N)            (a lone accuser's timeout)
 *   R(N)    = retransmitMult × ceil(log10(N + 1))          (times each update is sent by each node)
 *   G(N)    = DISSEMINATION_C × ceil(log2 N)               (gossip rounds to reach every node)
 *
 *   dissemination(N)  = G(N) × (T + L)
 *   completeness(N)   = (2(N − 1) − 1) × P    a live observer's own round-robin reaches the crashed
 *                                              member within 2(N−1)−1 probe periods (SWIM §4.3)
 *                     + A × P                 that probe's deadline at the worst local health (a
 *                                              refused TCP ping, refusedProbeFails, ends it sooner)
 *                     + Smax(N)               the suspicion timer with no confirmation at all
 *                     + dissemination(N)      the dead message reaching observers that were slower
 *                     + 2 × lateTimerGraceMs  a verdict deferred once by a late probe deadline and
 *                                              once by a late suspicion timeout (0 in memberlist's
 *                                              presets; suspect probes run beside the round-robin
 *                                              probe and never slow it, so they add nothing)
 *   refutation(N)     = A × P                 a probe that fails just after the resume
 *                     + 2 × dissemination(N)  the suspicion reaching the suspect, its refutation
 *                                              reaching everyone
 *                     + 2 P                   a lost suspect/alive is resent with the next probe
 *   convergence(N)    = completeness(N)       crashes inside the schedule are detected
 *                     + HEAL_RECONNECT_ROUNDS × reconnectIntervalMs
 *                                              after a partition both sides hold each other dead;
 *                                              each reconnect round every node push-pulls with one
 *                                              remembered failed member, which makes that member
 *                                              refute and carries refutations back (two rounds per
 *                                              hop, two hops for the last node of a side)
 *                     + pushPullIntervalMs     a push-pull that repairs what gossip missed
 *                     + dissemination(N)
 */
import type {SwimConfig} from "../../src/core/index.ts";

/**
 * The constant c of the dissemination bound c · ceil(log2 N) gossip rounds.
 *
 * Why 4: in one round every informed node sends the update to gossipNodes (3 in every preset)
 * random members, and also piggybacks it on its probe traffic, so in a loss-free network the
 * informed set at least doubles per round until half the cluster knows (log2 N rounds), and the
 * uninformed fraction then shrinks geometrically: the classic push epidemic needs
 * log2 N + ln N rounds (Pittel 1987), and ln N < 0.7 · log2 N, so 2 · log2 N rounds cover the
 * mean; c = 4 doubles that for the tail and for the up-to-one-round wait of each newly informed
 * node until its own gossip tick. Measured (soak, 1,272 runs at N = 5..12, all presets): mean
 * 0.07 of the bound (≈ 0.3 · log2 N rounds), slowest 0.94 of it. memberlist's retransmit limit
 * (4 sends per node per update below N = 10) lets about 1% of LAN/WAN epidemics die out before
 * the last node; push-pull repairs those, and the dissemination property asserts both.
 */
export const DISSEMINATION_C = 4;

/** Reconnect rounds allowed for a healed partition to merge (see the file comment). */
export const HEAL_RECONNECT_ROUNDS = 4;

/** Lifeguard's minimum suspicion timeout for a table of n members (memberlist's suspicionTimeout). */
export function suspicionMinMs(config: SwimConfig, n: number): number {
  const scale = Math.max(1, Math.log10(Math.max(1, n)));
  return Math.floor((config.suspicionMult * Math.floor(scale * 1000) * config.probeIntervalMs) / 1000);
}

/** The timeout of a suspicion nobody confirms: suspicionMaxTimeoutMult × suspicionMinMs. */
export function suspicionMaxMs(config: SwimConfig, n: number): number {
  return config.suspicionMaxTimeoutMult * suspicionMinMs(config, n);
}

/** Gossip rounds within which an update reaches every node of a loss-free cluster of n. */
export function disseminationRounds(n: number): number {
  return DISSEMINATION_C * Math.ceil(Math.log2(Math.max(2, n)));
}

/**
 * One-way latency allowance for a network of latency min + Exp(jitterMean): the min plus ten
 * means (an exponential exceeds ten means with probability e^−10 ≈ 4.5·10^−5 per datagram).
 */
export function latencyAllowanceMs(latency: {readonly minMs: number; readonly jitterMeanMs: number}): number {
  return latency.minMs + 10 * latency.jitterMeanMs;
}

/** Time within which an update reaches every node: disseminationRounds(n) × (gossipIntervalMs + latency). */
export function disseminationBoundMs(config: SwimConfig, n: number, latencyMs: number): number {
  return disseminationRounds(n) * (config.gossipIntervalMs + latencyMs);
}

/** Time within which every live node declares a crashed member dead (completeness). */
export function completenessBoundMs(config: SwimConfig, n: number, latencyMs: number): number {
  const p = config.probeIntervalMs;
  return (
    (2 * (n - 1) - 1) * p +
    config.awarenessMaxMultiplier * p +
    suspicionMaxMs(config, n) +
    disseminationBoundMs(config, n, latencyMs) +
    2 * config.lateTimerGraceMs
  );
}

/** Time after a resume within which a paused (not dead) node is alive again at every node. */
export function refutationBoundMs(config: SwimConfig, n: number, latencyMs: number): number {
  const p = config.probeIntervalMs;
  return config.awarenessMaxMultiplier * p + 2 * disseminationBoundMs(config, n, latencyMs) + 2 * p;
}

/** Time after the last fault ends (heal) within which all live nodes agree on the member list. */
export function convergenceBoundMs(config: SwimConfig, n: number, latencyMs: number): number {
  return (
    completenessBoundMs(config, n, latencyMs) +
    HEAL_RECONNECT_ROUNDS * config.reconnectIntervalMs +
    config.pushPullIntervalMs +
    disseminationBoundMs(config, n, latencyMs)
  );
}
