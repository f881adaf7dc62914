/*
 * The converged start (SimInit.start = "converged"): every node boots at t = 0 knowing every
 * member of its label, so the cluster agrees at once, carries no join flood, and still detects
 * a crash as a joined cluster does.
 */
import {describe, expect, it} from "vitest";
import {createSimulation} from "../../sim/index.ts";
import {InvalidConfigError} from "../../src/core/index.ts";

describe("converged start", () => {
  it("agrees at t = 0 and gossips no member's alive but its own", () => {
    const sim = createSimulation({nodes: 60, seed: 3, start: "converged"});
    sim.runForMs(0);
    expect(sim.allAgree()).toBe(true);
    expect(sim.metrics.settledAtMs).toBe(0);
    sim.runForMs(20_000);
    expect(sim.allAgree()).toBe(true);
    // Each node queues its own alive at start and nothing else: at most 60 × its retransmit limit.
    const joined = createSimulation({nodes: 60, seed: 3});
    joined.runForMs(20_000);
    const aliveSent = (s: typeof sim) => s.metrics.byType.get("alive")?.messages ?? 0;
    expect(aliveSent(sim)).toBeGreaterThan(0);
    expect(aliveSent(sim)).toBeLessThan(aliveSent(joined) / 4);
  });

  it("detects a crash everywhere", () => {
    const sim = createSimulation({nodes: 40, seed: 5, start: "converged"});
    sim.runForMs(5_000);
    sim.crash("n17");
    sim.runForMs(30_000);
    const record = sim.metrics.crashes[0];
    expect(record?.allMs).not.toBeNull();
    expect(sim.allAgree()).toBe(true);
    expect(sim.metrics.falsePositives).toBe(0);
  });

  it("keeps labels apart", () => {
    const sim = createSimulation({nodes: 20, seed: 2, start: "converged", labels: {blue: "0%-50%", red: "50%-100%"}});
    sim.runForMs(10_000);
    expect(sim.allAgree()).toBe(false);
    expect(sim.views.viewSize[0]).toBe(10);
    expect(sim.views.viewSize[19]).toBe(10);
  });

  it("names the field and the rule for bad values", () => {
    expect(() => createSimulation({nodes: 3, start: "warm" as never})).toThrow(InvalidConfigError);
    expect(() => createSimulation({nodes: 3, start: "warm" as never})).toThrow(/start/);
    expect(() => createSimulation({nodes: 3, start: "converged", serf: true})).toThrow(/serf/);
  });
});
