import {describe, expect, it} from "vitest";
import {compareFidelity, fidelityFigures, runScenario, type SimReport} from "../../sim/index.ts";

/** A 12-node run with one crash at 20 s, 60 s long. */
function crashRun(seed: number): SimReport {
  return runScenario(
    {
      name: "fidelity-unit",
      nodes: 12,
      durationMs: 60_000,
      latency: {minMs: 0.08, jitterMeanMs: 0.07},
      faults: [{atMs: 20_000, type: "crash", nodes: "n4"}],
    },
    {seed},
  ).report;
}

describe("fidelity figures", () => {
  const a = crashRun(1);

  it("takes detection, false positives, flaps, suspicions and load from a report", () => {
    const f = fidelityFigures(a);
    expect(f.firstDetectionMs).toBe(a.detection.firstMs.p50);
    expect(f.fullDetectionMs).toBe(a.detection.allMs.p50);
    expect(f.firstDetectionMs).toBeGreaterThan(0);
    expect(f.falsePositives).toBe(0);
    expect(f.suspicions).toBe(a.core.suspicions);
    expect(f.refutations).toBe(a.core.refutations);
    expect(f.agreementMs).toBeNull();
    expect(f.messagesPerNodePerSec).toBeCloseTo(a.load.messagesPerNodePerSec);
  });

  it("flags nothing when the real run is the simulated one", () => {
    const rows = compareFidelity([a], a);
    expect(rows.filter((r) => r.flag !== null)).toEqual([]);
    expect(rows.find((r) => r.figure === "firstDetectionMs")?.ratio).toBe(1);
    expect(rows.find((r) => r.figure === "agreementMs")).toMatchObject({sim: null, real: null, ratio: null});
  });

  it("folds several seeds into their median and range", () => {
    const sims = [crashRun(1), crashRun(2), crashRun(3)];
    const values = sims.map((r) => r.detection.firstMs.p50 as number).sort((x, y) => x - y);
    const row = compareFidelity(sims, a).find((r) => r.figure === "firstDetectionMs");
    expect(row?.sim).toBe(values[1]);
    expect(row?.simRange).toEqual([values[0], values[2]]);
  });

  it("flags a difference over 25 % beyond the floor, and a false positive on one side only", () => {
    const slow = {
      ...a,
      detection: {...a.detection, allMs: {...a.detection.allMs, p50: (a.detection.allMs.p50 as number) * 2}},
      falsePositives: {...a.falsePositives, count: 1},
      load: {...a.load, messagesPerNodePerSec: a.load.messagesPerNodePerSec + 0.1},
    } as SimReport;
    const rows = compareFidelity([a], slow);
    const byFigure = new Map(rows.map((r) => [r.figure, r]));
    expect(byFigure.get("fullDetectionMs")?.flag).toBe("differs by 100 %");
    expect(byFigure.get("falsePositives")?.flag).toBe("false positive on the testbed only");
    // 0.1 msg/s is under the 0.2 floor: not a finding.
    expect(byFigure.get("messagesPerNodePerSec")?.flag).toBeNull();
    expect(byFigure.get("firstDetectionMs")?.flag).toBeNull();
  });

  it("says when a flagged real value lies inside the simulator's seed range", () => {
    const withFirst = (p50: number): SimReport =>
      ({...a, detection: {...a.detection, firstMs: {...a.detection.firstMs, p50}}}) as SimReport;
    const sims = [4_000, 5_000, 6_000, 7_000, 9_000].map(withFirst);
    const flag = (p50: number): string | null | undefined =>
      compareFidelity(sims, withFirst(p50)).find((r) => r.figure === "firstDetectionMs")?.flag;
    expect(flag(8_000)).toBe("differs by 33 % (inside the simulator's seed range)");
    expect(flag(12_000)).toBe("differs by 100 %");
    expect(flag(6_500)).toBeNull();
  });

  it("needs at least one simulator report", () => {
    expect(() => compareFidelity([], a)).toThrow(RangeError);
  });
});
