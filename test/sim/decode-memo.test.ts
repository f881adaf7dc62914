/*
 * The simulator's decode memo (SimInit.decodeMemo, a GossipMemo shared by all virtual nodes) is
 * invisible in results: a run with a crash and packet loss has the same trace hash, event count
 * and report (detection times, load, anomalies) with the memo as without it, and the memo did
 * answer a large share of the gossip parts in the run that used it.
 */
import {afterEach, describe, expect, it, vi} from "vitest";
import {buildReport, createSimulation, type SimInit, type Simulation} from "../../sim/index.ts";
import {GossipMemo} from "../../src/codec/index.ts";

const DURATION_MS = 30_000;

/** 30 nodes with loss, duplicates and reordering; n5 crashes at 10 s and n9 at 18 s. */
function crashRun(decodeMemo: boolean, extra: Partial<SimInit> = {}): Simulation {
  const sim = createSimulation({
    nodes: 30,
    seed: 2024,
    lossRate: 0.05,
    duplicateRate: 0.02,
    reorderRate: 0.05,
    decodeMemo,
    ...extra,
  });
  sim.runForMs(10_000);
  sim.crash("n5");
  sim.runForMs(8_000);
  sim.crash("n9");
  sim.runForMs(DURATION_MS - 18_000);
  return sim;
}

const reportOf = (sim: Simulation) =>
  buildReport(sim, {name: "decode-memo", description: "", durationMs: DURATION_MS, wallMs: null});

/** Every GossipMemo that decoded something while `run` ran. */
function memosUsedBy<T>(run: () => T): {result: T; memos: GossipMemo[]} {
  const memos = new Set<GossipMemo>();
  const decode = GossipMemo.prototype.decode;
  vi.spyOn(GossipMemo.prototype, "decode").mockImplementation(function (this: GossipMemo, ...args) {
    memos.add(this);
    return decode.apply(this, args);
  });
  const result = run();
  vi.restoreAllMocks();
  return {result, memos: [...memos]};
}

afterEach(() => vi.restoreAllMocks());

describe("the simulator's decode memo", () => {
  it("gives the same trace hash and report with and without the memo in a run with crashes and loss", () => {
    const withMemo = memosUsedBy(() => crashRun(true));
    const without = memosUsedBy(() => crashRun(false));
    expect(without.memos).toEqual([]);
    expect(withMemo.memos).toHaveLength(1);
    const memo = withMemo.memos[0] as GossipMemo;
    // The memo really stood in for the decoder: most gossip parts were repeats.
    expect(memo.hits).toBeGreaterThan(memo.misses);
    expect(memo.misses).toBeGreaterThanOrEqual(30); // at least one alive per node

    const a = withMemo.result;
    const b = without.result;
    expect(a.traceRecords).toBeGreaterThan(5_000);
    expect(a.traceHash).toBe(b.traceHash);
    expect(a.eventsHandled).toBe(b.eventsHandled);
    const ra = reportOf(a);
    const rb = reportOf(b);
    // Both crashes were detected, at the same times.
    expect(ra.detection.crashes).toBe(2);
    expect(ra.detection.detectedByAll).toBe(2);
    expect(ra.detection).toEqual(rb.detection);
    expect(ra).toEqual(rb);
  });

  it("gives the same trace hash with compressed, CRC-framed packets", () => {
    const extra = {nodes: 20, compress: true, crc: true} as const;
    const a = crashRun(true, extra);
    const b = crashRun(false, extra);
    expect(a.traceHash).toBe(b.traceHash);
    expect(reportOf(a)).toEqual(reportOf(b));
  });
});
