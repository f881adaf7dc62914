/*
 * The swift profile in a mixed cluster with the real serf (both on memberlist's LAN timing
 * otherwise): its suspect probes and shorter confirmed suspicions are local decisions, so serf
 * agents and swift Lifeline agents form one cluster, a kill -9 of a serf agent is detected by
 * everyone, a kill -9 of a swift agent is detected by serf, and nobody healthy is ever declared
 * failed on the way.
 */
import {afterEach, expect, it} from "vitest";
import {type Agent, type AgentMember, createAgent} from "../../src/agent/index.ts";
import {type SerfAgent, startSerf} from "../helpers/serf-agent.ts";
import {killAllChildren} from "../helpers/serf-children.ts";
import {describeWithSerf} from "../helpers/serf-gate.ts";
import {freePort} from "../helpers/serf-ports.ts";
import {waitUntil} from "../helpers/serf-wait.ts";

// BOUNDED: the agents of one test; emptied after each.
const agents: Agent[] = [];

async function startSwift(name: string, join: string): Promise<Agent> {
  const agent = await createAgent({
    name,
    bind: `127.0.0.1:${await freePort()}`,
    profile: "swift",
    pushPullIntervalMs: 2_000,
    join: [join],
  });
  agents.push(agent);
  return agent;
}

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
  await killAllChildren();
});

describeWithSerf("the swift profile beside serf's lan", () => {
  it("detects kill -9 both ways in a mixed cluster and accuses nobody healthy", async () => {
    const s1 = await startSerf({name: "s1", profile: "lan"});
    const s2 = await startSerf({name: "s2", profile: "lan", join: [s1.bindAddr]});
    const s3 = await startSerf({name: "s3", profile: "lan", join: [s1.bindAddr]});
    const l1 = await startSwift("l1", s1.bindAddr);
    const l2 = await startSwift("l2", s2.bindAddr);
    const names = ["s1", "s2", "s3", "l1", "l2"];
    const serfs: SerfAgent[] = [s1, s2, s3];
    await waitUntil(
      async () => {
        for (const s of serfs) if ((await s.members()).filter((m) => m.status === "alive").length !== 5) return false;
        return [l1, l2].every((l) => l.members().filter((m) => m.state === "alive").length === 5);
      },
      {what: "5 members alive everywhere", timeoutMs: 30_000},
    );
    const downs: string[] = [];
    for (const l of [l1, l2])
      l.on("member:down", (m: AgentMember, reason) => downs.push(`${l.name}: ${m.name} ${reason}`));

    await s3.kill9();
    await waitUntil(() => [l1, l2].every((l) => l.members().find((m) => m.name === "s3")?.state === "dead"), {
      what: "both swift agents hold s3 dead",
      timeoutMs: 30_000,
    });
    await s1.waitForStatus("s3", "failed", 30_000);
    await s2.waitForStatus("s3", "failed", 30_000);

    await l2.stop(); // the process's sockets close at once, like a kill -9 (no leave is sent)
    await s1.waitForStatus("l2", "failed", 30_000);
    await waitUntil(() => l1.members().find((m) => m.name === "l2")?.state === "dead", {
      what: "l1 holds l2 dead",
      timeoutMs: 30_000,
    });

    expect(downs.sort()).toEqual(["l1: l2 failed", "l1: s3 failed", "l2: s3 failed"]);
    for (const s of [s1, s2]) {
      const failed = (await s.members()).filter((m) => m.status === "failed").map((m) => m.name);
      expect(failed.sort(), s.name).toEqual(s === s1 ? ["l2", "s3"] : expect.arrayContaining(["s3"]));
    }
    expect(
      names
        .filter((n) => !["s3", "l2"].includes(n))
        .every((n) => l1.members().find((m) => m.name === n)?.state === "alive"),
    ).toBe(true);
  });
});
