/*
 * The bounds the serf user-event tests assert, as free functions of the core config, the cluster
 * size N and the loss rate p, written from memberlist's and serf's design rather than read back
 * from runs (the style of property-bounds.ts).
 *
 *   R(N) = retransmitMult × ceil(log10(N + 1))      packets each node puts a user broadcast in
 *                                                    (memberlist's retransmitLimit; one packet is
 *                                                    one target, so R counts copies, not rounds)
 *
 * Gossip. Every node that accepts an event rebroadcasts it, so ≈ N − 1 nodes each send R copies
 * to uniformly chosen members: a given node is the target of ≈ R copies, Poisson-distributed, of
 * which a fraction (1 − p) arrives. It misses the gossip with probability
 *
 *   gossipMiss(N, p) = exp(−(1 − p) · R(N))          (N = 32, p = 0.1: e^−7.2 ≈ 7.5·10^−4;
 *                                                      N = 24, p = 0:  e^−8  ≈ 3.4·10^−4)
 *
 * and when it does not miss, it has the event within disseminationBoundMs (property-bounds.ts).
 *
 * Repair. Serf keeps recent events in its push-pull state, and every node push-pulls with a
 * random live member every pushPullScaleMs(pushPullIntervalMs, N); the peer has the event unless
 * it missed the gossip too (probability gossipMiss again), so a node that missed it gets it from
 * its next exchange, or, with probability gossipMiss, the one after:
 *
 *   eventDeliveryBoundMs = disseminationBoundMs               the sender's gossip finishing
 *                        + 2 × pushPullScaleMs(interval, N)   two of the node's own exchanges
 *                        + 2 × latency allowance              the stream request and reply
 */
import {pushPullScaleMs, type SwimConfig} from "../../src/core/index.ts";
import {disseminationBoundMs} from "./property-bounds.ts";

/** Packets each node sends a user broadcast in: memberlist's retransmitLimit. */
export function retransmits(config: SwimConfig, n: number): number {
  return config.retransmitMult * Math.ceil(Math.log10(n + 1));
}

/** Probability that one node misses one event's gossip at loss rate `p` (before push-pull repair). */
export function gossipMissProbability(config: SwimConfig, n: number, p: number): number {
  return Math.exp(-(1 - p) * retransmits(config, n));
}

/** Time within which every live node has an event: its gossip, or two of the node's own push-pulls. */
export function eventDeliveryBoundMs(config: SwimConfig, n: number, latencyMs: number): number {
  return disseminationBoundMs(config, n, latencyMs) + 2 * pushPullScaleMs(config.pushPullIntervalMs, n) + 2 * latencyMs;
}
