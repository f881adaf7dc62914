/*
 * The property tests' own instruments must be able to fail: the bounds are the documented
 * formulas (checked against memberlist's published numbers), the strong agreement check notices a
 * stale member list, and the event watcher sees every member event.
 */
import {describe, expect, it} from "vitest";
import {lanConfig, localConfig, wanConfig} from "../../src/core/index.ts";
import {completenessBoundMs, disseminationRounds, suspicionMaxMs, suspicionMinMs} from "../helpers/property-bounds.ts";
import {bootstrap, memberListMismatch, simulate, watchEvents} from "../helpers/property-cluster.ts";

describe("property bounds", () => {
  const rows = [
    {
      title: "LAN, 100 members: suspicion 8 s / 48 s (anchors: memberlist timings)",
      c: lanConfig(),
      n: 100,
      min: 8_000,
      max: 48_000,
    },
    {title: "LAN, 1000 members: suspicion 12 s / 72 s", c: lanConfig(), n: 1000, min: 12_000, max: 72_000},
    {title: "LAN, 5 members: log10 below 1 counts as 1, 4 s / 24 s", c: lanConfig(), n: 5, min: 4_000, max: 24_000},
    {title: "WAN, 12 members: 6 × 1.079 × 5 s", c: wanConfig(), n: 12, min: 32_370, max: 194_220},
    {title: "local, 12 members: 3 × 1.079 × 1 s", c: localConfig(), n: 12, min: 3_237, max: 19_422},
  ];
  for (const r of rows) {
    it(r.title, () => {
      expect(suspicionMinMs(r.c, r.n)).toBe(r.min);
      expect(suspicionMaxMs(r.c, r.n)).toBe(r.max);
    });
  }

  it("dissemination allows 4 · ceil(log2 N) rounds", () => {
    expect([2, 5, 8, 12, 1000].map(disseminationRounds)).toEqual([4, 12, 12, 16, 40]);
  });

  it("the LAN completeness bound at 12 nodes is 21 probe periods + 8 + 25.9 s + 16 rounds", () => {
    expect(completenessBoundMs(lanConfig(), 12, 0)).toBe(21_000 + 8_000 + 25_896 + 16 * 200);
  });
});

describe("property instruments", () => {
  it("the strong agreement check reports a crashed node still held alive, and agreement once it is dead", () => {
    const sim = simulate({
      nodes: 5,
      profile: "local",
      seed: 9,
      lossRate: 0,
      latency: {minMs: 1, jitterMeanMs: 1},
      duplicateRate: 0,
      reorderRate: 0,
    });
    const events: string[] = [];
    watchEvents(sim, ({observer, event}) => {
      if ("member" in event) events.push(`${observer} ${event.type} ${event.member.name}`);
    });
    bootstrap(sim);
    expect(memberListMismatch(sim)).toBeUndefined();
    sim.crash("n3");
    expect(memberListMismatch(sim)).toMatch(/holds stopped n3 alive/);
    sim.runForMs(30_000);
    expect(memberListMismatch(sim)).toBeUndefined();
    expect(events).toContain("n0 memberDown n3");
    expect(events.filter((e) => e.endsWith("memberDown n3")).length).toBe(4);
  });
});
