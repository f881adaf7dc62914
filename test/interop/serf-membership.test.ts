/*
 * Interop with the real serf binary (Debian's serf 0.9.4, memberlist 0.2.2), Lifeline agents
 * running in this process: joins in both directions, tags, kill -9 detection, graceful leave,
 * compression and encryption. Serf runs with -profile=local and Lifeline with the local profile,
 * so a failure is detected in a few seconds. Every serf process is killed by PID in afterAll.
 */
import {randomBytes} from "node:crypto";
import {afterAll, afterEach, describe, expect, it} from "vitest";
import {type Agent, type AgentInit, type AgentMember, createAgent} from "../../src/agent/index.ts";
import {startSerf} from "../helpers/serf-agent.ts";
import {killAllChildren} from "../helpers/serf-children.ts";
import {describeWithSerf} from "../helpers/serf-gate.ts";
import {freePort} from "../helpers/serf-ports.ts";
import {waitUntil} from "../helpers/serf-wait.ts";

// BOUNDED: the agents of one test; emptied after each.
const agents: Agent[] = [];

/**
 * A Lifeline agent that push-pulls every second. Serf agents here learn of a member that joined
 * through another agent by gossip or by push-pull; gossip alone does not guarantee it (a new
 * member's alive is sent a few times, 4 at these sizes, to random members, and piggybacked on
 * probes and acks too, so one peer can miss every copy), and serf's own push-pull runs every 30 s,
 * past the tests' waits. A push-pull from Lifeline every second closes that gap within seconds.
 */
async function startLifeline(init: AgentInit & {name: string}): Promise<Agent> {
  const port = await freePort();
  const agent = await createAgent({bind: `127.0.0.1:${port}`, profile: "local", pushPullIntervalMs: 1_000, ...init});
  agents.push(agent);
  return agent;
}

function addrOf(agent: Agent): string {
  return `${agent.address.host}:${agent.address.port}`;
}

/** Waits until `agent` lists every name in `names` as alive. */
async function waitAlive(agent: Agent, names: readonly string[], timeoutMs = 15_000): Promise<AgentMember[]> {
  return waitUntil(
    () => {
      const members = agent.members();
      return names.every((n) => members.some((m) => m.name === n && m.state === "alive")) ? members : undefined;
    },
    {
      what: `lifeline ${agent.name} lists ${names.join(", ")} alive`,
      timeoutMs,
      diagnose: () => `lifeline ${agent.name} members: ${JSON.stringify(agent.members())}`,
    },
  );
}

