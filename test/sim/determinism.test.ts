import {describe, expect, it} from "vitest";
import {createSimulation, type Simulation} from "../../sim/index.ts";

function busyRun(seed: number): Simulation {
  const sim = createSimulation({nodes: 20, seed, lossRate: 0.05, duplicateRate: 0.02, reorderRate: 0.05});
  sim.runForMs(15_000);
  sim.crash("n7");
  const left = sim.names.slice(0, 10);
  sim.partition(left, sim.others(left));
  sim.runForMs(10_000);
  sim.heal();
  sim.pause("n3", 3_000);
  sim.restart("n7");
  sim.runForMs(15_000);
  return sim;
}

describe("determinism", () => {
  it("gives one trace hash for two runs with the same seed and options", () => {
    const a = busyRun(42);
    const b = busyRun(42);
    expect(a.traceRecords).toBeGreaterThan(5_000);
    expect(a.traceHash).toBe(b.traceHash);
    expect(a.eventsHandled).toBe(b.eventsHandled);
    expect(a.metrics.datagramBytes).toBe(b.metrics.datagramBytes);
  });

  it("gives a different trace hash for a different seed", () => {
    expect(busyRun(42).traceHash).not.toBe(busyRun(43).traceHash);
  });

  it("gives a different trace hash when only one option changes", () => {
    const a = createSimulation({nodes: 10, seed: 5});
    const b = createSimulation({nodes: 10, seed: 5, latency: {minMs: 2, jitterMeanMs: 1}});
    a.runForMs(10_000);
    b.runForMs(10_000);
    expect(a.traceHash).not.toBe(b.traceHash);
  });

  it("does not change the run when a trace callback listens", () => {
    const lines: string[] = [];
    const a = createSimulation({nodes: 8, seed: 9, trace: (l) => lines.push(l)});
    const b = createSimulation({nodes: 8, seed: 9});
    a.runForMs(5_000);
    b.runForMs(5_000);
    expect(lines.length).toBeGreaterThan(100);
    expect(a.traceHash).toBe(b.traceHash);
  });
});
