/*
 * Accuracy (SWIM §3.1, Lifeguard): with no crash and loss up to 5%, no live node is ever
 * declared dead — not by a single observer, not for a moment. Above 5% the false-positive rate
 * is measured and printed (per node-hour, and the share of runs with any), not asserted zero;
 * what is asserted there is that the cluster agrees again once the loss stops.
 */
import {describe, expect, it} from "vitest";
import {convergenceBoundMs} from "../helpers/property-bounds.ts";
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

/** Simulated time per run, in probe periods (2 minutes on LAN, 10 on WAN). */
const PERIODS = 120;

describe("accuracy", () => {
  it("with no crash and loss up to 5% no live node is ever declared dead", () => {
    checkProperty(
      "with no crash and loss up to 5% no live node is ever declared dead",
      clusterCase({maxLoss: 0.05}),
      (cluster) => {
        const sim = simulate(cluster);
        const downs: string[] = [];
        watchEvents(sim, ({timeMs, observer, event}) => {
          if (event.type === "memberDown" || event.type === "memberLeft") {
            downs.push(`${timeMs} ms: ${observer} ${event.type} ${event.member.name}`);
          }
        });
        bootstrap(sim);
        sim.runForMs(PERIODS * configOf(sim).probeIntervalMs);
        expect(downs, describeCase(cluster)).toEqual([]);
        expect(sim.metrics.falsePositives).toBe(0);
        expect(memberListMismatch(sim) ?? "agree").toBe("agree");
        expect(sim.safety?.violations ?? []).toEqual([]);
        return true;
      },
      {numRuns: 6, file: import.meta.url},
    );
  });

  it("above 5% loss the false-positive rate is measured and the cluster agrees again once the loss stops", () => {
    const rows: {profile: string; loss: number; runs: number; withFp: number; fp: number; nodeHours: number}[] = [];
    const lossCase = clusterCase({minLoss: 0.1, maxLoss: 0.3, profiles: ["lan", "swift"]});
    checkProperty(
      "above 5% loss the false-positive rate is measured and the cluster agrees again once the loss stops",
      lossCase,
      (cluster) => {
        // Loss on every node's egress (the same as network-wide loss), so it can be switched off.
        const sim = simulate({...cluster, lossRate: 0});
        bootstrap(sim);
        for (const n of sim.names) sim.setNodeLoss(n, {egress: cluster.lossRate});
        let fp = 0;
        watchEvents(sim, ({event}) => {
          if (event.type === "memberDown") fp++;
        });
        const ms = PERIODS * configOf(sim).probeIntervalMs;
        sim.runForMs(ms);
        for (const n of sim.names) sim.setNodeLoss(n, {egress: 0});
        const bound = convergenceBoundMs(configOf(sim), cluster.nodes, caseLatencyMs(cluster));
        const took = runUntilAgreement(sim, bound);
        expect(took, `${describeCase(cluster)}: ${memberListMismatch(sim)}`).not.toBeUndefined();
        expect(sim.safety?.violations ?? []).toEqual([]);
        recordRatio("accuracy-recovery", (took as number) / bound);
        const bucket = Math.round(cluster.lossRate * 10) / 10;
        let row = rows.find((r) => r.loss === bucket && r.profile === cluster.profile);
        if (row === undefined) {
          row = {profile: cluster.profile, loss: bucket, runs: 0, withFp: 0, fp: 0, nodeHours: 0};
          rows.push(row);
        }
        row.runs++;
        if (fp > 0) row.withFp++;
        row.fp += fp;
        row.nodeHours += (cluster.nodes * ms) / 3_600_000;
        return true;
      },
      {numRuns: 6, file: import.meta.url},
    );
    rows.sort((a, b) => a.profile.localeCompare(b.profile) || a.loss - b.loss);
    for (const r of rows) {
      console.log(
        `FP ${r.profile} loss≈${r.loss}: ${r.fp} false deaths in ${r.runs} runs (${r.withFp} with any), ` +
          `${(r.fp / r.nodeHours).toFixed(1)} per node-hour`,
      );
    }
  });
});
