/*
 * Dissemination (SWIM §4.1, infection-style): in a loss-free network an update reaches every
 * node within c · ceil(log2 N) gossip rounds, c = DISSEMINATION_C (4; justified in
 * property-bounds.ts). The update is a graceful leave: the leaving node queues "dead about
 * myself", piggybacks it on its packets and gossip rounds until it was sent its retransmit limit
 * (memberlist's Leave waits for exactly that), then stops; the others spread it on — epidemic
 * spread from one source. A round is gossipIntervalMs plus the network's latency allowance.
 *
 * What is asserted, and why not "always within c · log N": memberlist bounds every update to
 * retransmitMult × ceil(log10(N + 1)) sends per node — 4 on LAN/WAN and 2 on the local preset
 * for N ≤ 9 — so an epidemic can die out before it reaches everyone. With 5 informed nodes each
 * sending 4 times to 3-of-4 random peers, a given node is missed with probability about
 * (1/4)^5 · (3/4)^5 ≈ 2·10⁻⁴ — but piggybacks on acks to already informed nodes use up sends too,
 * and the soak measured 2–4% on LAN (seed 1429322644: 6 nodes, n1 missed); with the local
 * preset's 2 sends it is 15–25%. Push-pull (every pushPullIntervalMs) repairs every
 * miss. So, per run:
 *   - always: every node holds the member left (or dead, when its own probe beat the news) within
 *     max(pushPullIntervalMs + dissemination(N), completeness(N)) — a node that missed the leave
 *     may even get "suspect" from a push-pull partner that missed it too (memberlist merges a
 *     remote suspect as its own suspicion), and then only its probes or timer settle it, which is
 *     the crash case (soak seed 312569805: 8 nodes, local preset);
 *   - the c · log N bound held for every node in all but max(2, 10%) of the LAN/WAN runs (the soak
 *     measured about 2–4% on LAN, gossipNodes 3, and 0% on WAN, gossipNodes 4); the local
 *     preset's miss rate (15–25%) is printed.
 */
import fc from "fast-check";
import {describe, expect, it} from "vitest";
import {completenessBoundMs, disseminationBoundMs, disseminationRounds} from "../helpers/property-bounds.ts";
import {
  bootstrap,
  caseLatencyMs,
  clusterCase,
  configOf,
  describeCase,
  simulate,
  watchEvents,
} from "../helpers/property-cluster.ts";
import {checkProperty, recordRatio} from "../helpers/property-run.ts";

const leaveCase = (profiles: readonly ("lan" | "wan" | "local")[]) =>
  clusterCase({maxLoss: 0, disorder: false, profiles}).chain((c) =>
    fc.record({
      cluster: fc.constant(c),
      node: fc.integer({min: 1, max: c.nodes - 1}),
      /** Delay after bootstrap, in tenths of a probe period (lets the bootstrap broadcasts drain or not). */
      after: fc.integer({min: 0, max: 300}),
    }),
  );

describe("dissemination", () => {
  it("in a loss-free network an update reaches every node within c log N gossip rounds", () => {
    const tally = new Map<string, {runs: number; missed: number}>();
    checkProperty(
      "in a loss-free network an update reaches every node within c log N gossip rounds",
      leaveCase(["lan", "wan", "local"]),
      ({cluster, node, after}) => {
        const sim = simulate(cluster);
        const name = `n${node}`;
        const learnt = new Map<string, number>();
        const outAt = new Set<string>();
        watchEvents(sim, ({timeMs, observer, event}) => {
          if (observer === name || !("member" in event) || event.member.name !== name) return;
          if (event.type === "memberLeft" && !learnt.has(observer)) learnt.set(observer, timeMs);
          if (event.type === "memberLeft" || event.type === "memberDown") outAt.add(observer);
        });
        bootstrap(sim);
        const config = configOf(sim);
        sim.runForMs((after * config.probeIntervalMs) / 10);
        const t0 = sim.nowMs;
        sim.leave(name);
        const latency = caseLatencyMs(cluster);
        const bound = disseminationBoundMs(config, cluster.nodes, latency);
        const others = sim.others(name);
        const inRounds = sim.runUntil(() => learnt.size >= others.length, {maxMs: bound});
        const row = tally.get(cluster.profile) ?? {runs: 0, missed: 0};
        row.runs++;
        if (!inRounds) row.missed++;
        tally.set(cluster.profile, row);
        const fallback = Math.max(
          config.pushPullIntervalMs + bound,
          completenessBoundMs(config, cluster.nodes, latency),
        );
        const all = sim.runUntil(() => outAt.size >= others.length, {maxMs: fallback});
        const context = `${describeCase(cluster)}; ${name} left at ${t0} ms; bound ${disseminationRounds(cluster.nodes)} rounds = ${bound} ms`;
        expect(all, `${context}: ${others.filter((o) => !outAt.has(o))} never learnt`).toBe(true);
        // The leaving node stops once its leave was sent its retransmit limit, or at leaveTimeoutMs.
        expect(
          sim.runUntil(() => !sim.isUp(name), {maxMs: config.leaveTimeoutMs}),
          "the leaving node stopped",
        ).toBe(true);
        if (inRounds) {
          const slowest = Math.max(0, ...[...learnt.values()].map((t) => t - t0));
          recordRatio(
            "dissemination",
            slowest / (config.gossipIntervalMs + latency) / disseminationRounds(cluster.nodes),
          );
        }
        return true;
      },
      {numRuns: 25, file: import.meta.url},
    );
    for (const [profile, r] of tally) {
      console.log(`DISSEMINATION ${profile}: ${r.missed} of ${r.runs} leaves missed a node within c log N rounds`);
      if (profile !== "local" && !process.env.LIFELINE_PROP_PATH) {
        expect(r.missed, `${profile} runs beyond c log N rounds`).toBeLessThanOrEqual(
          Math.max(1, Math.ceil(r.runs * 0.02)),
        );
      }
    }
  });
});
