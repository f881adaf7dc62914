/*
 * Cluster labels in the simulator (sim/options.ts label/labels, src/codec/label.ts): labelled
 * nodes exchange real labelled (and encrypted) bytes; two labels in one run form two clusters
 * that never merge, and an operator join across them is refused and counted.
 */
import {describe, expect, it} from "vitest";
import {createSimulation, InvalidConfigError, parseScenario, runScenario, type Simulation} from "../../sim/index.ts";
import {generateKeyBase64} from "../../src/codec/index.ts";

/** Node i's view holds exactly the nodes of its own label (alive or suspect), for every node. */
function eachSeesItsLabelOnly(sim: Simulation): boolean {
  return sim.names.every((name, i) => {
    const own = sim.names.filter((other) => sim.labelOf(other) === sim.labelOf(name)).length;
    return sim.views.viewSize[i] === own;
  });
}

describe("simulated cluster labels", () => {
  it("runs one labelled, encrypted cluster to agreement", () => {
    const sim = createSimulation({nodes: 12, seed: 3, label: "prod", keys: [generateKeyBase64()]});
    sim.runForMs(30_000);
    expect(sim.live()).toHaveLength(12);
    expect(sim.allAgree()).toBe(true);
    expect(sim.metrics.datagrams).toBeGreaterThan(100);
    expect(sim.metrics.decodeErrors).toBe(0);
    expect(sim.metrics.labelMismatches).toBe(0);
  });

  it("keeps two labelled clusters apart, each converging through its own seed", () => {
    const sim = createSimulation({nodes: 20, seed: 7, labels: {blue: "0%-50%", red: "50%-100%"}});
    expect(sim.labelOf("n0")).toBe("blue");
    expect(sim.labelOf("n10")).toBe("red");
    expect(sim.runUntil(() => eachSeesItsLabelOnly(sim), {maxMs: 60_000})).toBe(true);

    // An operator joins a red node to the blue seed: the stream is refused and counted.
    sim.join("n15", ["n0"]);
    sim.runForMs(30_000);
    expect(sim.metrics.labelMismatches).toBeGreaterThanOrEqual(1);
    expect(sim.metrics.decodeErrors).toBe(0);
    expect(eachSeesItsLabelOnly(sim)).toBe(true);
    for (let j = 10; j < 20; j++) expect(sim.views.stateOf(0, j)).toBe(0);
  });

  it("gives the same trace for an unlabelled run whether or not the label options are spelled out", () => {
    const a = createSimulation({nodes: 8, seed: 11});
    const b = createSimulation({nodes: 8, seed: 11, label: "", labels: {}});
    a.runForMs(10_000);
    b.runForMs(10_000);
    expect(a.traceHash).toBe(b.traceHash);
  });

  it("takes labels from a scenario: two clusters, and no traffic crosses between them", () => {
    const scenario = parseScenario({
      name: "two-labels",
      nodes: 10,
      durationMs: 20_000,
      seedNodes: 1,
      labels: {blue: "0%-50%", red: "!0%-50%"},
    });
    const {sim, report} = runScenario(scenario);
    expect(sim.labelOf("n4")).toBe("blue");
    expect(sim.labelOf("n5")).toBe("red");
    expect(eachSeesItsLabelOnly(sim)).toBe(true);
    expect(report.anomalies.labelMismatches).toBe(0);
    expect(report.anomalies.decodeErrors).toBe(0);
  });

  it("refuses bad labels naming the field", () => {
    const bad = [
      {opts: {label: "x".repeat(256)}, field: "label"},
      {opts: {labels: {"": "all"}}, field: "labels."},
      {opts: {labels: {a: "0%-75%", b: "50%-100%"}}, field: "labels"},
      {opts: {labels: {a: "nope"}}, field: "labels.a"},
    ];
    for (const {opts, field} of bad) {
      expect(() => createSimulation({nodes: 4, ...opts})).toThrow(expect.objectContaining({field}));
      expect(() => createSimulation({nodes: 4, ...opts})).toThrow(InvalidConfigError);
    }
  });
});
