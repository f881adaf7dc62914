/*
 * Serf's user events and queries in the simulator: every simulated node runs serf's layer, the
 * events ride the real gossip (with loss), and the report's `serf` section says who got what,
 * when and how often. The bounds come from the protocol (test/helpers/event-bounds.ts):
 *
 *   No loss. A node misses an event's gossip with probability gossipMiss = e^−R (R = 8 copies
 *   per node at N = 24: 3.4·10^−4); otherwise it has it within disseminationBoundMs, so the p99
 *   latency is under that bound. Misses are repaired by serf's push-pull state within two of the
 *   node's own push-pulls: every live node has every event within eventDeliveryBoundMs, exactly
 *   once (serf de-duplicates by LTime, name and payload). The tests shorten pushPullIntervalMs to
 *   10 s so that bound (24.2 s) fits a short run with a drain of that length after the last event.
 *
 *   10 % loss (the shipped scenario, N = 32). gossipMiss = e^−0.9·8 ≈ 7.5·10^−4, so the ≈ 1,400
 *   owed (event, node) deliveries of a run lose ≈ 1 to gossip; push-pull (30 s) repairs each
 *   unless the node has no exchange before the end (≈ 4 % with the 20 s drain), so ≈ 0.05 misses
 *   remain. The threshold 0.999 allows one miss per thousand; duplicates must be exactly 0.
 *
 *   Queries. The query travels like an event (missed with probability gossipMiss, and never
 *   repaired: push-pull carries no queries); each ack and each response is one datagram with no
 *   retry, so at loss p the expected response rate is (1 − p)(1 − gossipMiss) ≈ 0.9. Over the
 *   ≈ 190 (query, node) pairs of a run the standard deviation is ≈ 0.022, so 0.8 is > 4 σ below.
 *   With relayFactor 2 a response is lost only if the direct datagram and both two-hop relays
 *   are: p · (1 − (1 − p)²)² ≈ 0.0036, so the rate must be ≥ 0.97.
 */
import {join} from "node:path";
import {describe, expect, it} from "vitest";
import {
  buildReport,
  createSimulation,
  eventPayload,
  loadScenarioFile,
  runScenario,
  type Scenario,
  SerfMetrics,
  type SimReport,
  sendQuery,
  sendUserEvent,
} from "../../sim/index.ts";
import {emptySerfStats} from "../../src/serf/index.ts";
import {eventDeliveryBoundMs, gossipMissProbability} from "../helpers/event-bounds.ts";
import {disseminationBoundMs, latencyAllowanceMs} from "../helpers/property-bounds.ts";

const SHIPPED = join(import.meta.dirname, "../../sim/scenarios/user-events-loss.json");

/**
 * 24 nodes, push-pull every 10 s; events every 1 s ± 0.3 s from 8 s to 38 s, a query every
 * 6 s ± 1 s; 27 s to drain (more than eventDeliveryBoundMs, 24.2 s here).
 */
function trafficScenario(init: Partial<Scenario> & {readonly seed: number}): Scenario {
  return {
    name: "serf-traffic",
    nodes: 24,
    durationMs: 65_000,
    config: {pushPullIntervalMs: 10_000},
    latency: {minMs: 1, jitterMeanMs: 1},
    events: [{atMs: 8_000, everyMs: 1_000, jitterMs: 300, untilMs: 38_000, from: "all", name: "tick"}],
    queries: [{atMs: 9_000, everyMs: 6_000, jitterMs: 1_000, untilMs: 38_000, from: "all", name: "who"}],
    ...init,
  };
}

function serfOf(report: SimReport, seed: number): NonNullable<SimReport["serf"]> {
  expect(report.serf, `seed ${seed}: the run has a serf section`).not.toBeNull();
  return report.serf as NonNullable<SimReport["serf"]>;
}

