/*
 * The singleton-job example (examples/singleton-job.ts) on three real agents on loopback with
 * the fast config: once the views agree exactly one agent runs the job; when that agent
 * crashes, the job starts on the key's next owner within the detection bound; when the new
 * owner leaves gracefully, it moves again, faster.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {runSingleton, type Singleton} from "../../examples/singleton-job.ts";
import {detectionBound} from "../../src/core/bounds.ts";
import {AgentCluster, allSee, eventually, FAST_CONFIG} from "../helpers/agent-cluster.ts";

const NAMES = ["s1", "s2", "s3"];
const KEY = "nightly-report";
// Scheduling slack: three agents share one event loop on a loaded 2-core machine.
const SLACK_MS = 3_000;
const FAILOVER_BOUND_MS = detectionBound(FAST_CONFIG, NAMES.length).totalMs + SLACK_MS;

interface JobEvent {
  readonly node: string;
  readonly type: "start" | "stop";
  readonly atMs: number;
}

describe("singleton job failover on three loopback agents", () => {
  const cluster = new AgentCluster();
  const jobEvents: JobEvent[] = [];
  const singletons = new Map<string, Singleton>();

  const runningOn = (): string[] =>
    cluster
      .running()
      .filter((a) => singletons.get(a.name)?.running)
      .map((a) => a.name);

  beforeAll(async () => {
    await cluster.start(NAMES);
    await eventually(
      () => allSee(cluster.running(), NAMES, "alive"),
      10_000,
      "all see three alive",
      () => cluster.describe(),
    );
    for (const agent of cluster.running()) {
      const singleton = runSingleton(agent, KEY, {
        start: () => void jobEvents.push({node: agent.name, type: "start", atMs: performance.now()}),
        stop: () => void jobEvents.push({node: agent.name, type: "stop", atMs: performance.now()}),
      });
      singletons.set(agent.name, singleton);
    }
  });
  afterAll(async () => {
    for (const singleton of singletons.values()) await singleton.close();
    await cluster.stopAll();
  });

  it("runs the job on exactly one agent, the ring owner of the key, once the views agree", async () => {
    await eventually(() => runningOn().length === 1, 2_000, "one agent runs the job");
    const owner = cluster.get("s1").ring.owner(KEY);
    expect(runningOn()).toEqual([owner]);
    expect(jobEvents).toEqual([expect.objectContaining({node: owner, type: "start"})]);
  });

  it("moves the job to the key's next owner when its agent crashes, within the detection bound", async () => {
    const first = runningOn()[0] as string;
    const survivor = cluster.running().find((a) => a.name !== first);
    const expected = survivor?.ring.owners(KEY, 2)[1];
    const crashedAt = performance.now();
    await cluster.get(first).stop(); // no leave: peers must detect the failure
    await eventually(
      () => runningOn().length === 1 && runningOn()[0] !== first,
      FAILOVER_BOUND_MS,
      "another agent runs the job",
      () => `${cluster.describe()}\njob events: ${JSON.stringify(jobEvents)}`,
    );
    expect(runningOn()).toEqual([expected]);
    const started = jobEvents.find((e) => e.node === expected && e.type === "start");
    expect((started?.atMs ?? Number.POSITIVE_INFINITY) - crashedAt).toBeLessThanOrEqual(FAILOVER_BOUND_MS);
    // Nobody else started it in between.
    expect(jobEvents.filter((e) => e.type === "start").map((e) => e.node)).toEqual([first, expected]);
  });

  it("moves the job again when the new owner leaves gracefully", async () => {
    const current = runningOn()[0] as string;
    const last = NAMES.find((n) => cluster.running().some((a) => a.name === n) && n !== current) as string;
    await singletons.get(current)?.close(); // the job stops here first
    const leftAt = performance.now();
    await cluster.get(current).leave();
    await cluster.get(current).stop();
    await eventually(
      () => runningOn().length === 1 && runningOn()[0] === last,
      5_000,
      `${last} runs the job`,
      () => cluster.describe(),
    );
    const started = jobEvents.find((e) => e.node === last && e.type === "start");
    expect((started?.atMs ?? Number.POSITIVE_INFINITY) - leftAt).toBeLessThan(5_000);
    expect(jobEvents.filter((e) => e.node === current).map((e) => e.type)).toEqual(["start", "stop"]);
  });
});