/** Resolves with the first member:down event about `name` (and the time it came). */
function nextDown(agent: Agent, name: string): Promise<{member: AgentMember; reason: "failed" | "left"; at: number}> {
  return new Promise((resolve) => {
    const listener = (member: AgentMember, reason: "failed" | "left"): void => {
      if (member.name !== name) return;
      agent.off("member:down", listener);
      resolve({member, reason, at: performance.now()});
    };
    agent.on("member:down", listener);
  });
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describeWithSerf("Lifeline and the real serf in one cluster", () => {
  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.stop()));
    await killAllChildren();
  });
  afterAll(killAllChildren);

  it("lets a Lifeline agent join a serf cluster, after which each side lists the other alive with its tags", async () => {
    const s1 = await startSerf({name: "serf-1", tags: {role: "db"}});
    const s2 = await startSerf({name: "serf-2", join: [s1.bindAddr]});
    const life = await startLifeline({name: "life-1", tags: {role: "web", dc: "test"}});
    await life.join([s1.bindAddr]);

    const seen = await waitAlive(life, ["serf-1", "serf-2"]);
    expect(seen.find((m) => m.name === "serf-1")?.tags).toEqual({role: "db"});
    expect(seen.find((m) => m.name === "serf-2")?.addr).toBe("127.0.0.1");
    for (const serf of [s1, s2]) {
      const row = await serf.waitForStatus("life-1", "alive", 15_000);
      expect(row.tags).toEqual({role: "web", dc: "test"});
      expect(row.addr).toBe(addrOf(life));
    }
  });

  it("lets serf agents join a Lifeline cluster, by -join at start and by `serf join` later", async () => {
    // The serf agents learn of each other only through the Lifeline agents: serf-b joins once
    // life-b knows serf-a, so its join push-pull carries serf-a (see startLifeline for the rest).
    const l1 = await startLifeline({name: "life-a"});
    const l2 = await startLifeline({name: "life-b"});
    await l2.join([addrOf(l1)]);
    await waitAlive(l1, ["life-b"]);

    const s1 = await startSerf({name: "serf-a", join: [addrOf(l1)]});
    await waitAlive(l2, ["serf-a"]);
    const s2 = await startSerf({name: "serf-b"});
    await s2.join(addrOf(l2));

    for (const life of [l1, l2]) await waitAlive(life, ["life-a", "life-b", "serf-a", "serf-b"]);
    for (const serf of [s1, s2]) {
      for (const name of ["life-a", "life-b", "serf-a", "serf-b"]) await serf.waitForStatus(name, "alive", 15_000);
    }
  });

  it("reports a kill -9 of a serf agent as member:down with reason failed", async () => {
    const s1 = await startSerf({name: "serf-k1"});
    const s2 = await startSerf({name: "serf-k2", join: [s1.bindAddr]});
    const life = await startLifeline({name: "life-k"});
    await life.join([s1.bindAddr]);
    await waitAlive(life, ["serf-k1", "serf-k2"]);
    await s1.waitForStatus("life-k", "alive", 15_000);

    const down = nextDown(life, "serf-k2");
    const killedAt = performance.now();
    await s2.kill9();
    const event = await withTimeout(down, 30_000, "member:down about serf-k2");
    expect(event.reason).toBe("failed");
    expect(event.member.state).toBe("dead");
    expect(life.members().find((m) => m.name === "serf-k2")?.state).toBe("dead");
    // The remaining serf agrees, and the Lifeline agent is still alive in its view.
    await s1.waitForStatus("serf-k2", "failed", 30_000);
    expect((await s1.member("life-k"))?.status).toBe("alive");
    console.info(`[interop] Lifeline detected serf kill -9 in ${((event.at - killedAt) / 1000).toFixed(2)} s`);
  });

  it("shows a graceful Lifeline leave as left in serf, and serf's own leave as left in Lifeline", async () => {
    const s1 = await startSerf({name: "serf-l1"});
    const s2 = await startSerf({name: "serf-l2", join: [s1.bindAddr]});
    const life = await startLifeline({name: "life-l"});
    await life.join([s1.bindAddr]);
    await waitAlive(life, ["serf-l1", "serf-l2"]);
    await s1.waitForStatus("life-l", "alive", 15_000);
    await s2.waitForStatus("life-l", "alive", 15_000);

    const serfLeft = nextDown(life, "serf-l2");
    await s2.leave();
    const event = await withTimeout(serfLeft, 15_000, "member:down about serf-l2");
    expect(event.reason).toBe("left");

    await life.leave();
    await s1.waitForStatus("life-l", "left", 15_000);
    // Serf saw the leave intent before memberlist's leave: a member-leave, never a member-failed.
    expect(s1.logs()).toContain("EventMemberLeave: life-l");
    expect(s1.logs()).not.toContain("EventMemberFailed: life-l");
  });

  describe("compression", () => {
    it("interoperates when serf compresses (its default) and Lifeline does not", async () => {
      const serf = await startSerf({name: "serf-c1"});
      const life = await startLifeline({name: "life-c1", compress: false, tags: {pad: "x".repeat(200)}});
      await life.join([serf.bindAddr]);
      await waitAlive(life, ["serf-c1"]);
      expect((await serf.waitForStatus("life-c1", "alive", 15_000)).tags.pad).toHaveLength(200);
    });

    it("interoperates when serf runs with -disable-compression and Lifeline compresses", async () => {
      const serf = await startSerf({name: "serf-c2", disableCompression: true});
      const life = await startLifeline({name: "life-c2", compress: true, tags: {pad: "y".repeat(200)}});
      await life.join([serf.bindAddr]);
      await waitAlive(life, ["serf-c2"]);
      expect((await serf.waitForStatus("life-c2", "alive", 15_000)).tags.pad).toHaveLength(200);
    });
  });

  describe("encryption", () => {
    it("forms one cluster when serf -encrypt and Lifeline encrypt share a key, and detects a kill -9 through it", async () => {
      const key = randomBytes(32).toString("base64");
      const s1 = await startSerf({name: "serf-e1", encrypt: key});
      const s2 = await startSerf({name: "serf-e2", encrypt: key, join: [s1.bindAddr]});
      const life = await startLifeline({name: "life-e", encrypt: key, tags: {secure: "yes"}});
      await life.join([s1.bindAddr]);
      await waitAlive(life, ["serf-e1", "serf-e2"]);
      expect((await s2.waitForStatus("life-e", "alive", 15_000)).tags).toEqual({secure: "yes"});

      const down = nextDown(life, "serf-e2");
      await s2.kill9();
      expect((await withTimeout(down, 30_000, "member:down about serf-e2")).reason).toBe("failed");
    });

    it("cannot join a serf cluster with a different key", async () => {
      const serf = await startSerf({name: "serf-e3", encrypt: randomBytes(32).toString("base64")});
      const life = await startLifeline({name: "life-e3", encrypt: randomBytes(32).toString("base64")});
      await expect(life.join([serf.bindAddr])).rejects.toThrow();
      expect(life.members().map((m) => m.name)).toEqual(["life-e3"]);
      expect((await serf.members()).map((m) => m.name)).toEqual(["serf-e3"]);
    });
  });
});
