/*
 * `agent.metrics`, the agent's prom-client registry, as a program that embeds an agent uses it:
 * merged into the program's own registry (with and without Node's default metrics on either
 * side), scraped before start without throwing, and live: counters rise as the agent works.
 */
import {Counter, collectDefaultMetrics, Registry} from "prom-client";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {Agent} from "../../src/agent/index.ts";
import {InvalidConfigError} from "../../src/core/index.ts";
import {AgentCluster, eventually} from "../helpers/agent-cluster.ts";

/** The value of one unlabelled or labelled sample in a text exposition, NaN when absent. */
function sample(text: string, line: string): number {
  const escaped = line.replace(/[{}"=]/g, (c) => `\\${c}`);
  return Number(new RegExp(`^${escaped} (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
}

describe("agent.metrics (prom-client)", () => {
  const cluster = new AgentCluster();
  let a: Agent;

  beforeAll(async () => {
    const [first] = await cluster.start(["a", "b"]);
    if (!first) throw new Error("no agent started");
    a = first;
    await eventually(() => a.members().length === 2 && a.node.stats.probes > 0, 5_000, "a sees b");
  });
  afterAll(async () => {
    await cluster.stopAll();
  });

  it("merges into an embedding program's own registry next to its own metrics", async () => {
    const app = new Registry();
    const requests = new Counter({name: "app_requests_total", help: "Requests served.", registers: [app]});
    requests.inc(3);
    const merged = Registry.merge([app, a.metrics]);
    const text = await merged.metrics();
    expect(sample(text, "app_requests_total")).toBe(3);
    expect(sample(text, 'lifeline_members{state="alive"}')).toBe(2);
    expect(sample(text, "lifeline_probes_total")).toBeGreaterThan(0);
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(text).toMatch(/^# TYPE nodejs_gc_duration_seconds histogram$/m);
  });

  it("reads the agent at every scrape: counters rise between scrapes and are never counted twice", async () => {
    const registry = a.metrics;
    const first = sample(await registry.metrics(), "lifeline_probes_total");
    await eventually(() => a.node.stats.probes > first + 2, 5_000, "more probes");
    const text = await registry.metrics();
    const second = sample(text, "lifeline_probes_total");
    expect(second).toBeGreaterThan(first);
    // The value is the agent's own counter at scrape time (reset, then set), not a running sum of scrapes.
    expect(second).toBeLessThanOrEqual(a.node.stats.probes);
    expect(text.match(/^lifeline_probes_total /gm)).toHaveLength(1);
  });

  it("with processMetrics: false, joins a registry that already collects Node's default metrics", async () => {
    const app = new Registry();
    collectDefaultMetrics({register: app});
    // Both registries holding process_* names is exactly the conflict the option exists for.
    expect(() => Registry.merge([app, a.metrics])).toThrow(/already been registered/);
    const lean = await cluster.add({name: "lean", processMetrics: false});
    const text = await Registry.merge([app, lean.metrics]).metrics();
    expect(sample(text, 'lifeline_members{state="alive"}')).toBeGreaterThanOrEqual(1);
    expect(text.match(/^# TYPE process_resident_memory_bytes /gm)).toHaveLength(1);
    expect((await lean.metrics.metrics()).includes("process_")).toBe(false);
  });

  it("can be scraped before start and after stop without throwing", async () => {
    const idle = new Agent({name: "idle", bind: "127.0.0.1:0"});
    const before = await idle.metrics.metrics();
    expect(sample(before, "lifeline_probes_total")).toBe(0);
    expect(sample(before, 'lifeline_members{state="alive"}')).toBe(0);
    await idle.start();
    await idle.stop();
    expect(sample(await idle.metrics.metrics(), "lifeline_probes_total")).toBeGreaterThanOrEqual(0);
  });

  it("refuses a processMetrics that is not a boolean, naming the field", () => {
    expect(() => new Agent({processMetrics: "yes" as unknown as boolean})).toThrow(InvalidConfigError);
    expect(() => new Agent({processMetrics: "yes" as unknown as boolean})).toThrow(/processMetrics/);
  });
});
