/*
 * Completeness (SWIM §3.1, §4.3): every crashed node is declared dead by every live node within
 * completenessBoundMs(config, N), on a network losing up to 10% of datagrams, with random
 * latency, duplication and reordering, for any preset and 5–12 nodes, whatever the crash times.
 */
import fc from "fast-check";
import {describe, expect, it} from "vitest";
import {completenessBoundMs} from "../helpers/property-bounds.ts";
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

/** Crashes: which nodes (never n0, at most a third of the cluster) and when (within 10 probe periods). */
const crashCase = clusterCase({maxLoss: 0.1}).chain((c) =>
  fc.record({
    cluster: fc.constant(c),
    crashes: fc.uniqueArray(
      fc.record({node: fc.integer({min: 1, max: c.nodes - 1}), atPeriods: fc.integer({min: 0, max: 100})}),
      {minLength: 1, maxLength: Math.max(1, Math.floor((c.nodes - 1) / 3)), selector: (x) => x.node},
    ),
  }),
);

describe("completeness", () => {
  it("every crashed node is declared dead by every live node within the completeness bound", () => {
    checkProperty(
      "every crashed node is declared dead by every live node within the completeness bound",
      crashCase,
      ({cluster, crashes}) => {
        const sim = simulate(cluster);
        bootstrap(sim);
        const config = configOf(sim);
        const bound = completenessBoundMs(config, cluster.nodes, caseLatencyMs(cluster));
        const start = sim.nowMs;
        const crashed = new Set(crashes.map((c) => `n${c.node}`));
        const crashAt = new Map<string, number>();
        // First memberDown about each crashed member, per observer, after its crash.
        const detected = new Map<string, number>();
        watchEvents(sim, ({timeMs, observer, event}) => {
          if (event.type !== "memberDown") return;
          const at = crashAt.get(event.member.name);
          const key = `${observer}>${event.member.name}`;
          if (at !== undefined && !detected.has(key)) detected.set(key, timeMs);
        });
        for (const c of crashes) {
          const name = `n${c.node}`;
          sim.at(start + (c.atPeriods * config.probeIntervalMs) / 10, () => {
            crashAt.set(name, sim.nowMs);
            // An observer that holds it dead already (a false positive not yet refuted) counts as detecting it now.
            for (const o of sim.live()) {
              if (o !== name && sim.node(o)?.member(name)?.state === "dead") detected.set(`${o}>${name}`, sim.nowMs);
            }
            sim.crash(name);
          });
        }
        const lastCrash = start + (Math.max(...crashes.map((c) => c.atPeriods)) * config.probeIntervalMs) / 10;
        sim.runForMs(lastCrash - start + bound + 1);
        const observers = sim.names.filter((n) => !crashed.has(n));
        const late: string[] = [];
        let worst = 0;
        for (const [name, at] of crashAt) {
          for (const o of observers) {
            const t = detected.get(`${o}>${name}`);
            if (t === undefined || t - at > bound)
              late.push(`${o} about ${name}: ${t === undefined ? "never" : `${t - at} ms`}`);
            else worst = Math.max(worst, t - at);
            const view = sim.node(o)?.member(name);
            if (view !== undefined && view.state !== "dead") late.push(`${o} holds ${name} ${view.state} at the end`);
          }
        }
        expect(crashAt.size, "every crash happened").toBe(crashes.length);
        expect(late, `${describeCase(cluster)}; bound ${bound} ms`).toEqual([]);
        expect(sim.safety?.violations ?? []).toEqual([]);
        recordRatio("completeness", worst / bound);
        return true;
      },
      {numRuns: 8, file: import.meta.url},
    );
  });
});
