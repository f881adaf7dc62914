import {describe, expect, it} from "vitest";
import {buildReport, resolveSimOptions} from "../../../sim/index.ts";
import {type RunRecord, TestbedRecording} from "../../../src/testbed/index.ts";

const options = resolveSimOptions({nodes: 3, profile: "lan"});

function recording(records: RunRecord[], durationMs = 20_000): TestbedRecording {
  return new TestbedRecording({
    options: {...options, latency: {minMs: 0, jitterMeanMs: 0}},
    names: ["n0", "n1", "n2"],
    durationMs,
    records,
    timeline: [],
    core: new Map(),
    gossipToTheDeadMs: options.config.gossipToTheDeadMs,
  });
}

const up = (atMs: number, node: number, member: string, incarnation = 0): RunRecord => ({
  atMs,
  kind: "member",
  node,
  type: "memberUp",
  member,
  state: "alive",
  incarnation,
});
const down = (atMs: number, node: number, member: string, incarnation = 0): RunRecord => ({
  atMs,
  kind: "member",
  node,
  type: "memberDown",
  member,
  state: "dead",
  incarnation,
});

/** Three nodes booted at 0 that all see each other by 1.2 s. */
const BOOT: RunRecord[] = [
  {atMs: 0, kind: "boot", node: 0, restart: false},
  {atMs: 100, kind: "boot", node: 1, restart: false},
  {atMs: 200, kind: "boot", node: 2, restart: false},
  up(500, 0, "n1"),
  up(510, 1, "n0"),
  up(900, 0, "n2"),
  up(1000, 2, "n0"),
  up(1100, 1, "n2"),
  up(1200, 2, "n1"),
];

describe("TestbedRecording", () => {
  it("replays boots and member events into bootstrap agreement, as the simulator judges it", () => {
    const r = buildReport(recording(BOOT), {name: "t", description: "", durationMs: 20_000, wallMs: null});
    expect(r.run).toBe("testbed");
    expect(r.traceHash).toBeNull();
    expect(r.convergence.bootstrapMs).toBe(1200);
    expect(r.convergence.agreesAtEnd).toBe(true);
    expect(r.safety.violations).toBe(0);
    expect(r.series.timesMs).toHaveLength(20);
  });

  it("measures a crash's detection from the SIGKILL, whatever order the records came in", () => {
    const records = [
      down(16_500, 1, "n2"),
      ...BOOT,
      {atMs: 10_000, kind: "crash", node: 2} as RunRecord,
      down(15_000, 0, "n2"),
    ];
    const r = buildReport(recording(records), {name: "t", description: "", durationMs: 20_000, wallMs: null});
    expect(r.detection.crashes).toBe(1);
    expect(r.detection.firstMs.p50).toBe(5_000);
    expect(r.detection.allMs.p50).toBe(6_500);
    expect(r.falsePositives.count).toBe(0);
    expect(r.convergence.agreesAtEnd).toBe(true);
  });

  it("takes the agents' load reads as the report's load, series and network figures", () => {
    const load = (atMs: number, node: number, datagrams: number): RunRecord => ({
      atMs,
      kind: "load",
      node,
      datagrams,
      datagramBytes: datagrams * 100,
      datagramsIn: datagrams - 1,
      streams: 1,
      streamBytes: 500,
      messages: datagrams * 2,
      decodeErrors: 0,
    });
    const records = [...BOOT, load(1500, 0, 10), load(2500, 1, 20), load(2600, 0, 5)];
    const r = buildReport(recording(records, 4_000), {name: "t", description: "", durationMs: 4_000, wallMs: null});
    expect(r.load.datagrams).toBe(35);
    expect(r.load.datagramBytes).toBe(3_500);
    expect(r.load.streams).toBe(3);
    expect(r.load.streamBytes).toBe(1_500);
    expect(r.load.byType).toEqual([
      expect.objectContaining({type: "all (agent counters)", messages: 70, bytes: 5_000}),
    ]);
    expect(r.series.messages).toEqual([0, 20, 50, 0]);
    expect(r.network.datagrams).toBe(35);
    expect(r.network.delivered).toBe(32);
  });

  it("counts a live node declared dead as a false positive, and an illegal transition as a violation", () => {
    const records = [...BOOT, down(5_000, 0, "n1"), down(6_000, 0, "n1", 0)];
    const r = buildReport(recording(records), {name: "t", description: "", durationMs: 20_000, wallMs: null});
    expect(r.falsePositives.count).toBe(1);
    expect(r.safety.violations).toBe(1);
    expect(r.convergence.agreesAtEnd).toBe(false);
  });
});
