import {describe, expect, it} from "vitest";
import {Awareness, scaleTimeoutMs} from "../../../src/core/awareness.ts";

describe("Awareness (memberlist's TestAwareness)", () => {
  // Each row applies `delta` to the running score and checks the score and a scaled 1 s timeout.
  const rows = [
    {title: "starts healthy and cannot go below zero", delta: -1, score: 0, timeout: 1000},
    {title: "a missed ack raises the score", delta: 1, score: 1, timeout: 2000},
    {title: "missing nacks add up", delta: 3, score: 4, timeout: 5000},
    {title: "clamps at awarenessMaxMultiplier − 1", delta: 10, score: 7, timeout: 8000},
    {title: "a success lowers it by one", delta: -1, score: 6, timeout: 7000},
    {title: "large negative deltas clamp at zero", delta: -20, score: 0, timeout: 1000},
  ];
  const a = new Awareness(8);
  for (const r of rows) {
    it(r.title, () => {
      expect(a.applyDelta(r.delta)).toBe(r.score);
      expect(a.score).toBe(r.score);
      expect(a.scaleTimeoutMs(1000)).toBe(r.timeout);
    });
  }

  it("is disabled with awarenessMaxMultiplier 1", () => {
    const off = new Awareness(1);
    expect(off.applyDelta(5)).toBe(0);
    expect(off.scaleTimeoutMs(500)).toBe(500);
  });

  it("scales a timeout by (score + 1)", () => {
    expect(scaleTimeoutMs(1000, 0)).toBe(1000);
    expect(scaleTimeoutMs(1000, 7)).toBe(8000);
  });
});