describe("serf events in the simulator", () => {
  it("with no loss gets every event to every live node exactly once, within the gossip + push-pull repair bound", () => {
    const seed = 11;
    const {report, sim} = runScenario(trafficScenario({seed, lossRate: 0}));
    const s = serfOf(report, seed);
    const latency = latencyAllowanceMs(sim.options.latency);
    const gossipBound = disseminationBoundMs(sim.options.config, 24, latency);
    const bound = eventDeliveryBoundMs(sim.options.config, 24, latency);
    expect(38_000 + bound, "the run drains for the whole bound").toBeLessThan(65_000);
    expect(gossipMissProbability(sim.options.config, 24, 0), "gossip misses are rare enough for a p99").toBeLessThan(
      0.01,
    );
    expect(s.events.count, `seed ${seed}`).toBeGreaterThanOrEqual(25);
    for (const e of s.events.perEvent) {
      expect(e.eligible, `seed ${seed}: ${e.name} at ${e.atMs}`).toBe(23);
      expect(e.delivered, `seed ${seed}: ${e.name} at ${e.atMs}`).toBe(23);
      expect(e.duplicates, `seed ${seed}: ${e.name} at ${e.atMs}`).toBe(0);
    }
    expect(s.events.completeness).toBe(1);
    expect(s.events.delivered).toBe(s.events.expected);
    expect(s.events.latencyMs.p99 as number, `seed ${seed}: p99 vs gossip bound ${gossipBound} ms`).toBeLessThanOrEqual(
      gossipBound,
    );
    expect(s.events.latencyMs.max as number, `seed ${seed}: slowest delivery vs bound ${bound} ms`).toBeLessThanOrEqual(
      bound,
    );
    // Every layer saw each event once as new: the emitter (its own delivery) plus 23 receivers.
    expect(s.layer.eventsReceived).toBe(s.events.count * 24);
  });

  it("under 10% loss keeps completeness ≥ 0.999 with no duplicates, on three seeds", () => {
    const scenario = loadScenarioFile(SHIPPED);
    for (const seed of [1, 2, 3]) {
      const {report} = runScenario(scenario, {seed});
      const lossSeen = report.network.lost / report.network.datagrams;
      expect(lossSeen, `seed ${seed}: the network really lost ~10%`).toBeGreaterThan(0.08);
      const s = serfOf(report, seed);
      expect(s.events.count, `seed ${seed}`).toBeGreaterThanOrEqual(40);
      expect(s.events.completeness as number, `seed ${seed}`).toBeGreaterThanOrEqual(0.999);
      expect(s.events.duplicates, `seed ${seed}`).toBe(0);
      expect(
        report.checks.filter((c) => !c.ok),
        `seed ${seed}`,
      ).toEqual([]);
    }
  });

  it("judges eligibility per process: a node down during an event is not owed it, its new process is", () => {
    const seed = 5;
    const {report} = runScenario(
      trafficScenario({
        seed,
        lossRate: 0,
        faults: [{atMs: 15_000, type: "crash", nodes: "n5", restartAfterMs: 10_000}],
      }),
    );
    const s = serfOf(report, seed);
    const before = s.events.perEvent.filter((e) => e.atMs < 15_000);
    const during = s.events.perEvent.filter((e) => e.atMs > 15_000 && e.atMs < 25_000);
    const after = s.events.perEvent.filter((e) => e.atMs > 30_000);
    expect(before.length).toBeGreaterThan(3);
    expect(during.length).toBeGreaterThan(3);
    expect(after.length).toBeGreaterThan(3);
    // Sent before the crash: n5's old process got it, but that process is gone, so it is not owed.
    for (const e of [...before, ...during]) if (e.from !== "n5") expect(e.eligible, `at ${e.atMs}`).toBe(22);
    for (const e of after) if (e.from !== "n5") expect(e.eligible, `at ${e.atMs}`).toBe(23);
    expect(s.events.completeness).toBe(1);
    expect(s.events.duplicates).toBe(0);
  });

  it("sends on a jittered period, not phase-locked to the tickers", () => {
    const {report} = runScenario(trafficScenario({seed: 3, lossRate: 0}));
    const times = serfOf(report, 3).events.perEvent.map((e) => e.atMs);
    const gaps = times.slice(1).map((t, k) => t - (times[k] as number));
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(700);
      expect(g).toBeLessThanOrEqual(1_300);
    }
    expect(new Set(gaps).size).toBeGreaterThan(gaps.length / 2);
  });
});

