import {readdirSync} from "node:fs";
import {join} from "node:path";
import {describe, expect, it} from "vitest";
import {loadScenarioFile, runScenario, type SimReport} from "../../sim/index.ts";

const DIR = join(import.meta.dirname, "../../sim/scenarios");

/** Every shipped scenario at a small size, with what it must show besides its own expectations. */
const CASES: Record<string, {nodes: number; check: (r: SimReport) => void}> = {
  "scale-crash-partition": {
    nodes: 100,
    check: (r) => {
      // Converged from t = 0: agreement before the first sample.
      expect(r.convergence.bootstrapMs).toBe(0);
      expect(r.detection.crashes).toBe(1);
      expect(r.detection.detectedByAll).toBe(1);
      const partition = r.timeline.find((t) => t.kind === "partition");
      expect(partition?.atMs).toBe(150_000);
      expect(r.convergence.afterHeal[0]?.agreedMs).not.toBeNull();
    },
  },
  "user-broadcasts-storm": {
    nodes: 100,
    check: (r) => {
      // 2 s .. 60 s, one every 500 ± 100 ms.
      expect(r.serf?.events.count).toBeGreaterThan(100);
      expect(r.serf?.events.duplicates).toBe(0);
      expect(r.serf?.events.latencyMs.p50).toBeLessThan(2_000);
    },
  },
  "crash-one": {
    nodes: 20,
    check: (r) => {
      expect(r.detection.crashes).toBe(1);
      expect(r.detection.detectedByAll).toBe(1);
      expect(r.detection.firstMs.p50).toBeGreaterThan(0);
      expect(r.detection.allMs.max as number).toBeGreaterThanOrEqual(r.detection.firstMs.max as number);
    },
  },
  "loss-10": {
    nodes: 20,
    check: (r) => {
      const lossSeen = r.network.lost / r.network.datagrams;
      expect(lossSeen).toBeGreaterThan(0.08);
      expect(lossSeen).toBeLessThan(0.12);
    },
  },
  "loss-30": {
    nodes: 20,
    check: (r) => {
      expect(r.network.lost / r.network.datagrams).toBeGreaterThan(0.27);
      expect(r.stability.distinctClusterSizes).toBeGreaterThanOrEqual(1);
    },
  },
  "partition-heal": {
    nodes: 20,
    check: (r) => {
      const partition = r.timeline.find((t) => t.kind === "partition");
      expect(partition?.atMs).toBe(40_000);
      expect(partition?.endMs).toBe(100_000);
      // Each side declares the other dead while apart: false positives by definition.
      expect(r.falsePositives.count).toBeGreaterThan(0);
      expect(r.convergence.afterHeal[0]?.agreedMs).not.toBeNull();
      expect(r.stability.distinctClusterSizes).toBeGreaterThan(1);
    },
  },
  "flaky-node": {
    nodes: 20,
    check: (r) => {
      expect(r.timeline.filter((t) => t.kind === "loss")).toHaveLength(1);
    },
  },
  "one-way-flapping": {
    nodes: 20,
    check: (r) => {
      const downs = r.timeline.filter((t) => t.kind === "flap");
      // 30 s .. 240 s with 20 s down / 20 s up: six down phases.
      expect(downs.length).toBe(6);
      expect(downs[1]?.atMs).toBe(70_000);
      expect(r.network.blocked).toBeGreaterThan(0);
    },
  },
  "slow-nodes": {
    nodes: 20,
    check: (r) => {
      expect(r.timeline.filter((t) => t.kind === "slow")).toHaveLength(1);
    },
  },
  "bootstrap-1000": {
    nodes: 60,
    check: (r) => {
      expect(r.convergence.bootstrapMs).not.toBeNull();
      expect(r.load.byType.find((t) => t.type === "stream:pushPull")?.messages).toBeGreaterThanOrEqual(59);
    },
  },
  "user-events-loss": {
    nodes: 16,
    check: (r) => {
      expect(r.serf?.events.count).toBeGreaterThanOrEqual(40);
      expect(r.serf?.events.duplicates).toBe(0);
      expect(r.serf?.queries.count).toBeGreaterThanOrEqual(5);
    },
  },
  stall: {
    nodes: 16,
    check: (r) => {
      expect(r.timeline.filter((t) => t.kind === "stall")).toHaveLength(24);
      expect(r.falsePositives.count).toBe(0);
    },
  },
  "rolling-restart": {
    nodes: 20,
    check: (r) => {
      expect(r.detection.crashes).toBe(2);
      expect(r.timeline.filter((t) => t.kind === "restart")).toHaveLength(2);
      expect(r.convergence.afterRestart.count).toBe(2);
    },
  },
};

describe("shipped scenarios", () => {
  it("are all covered by this test", () => {
    const files = readdirSync(DIR)
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.replace(/\.json$/, ""))
      .sort();
    expect(files).toEqual(Object.keys(CASES).sort());
  });

  for (const [name, c] of Object.entries(CASES)) {
    it(`${name} runs at ${c.nodes} nodes and meets its expectations`, () => {
      const scenario = loadScenarioFile(join(DIR, `${name}.json`));
      const {report} = runScenario(scenario, {nodes: c.nodes});
      expect(report.nodes).toBe(c.nodes);
      expect(report.anomalies.decodeErrors).toBe(0);
      expect(report.checks.filter((k) => !k.ok)).toEqual([]);
      c.check(report);
    });
  }

  it("reports a failed expectation instead of hiding it", () => {
    const scenario = loadScenarioFile(join(DIR, "crash-one.json"));
    const {report} = runScenario({...scenario, expect: {crashDetectedWithinMs: 1}}, {nodes: 10});
    expect(report.checks).toEqual([
      expect.objectContaining({name: "safety", ok: true}),
      expect.objectContaining({name: "crashDetectedWithinMs", ok: false}),
    ]);
  });

  it("rejects a scenario with a bad field, naming it", () => {
    const scenario = loadScenarioFile(join(DIR, "crash-one.json"));
    expect(() => runScenario({...scenario, faults: [{type: "crash", atMs: 5, nodes: "n999"}]}, {nodes: 10})).toThrow(
      expect.objectContaining({field: "faults[0].nodes"}),
    );
    expect(() => runScenario({...scenario, lossRate: 2}, {nodes: 10})).toThrow(
      expect.objectContaining({field: "lossRate"}),
    );
  });
});
