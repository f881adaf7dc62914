/*
 * Five real agents on loopback (in this process, real UDP and TCP sockets), with the fast config
 * (local profile, 200 ms probes). Covers convergence, crash detection within the bound the config
 * implies, restart with the same name, and graceful leave.
 *
 * The crash bound (src/core/bounds.ts) for n = 5 with this config and healthy observers:
 *   first probe 2·(n−1)·200 = 1600 ms + probe period 200 ms + max suspicion 6·3·1·200 = 3600 ms
 *   + dissemination 2·ceil(log10 6)·100 = 200 ms  = 5600 ms, plus 1000 ms of scheduling slack for
 *   five agents sharing one event loop on a loaded 2-core machine. When the machine is so loaded
 *   that the observers' own probes time out, Lifeguard raises their awareness score and stretches
 *   their probe interval by (score + 1); the bound then uses the highest score they reached.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {createAgent} from "../../src/agent/index.ts";
import {detectionBound} from "../../src/core/bounds.ts";
import {AgentCluster, addressOf, allSee, eventually, FAST_CONFIG} from "../helpers/agent-cluster.ts";

const NAMES = ["n1", "n2", "n3", "n4", "n5"];
const SLACK_MS = 1_000;
const CRASH_BOUND_MS = detectionBound(FAST_CONFIG, NAMES.length).totalMs + SLACK_MS;
/** The bound allowing for the observers' highest awareness score (Lifeguard slowing an overloaded node). */
const crashBoundMs = (score: number): number => detectionBound(FAST_CONFIG, NAMES.length, score).totalMs + SLACK_MS;

describe("a five-agent cluster on loopback", () => {
  const cluster = new AgentCluster();

  beforeAll(async () => {
    await cluster.start(NAMES);
  });
  afterAll(async () => {
    await cluster.stopAll();
  });

  it("converges: every agent lists all five members alive, each with incarnation ≥ 1", async () => {
    await eventually(
      () => allSee(cluster.running(), NAMES, "alive"),
      15_000,
      "all five see five alive",
      () => cluster.describe(),
    );
    for (const agent of cluster.running()) {
      expect(agent.members().every((m) => m.incarnation >= 1)).toBe(true);
    }
  });

  it("detects a crashed agent (sockets closed without leaving) at every other agent within the config's bound", async () => {
    expect(CRASH_BOUND_MS).toBe(6_600);
    const victim = cluster.get("n3");
    const observers = cluster.running().filter((a) => a !== victim);
    let maxScore = 0;
    const sampleScores = (): void => {
      for (const o of observers) maxScore = Math.max(maxScore, o.node.awarenessScore);
    };
    const crashedAt = performance.now();
    await victim.stop();
    await eventually(
      () => {
        sampleScores();
        return (
          observers.every((o) => cluster.find(o.name, "n3", "down", crashedAt) !== undefined) ||
          performance.now() - crashedAt > crashBoundMs(maxScore)
        );
      },
      crashBoundMs(FAST_CONFIG.awarenessMaxMultiplier),
      "every observer reports n3 down, or the bound passes",
      () => cluster.describe(),
    );
    const bound = crashBoundMs(maxScore);
    for (const observer of observers) {
      const event = cluster.find(observer.name, "n3", "down", crashedAt);
      expect(event?.reason, `${observer.name} reports n3 down (bound ${bound} ms)\n${cluster.describe()}`).toBe(
        "failed",
      );
      expect((event?.atMs ?? Number.POSITIVE_INFINITY) - crashedAt).toBeLessThanOrEqual(bound);
      expect(observer.members().find((m) => m.name === "n3")?.state).toBe("dead");
    }
  });

  it("lets a restarted agent with the same name and address rejoin alive with a higher incarnation", async () => {
    const before = cluster
      .get("n1")
      .members()
      .find((m) => m.name === "n3");
    expect(before?.state).toBe("dead");
    const oldAddress = `${before?.addr}:${before?.port}`;
    const restartedAt = performance.now();
    await cluster.add({name: "n3", bind: oldAddress, join: [addressOf(cluster.get("n1"))]});
    const observers = cluster.running().filter((a) => a.name !== "n3");
    await eventually(
      () =>
        observers.every((o) => {
          const m = o.members().find((x) => x.name === "n3");
          return m?.state === "alive" && m.incarnation > (before?.incarnation ?? 0);
        }),
      10_000,
      "every agent sees the restarted n3 alive with a higher incarnation",
      () => cluster.describe(),
    );
    for (const observer of observers) expect(cluster.find(observer.name, "n3", "up", restartedAt)).toBeDefined();
    await eventually(
      () => allSee([cluster.get("n3")], NAMES, "alive"),
      10_000,
      "n3 sees everyone",
      () => cluster.describe(),
    );
  });

  it("shows a graceful leave as left (not failed) at every other agent", async () => {
    const leaver = cluster.get("n5");
    const observers = cluster.running().filter((a) => a !== leaver);
    const leftAt = performance.now();
    await leaver.leave();
    expect(leaver.state).toBe("left");
    await eventually(
      () => observers.every((o) => o.members().find((m) => m.name === "n5")?.state === "left"),
      5_000,
      "every observer lists n5 as left",
      () => cluster.describe(),
    );
    for (const observer of observers) {
      expect(cluster.find(observer.name, "n5", "down", leftAt)?.reason).toBe("left");
    }
    await leaver.stop();
  });
});

describe("joining", () => {
  it("rejects with JoinError naming the address when no seed answers", async () => {
    const agent = await createAgent({name: "lonely", bind: "127.0.0.1:0", profile: "local", tcpTimeoutMs: 500});
    try {
      // A port we just bound and closed: nothing listens there.
      const probe = await createAgent({name: "gone", bind: "127.0.0.1:0"});
      const deadAddress = addressOf(probe);
      await probe.stop();
      await expect(agent.join([deadAddress])).rejects.toMatchObject({name: "JoinError"});
      await expect(agent.join(["not a host:1"])).rejects.toMatchObject({name: "InvalidConfigError", field: "addrs"});
    } finally {
      await agent.stop();
    }
  });

  it("resolves a DNS name to its addresses and retries the startup join until the seed appears", async () => {
    const seedProbe = await createAgent({name: "seed-probe", bind: "127.0.0.1:0"});
    const port = seedProbe.address.port;
    await seedProbe.stop();
    const joiner = await createAgent({
      name: "joiner",
      bind: "127.0.0.1:0",
      profile: "local",
      join: [`localhost:${port}`],
      retryJoinIntervalMs: 100,
      tcpTimeoutMs: 300,
    });
    const attempts: number[] = [];
    joiner.on("join:attempt", (r) => attempts.push(r.answered));
    try {
      await eventually(() => attempts.length >= 1, 5_000, "a first failed join attempt");
      expect(attempts[0]).toBe(0);
      const seed = await createAgent({name: "seed", bind: `127.0.0.1:${port}`, profile: "local"});
      try {
        expect(await joiner.joined).toBe(true);
        expect(attempts[attempts.length - 1]).toBeGreaterThan(0);
        await eventually(
          () => allSee([seed, joiner], ["seed", "joiner"], "alive"),
          5_000,
          "seed and joiner see each other",
        );
      } finally {
        await seed.stop();
      }
    } finally {
      await joiner.stop();
    }
  });
});
