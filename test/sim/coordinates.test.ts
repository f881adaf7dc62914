/*
 * Serf's Vivaldi coordinates converge on the simulated network: two latency groups of four nodes
 * (one-way 1 ms inside a group, 10 ms between them, so round trips of ~2 ms and ~20 ms), nodes
 * learning only from their own direct probes' acks. After enough virtual time the estimated RTTs
 * inside a group are much smaller than across, and both roughly match the configured latency.
 */
import {describe, expect, it} from "vitest";
import {createSimulation, type Simulation} from "../../sim/index.ts";

const GROUP_A = ["n0", "n1", "n2", "n3"];
const GROUP_B = ["n4", "n5", "n6", "n7"];
const INSIDE_RTT_MS = 2;
const ACROSS_RTT_MS = 20;

function twoGroups(seed: number, coordinates = true): Simulation {
  const sim = createSimulation({nodes: 8, seed, coordinates, latency: {minMs: 1, jitterMeanMs: 0}, joinSpreadMs: 500});
  sim.setGroupLatency(GROUP_A, GROUP_B, {minMs: ACROSS_RTT_MS / 2, jitterMeanMs: 0.2});
  sim.setGroupLatency(GROUP_A, GROUP_A, {minMs: INSIDE_RTT_MS / 2, jitterMeanMs: 0.2});
  sim.setGroupLatency(GROUP_B, GROUP_B, {minMs: INSIDE_RTT_MS / 2, jitterMeanMs: 0.2});
  return sim;
}

/** Estimated RTTs of every pair, split into pairs inside a group and pairs across. */
function estimates(sim: Simulation): {inside: number[]; across: number[]} {
  const inside: number[] = [];
  const across: number[] = [];
  const all = [...GROUP_A, ...GROUP_B];
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const a = all[i] as string;
      const b = all[j] as string;
      const rtt = sim.estimatedRttMs(a, b) as number;
      (GROUP_A.includes(a) === GROUP_A.includes(b) ? inside : across).push(rtt);
    }
  }
  return {inside, across};
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

describe("simulated network coordinates", () => {
  for (const seed of [1, 2]) {
    it(`separate two latency groups and match their latency (seed ${seed})`, () => {
      const sim = twoGroups(seed);
      sim.runForMs(120_000);
      expect(sim.allAgree()).toBe(true);
      const stats = sim.coordinateStats;
      // 8 nodes probing once a second for ~2 minutes: close to a thousand updates.
      expect(stats?.updates).toBeGreaterThan(700);
      expect(stats).toMatchObject({emptyPayloads: 0, badPayloads: 0, rejected: 0});
      const {inside, across} = estimates(sim);
      expect(inside).toHaveLength(12);
      expect(across).toHaveLength(16);
      // Much smaller inside than across, for every pair, not just on average.
      expect(Math.max(...inside)).toBeLessThan(Math.min(...across) / 3);
      // And roughly the configured round trips.
      expect(mean(inside)).toBeGreaterThan(INSIDE_RTT_MS * 0.5);
      expect(mean(inside)).toBeLessThan(INSIDE_RTT_MS * 2);
      expect(mean(across)).toBeGreaterThan(ACROSS_RTT_MS * 0.85);
      expect(mean(across)).toBeLessThan(ACROSS_RTT_MS * 1.15);
    });
  }

  it("has no coordinate for a node not booted yet, and keeps coordinates off unless asked", () => {
    const on = twoGroups(3);
    expect(on.coordinateOf("n7")).toBeUndefined(); // boots at a random time in the first 500 ms
    on.runForMs(1_000);
    expect(on.coordinateOf("n7")?.vec).toHaveLength(8);
    const off = twoGroups(3, false);
    off.runForMs(10_000);
    expect(off.coordinateStats).toBeUndefined();
    expect(off.coordinateOf("n0")).toBeUndefined();
  });

  it("forgets a crashed node's coordinate and restarts it from the origin", () => {
    const sim = twoGroups(4);
    sim.runForMs(60_000);
    const before = sim.coordinateOf("n5");
    expect(before?.error).toBeLessThan(1.5);
    sim.crash("n5");
    expect(sim.coordinateOf("n5")).toBeUndefined();
    expect(sim.estimatedRttMs("n0", "n5")).toBeUndefined();
    sim.restart("n5");
    expect(sim.coordinateOf("n5")?.vec.every((x) => x === 0)).toBe(true);
    expect(sim.coordinateOf("n5")?.error).toBe(1.5);
  });

  it("is deterministic: the same seed gives the same coordinates and trace hash", () => {
    const a = twoGroups(5);
    const b = twoGroups(5);
    a.runForMs(20_000);
    b.runForMs(20_000);
    expect(a.coordinateOf("n3")).toEqual(b.coordinateOf("n3"));
    expect(a.traceHash).toBe(b.traceHash);
  });
});