describe("serf queries in the simulator", () => {
  it("with no loss gets an ack and a response from (all but at most one of) the live nodes before the deadline", () => {
    // A node misses a query's gossip with probability 3.4·10^−4 (no repair for queries), so two
    // misses in one query of 23 nodes have probability ≈ C(23, 2) · (3.4·10^−4)² ≈ 3·10^−5.
    for (const seed of [11, 12]) {
      const s = serfOf(runScenario(trafficScenario({seed, lossRate: 0})).report, seed);
      expect(s.queries.count).toBeGreaterThanOrEqual(5);
      for (const q of s.queries.perQuery) {
        expect(q.eligible, `seed ${seed}: query at ${q.atMs}`).toBe(23);
        expect(q.acks, `seed ${seed}: query at ${q.atMs}`).toBeGreaterThanOrEqual(22);
        // Without loss, whoever got the query both acked and answered.
        expect(q.responses, `seed ${seed}: query at ${q.atMs}`).toBe(q.acks);
        expect(q.responseLatencyMs.max as number).toBeLessThanOrEqual(q.timeoutMs);
      }
    }
  });

  it("under 10% loss gets responses from ≥ 80% of the eligible nodes, and ≥ 97% with relayFactor 2", () => {
    const scenario = loadScenarioFile(SHIPPED);
    for (const seed of [1, 2]) {
      const direct = serfOf(runScenario(scenario, {seed}).report, seed);
      expect(direct.queries.eligible, `seed ${seed}`).toBeGreaterThanOrEqual(150);
      expect(direct.queries.responseRate as number, `seed ${seed}`).toBeGreaterThanOrEqual(0.8);
      // Not everything arrives: each response is one unrepeated datagram.
      expect(direct.queries.responseRate as number, `seed ${seed}`).toBeLessThan(1);
      const relayed = serfOf(
        runScenario({...scenario, queries: (scenario.queries ?? []).map((q) => ({...q, relayFactor: 2}))}, {seed})
          .report,
        seed,
      );
      expect(relayed.queries.responseRate as number, `seed ${seed}`).toBeGreaterThanOrEqual(0.97);
      expect(relayed.layer.relaysForwarded, `seed ${seed}`).toBeGreaterThan(0);
    }
  });

  it("can be driven by hand on a Simulation with serf on", () => {
    const sim = createSimulation({nodes: 8, seed: 4, serf: true});
    sim.runForMs(5_000);
    expect(sendUserEvent(sim, 2, {name: "hand", payloadBytes: 8})).toBe(true);
    expect(sendQuery(sim, 3, {name: "hand", timeoutMs: 2_000})).toBe(true);
    sim.crash("n6");
    expect(sendUserEvent(sim, 6, {name: "hand"})).toBe(false);
    sim.runForMs(5_000);
    const s = buildReport(sim, {name: "hand", description: "", durationMs: sim.nowMs, wallMs: null}).serf;
    expect(s?.events.count).toBe(1);
    expect(s?.events.perEvent[0]).toMatchObject({from: "n2", eligible: 6, delivered: 6, duplicates: 0});
    expect(s?.queries.perQuery[0]).toMatchObject({from: "n3", eligible: 6, acks: 6, responses: 6});
  });
});

