/*
 * Refutation (SWIM §4.2, Lifeguard): a node paused (a GC stop, SIGSTOP) for less than the
 * suspicion timeout and then resumed is never declared dead, and is alive — at its own, raised
 * incarnation when it was suspected — at every node within refutationBoundMs after the resume.
 * The pause lasts up to Smin(N) − P. Why that is "less than the suspicion timeout" with room to
 * spare: a ping parked by the pause times out at the earliest P − latency after the pause began,
 * so the first suspicion starts no earlier, and no observer can declare death before
 * Smin(N) after that — which leaves the resumed node at least 2P − latency (≥ 9 gossip rounds
 * in every preset) to learn of the suspicion and spread its refutation.
 *
 * Asserted for the LAN and WAN presets. The local preset (retransmitMult 2, Smin 3 s) is run and
 * its failure rate printed: with 2 sends per update per node the suspicion can miss the suspect
 * and the refutation can miss an accuser, and the accuser's next probe of the suspect (which
 * carries the suspicion) may come only after its Smin — the soak found such runs (seeds
 * 565376027, 988291260, 616716903), all with the local preset.
 */
import fc from "fast-check";
import {describe, expect, it} from "vitest";
import {refutationBoundMs, suspicionMinMs} from "../helpers/property-bounds.ts";
import {
  bootstrap,
  caseLatencyMs,
  clusterCase,
  configOf,
  describeCase,
  memberListMismatch,
  runUntilAgreement,
  simulate,
  watchEvents,
} from "../helpers/property-cluster.ts";
import {checkProperty, recordRatio} from "../helpers/property-run.ts";

const pauseCase = clusterCase({maxLoss: 0.05}).chain((c) =>
  fc.record({
    cluster: fc.constant(c),
    node: fc.integer({min: 0, max: c.nodes - 1}),
    /** Where in [min, max] pause length the pause falls, in per-mille. */
    length: fc.integer({min: 0, max: 1000}),
    /** Delay after bootstrap, in tenths of a probe period. */
    after: fc.integer({min: 0, max: 50}),
  }),
);

describe("refutation", () => {
  it("a node paused for less than the suspicion timeout is never declared dead and is alive everywhere within the bound", () => {
    let runs = 0;
    let refuted = 0;
    const local = {runs: 0, failed: 0};
    checkProperty(
      "a node paused for less than the suspicion timeout is never declared dead and is alive everywhere within the bound",
      pauseCase,
      ({cluster, node, length, after}) => {
        const sim = simulate(cluster);
        const downs: string[] = [];
        let suspected = false;
        const name = `n${node}`;
        watchEvents(sim, ({timeMs, observer, event}) => {
          if (event.type === "memberDown") downs.push(`${timeMs} ms: ${observer} declared ${event.member.name} dead`);
          if (event.type === "memberSuspect" && event.member.name === name) suspected = true;
        });
        bootstrap(sim);
        const config = configOf(sim);
        const latency = caseLatencyMs(cluster);
        const p = config.probeIntervalMs;
        const max = suspicionMinMs(config, cluster.nodes) - p;
        const min = Math.min(p, max / 2);
        const pauseMs = Math.round(min + ((max - min) * length) / 1000);
        expect(pauseMs, "the config leaves room for a pause").toBeGreaterThan(0);
        sim.runForMs((after * p) / 10);
        const incarnationBefore = sim.node(name)?.incarnation ?? 0;
        sim.pause(name, pauseMs);
        sim.runForMs(pauseMs);
        expect(sim.isPaused(name)).toBe(false);
        const bound = refutationBoundMs(config, cluster.nodes, latency);
        // "Alive at every node": every live node holds every live node alive. Whether a node that
        // never suspected it also learnt the raised incarnation is the convergence property's
        // business (push-pull settles a missed gossip; the soak met one: seed 3058590313).
        const alive = {exactIncarnations: false};
        const took = runUntilAgreement(sim, bound, alive);
        const context = `${describeCase(cluster)}; ${name} paused ${pauseMs} ms; bound ${bound} ms`;
        // Keep going past the bound: a late death would still be a failure.
        sim.runForMs(bound - (took ?? bound));
        expect(sim.safety?.violations ?? []).toEqual([]);
        if (cluster.profile === "local") {
          // Measured, not asserted: see the file comment.
          local.runs++;
          if (took === undefined || downs.length > 0) local.failed++;
          return true;
        }
        expect(took, `${context}: ${memberListMismatch(sim, alive)}`).not.toBeUndefined();
        expect(downs, context).toEqual([]);
        expect(memberListMismatch(sim, alive) ?? "agree", context).toBe("agree");
        runs++;
        if (suspected) {
          refuted++;
          expect(sim.node(name)?.incarnation ?? 0, context).toBeGreaterThan(incarnationBefore);
        }
        recordRatio("refutation", (took as number) / bound);
        return true;
      },
      {numRuns: 12, file: import.meta.url},
    );
    console.log(`refutation: ${refuted} of ${runs} paused nodes (LAN/WAN) were suspected and refuted`);
    console.log(
      `refutation: local preset failed ${local.failed} of ${local.runs} (declared dead, or not alive everywhere in time)`,
    );
    // The default run must exercise real refutations, not only pauses nobody noticed.
    if (!process.env.LIFELINE_PROP_PATH && runs >= 6) expect(refuted).toBeGreaterThanOrEqual(Math.ceil(runs / 5));
  });
});
