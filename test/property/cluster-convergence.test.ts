/*
 * Convergence: after any schedule of crashes, restarts, pauses, partitions and one-way links
 * ends and the network heals, all live nodes agree on the member list — the same names, all
 * alive, each at the incarnation the node itself holds; every stopped node dead or forgotten —
 * within convergenceBoundMs(config, N), with no operator action (no re-join is issued: healing
 * is the core's reconnect loop and push-pull).
 */
import fc from "fast-check";
import {describe, expect, it} from "vitest";
import {convergenceBoundMs} from "../helpers/property-bounds.ts";
import {
  applySchedule,
  bootstrap,
  caseLatencyMs,
  clusterCase,
  configOf,
  describeCase,
  faultSchedule,
  lastRestartMs,
  memberListMismatch,
  runUntilAgreement,
  simulate,
} from "../helpers/property-cluster.ts";
import {checkProperty, recordRatio} from "../helpers/property-run.ts";

/** 60 probe periods of chaos. */
const WINDOW = 600;

const chaosCase = clusterCase({maxLoss: 0.1, maxNodes: 10}).chain((c) =>
  fc.record({cluster: fc.constant(c), steps: faultSchedule(c.nodes, {window: WINDOW, maxFaults: 6})}),
);

describe("convergence", () => {
  it("after any fault schedule heals, all live nodes agree on names, states and incarnations within the bound", () => {
    checkProperty(
      "after any fault schedule heals, all live nodes agree on names, states and incarnations within the bound",
      chaosCase,
      ({cluster, steps}) => {
        const sim = simulate(cluster);
        bootstrap(sim);
        const start = sim.nowMs;
        const end = applySchedule(sim, steps, WINDOW);
        const from = Math.max(end, lastRestartMs(sim, steps, start));
        sim.runForMs(from - sim.nowMs);
        const bound = convergenceBoundMs(configOf(sim), cluster.nodes, caseLatencyMs(cluster));
        const took = runUntilAgreement(sim, bound);
        expect(
          took,
          `${describeCase(cluster)}; no agreement ${bound} ms after the faults ended: ${memberListMismatch(sim)}`,
        ).not.toBeUndefined();
        expect(sim.safety?.violations ?? []).toEqual([]);
        recordRatio("convergence", (took as number) / bound);
        return true;
      },
      {numRuns: 8, file: import.meta.url},
    );
  });
});