describe("serf traffic: determinism and scenario checks", () => {
  it("gives the same report (trace hash included) for the same seed, and another for another seed", () => {
    const scenario = loadScenarioFile(SHIPPED);
    const a = runScenario(scenario, {seed: 9, nodes: 16, durationMs: 60_000}).report;
    const b = runScenario(scenario, {seed: 9, nodes: 16, durationMs: 60_000}).report;
    const c = runScenario(scenario, {seed: 10, nodes: 16, durationMs: 60_000}).report;
    expect(a.serf?.events.count).toBeGreaterThan(10);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(c.traceHash).not.toBe(a.traceHash);
  });

  it("leaves a scenario without events or queries without serf's layer (and its report section null)", () => {
    const {sim, report} = runScenario({name: "plain", nodes: 6, durationMs: 10_000});
    expect(sim.serf).toBeUndefined();
    expect(report.serf).toBeNull();
  });

  it("rejects bad traffic entries, naming the field", () => {
    const base = trafficScenario({seed: 1, durationMs: 10_000});
    const bad: [Partial<Scenario>, string][] = [
      [{events: [{atMs: 0, everyMs: 1_000, jitterMs: 1_000, from: "all", name: "x"}]}, "events[0].jitterMs"],
      [{events: [{atMs: 0, from: "all", name: "x", payloadBytes: 2}]}, "events[0].payloadBytes"],
      [{events: [{atMs: 0, from: "n99", name: "x"}]}, "events[0].from"],
      [{events: [{atMs: 0, from: "all", name: ""}]}, "events[0].name"],
      [{events: [{atMs: 0, untilMs: 5, from: "all", name: "x"}]}, "events[0].everyMs"],
      [{queries: [{atMs: 0, from: "all", name: "_serf_ping"}]}, "queries[0].name"],
      [{queries: [{atMs: 0, from: "all", name: "q", relayFactor: 9}]}, "queries[0].relayFactor"],
      [{queries: [{atMs: 0, from: "all", name: "q", bogus: 1} as never]}, "queries[0].bogus"],
    ];
    for (const [change, field] of bad) {
      expect(() => runScenario({...base, ...change}), field).toThrow(expect.objectContaining({field}));
    }
  });

  it("fails the scenario's expectation when completeness falls short instead of hiding it", () => {
    const {report} = runScenario(
      trafficScenario({
        seed: 2,
        durationMs: 20_000,
        lossRate: 0,
        // Two thirds of the cluster cut off from the rest while events flow: they cannot all arrive.
        faults: [{atMs: 9_000, type: "partition", a: "0%-33%", b: "33%-100%"}],
        expect: {minEventCompleteness: 0.99},
      }),
    );
    const check = report.checks.find((c) => c.name === "minEventCompleteness");
    expect(check?.ok).toBe(false);
    expect(report.serf?.events.completeness as number).toBeLessThan(0.99);
  });
});

describe("SerfMetrics", () => {
  it("counts a second delivery to one process as a duplicate, and a restarted process's delivery as new", () => {
    const m = new SerfMetrics(["n0", "n1", "n2"]);
    const index = m.registerEvent("e", 0, 100, Int32Array.from([1, 2, 3])) as number;
    const payload = eventPayload(index, 8);
    m.onEvent(0, 1, "e", payload, 100);
    m.onEvent(1, 2, "e", payload, 150);
    m.onEvent(1, 2, "e", payload, 170);
    m.onEvent(2, 3, "e", payload, 400);
    m.onEvent(2, 4, "e", payload, 900); // n2's next process: not a duplicate, and not owed either
    const now = Int32Array.from([1, 2, 4]);
    const r = m.report(now, emptySerfStats());
    expect(r.events.perEvent[0]).toMatchObject({eligible: 1, delivered: 1, duplicates: 1, completeness: 1});
    expect(r.events.latencyMs).toMatchObject({count: 1, max: 50});
    expect(r.events.duplicates).toBe(1);
  });

  it("ignores payloads that name no tracked event", () => {
    const m = new SerfMetrics(["n0"]);
    m.onEvent(0, 1, "x", new Uint8Array(2), 0);
    m.onEvent(0, 1, "x", eventPayload(7, 4), 0);
    expect(m.foreign).toBe(2);
  });
});
