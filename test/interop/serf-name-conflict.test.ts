/*
 * Name conflicts in a mixed cluster with the real serf: a serf agent started with a Lifeline
 * agent's name votes with serf's `_serf_conflict` query, gets Lifeline's answers (and serf's),
 * loses and exits; a Lifeline agent started with a serf agent's name votes with the same query,
 * decodes serf's answers, loses and stops. The originals keep their places.
 */
import {afterEach, expect, it} from "vitest";
import {type Agent, type AgentInit, createAgent} from "../../src/agent/index.ts";
import type {ConflictOutcome} from "../../src/agent/name-conflict.ts";
import {type SerfAgent, startSerf} from "../helpers/serf-agent.ts";
import {killAllChildren} from "../helpers/serf-children.ts";
import {describeWithSerf} from "../helpers/serf-gate.ts";
import {freePort} from "../helpers/serf-ports.ts";
import {waitUntil} from "../helpers/serf-wait.ts";

// BOUNDED: the agents of one test; emptied after each.
const agents: Agent[] = [];

async function startLifeline(init: AgentInit & {name: string}): Promise<Agent> {
  const agent = await createAgent({
    bind: `127.0.0.1:${await freePort()}`,
    profile: "local",
    retransmitMult: 4,
    ...init,
  });
  agents.push(agent);
  return agent;
}

/** s1, s2 (serf) and l1, l2 (Lifeline), all alive in every serf view. */
async function mixedCluster(): Promise<{s1: SerfAgent; s2: SerfAgent; l1: Agent; l2: Agent}> {
  const s1 = await startSerf({name: "s1"});
  const s2 = await startSerf({name: "s2", join: [s1.bindAddr]});
  const l1 = await startLifeline({name: "l1", join: [s1.bindAddr]});
  const l2 = await startLifeline({name: "l2", join: [s2.bindAddr]});
  await waitUntil(
    async () =>
      (await s1.members()).filter((m) => m.status === "alive").length === 4 &&
      [l1, l2].every((l) => l.members().filter((m) => m.state === "alive").length === 4),
    {what: "the mixed cluster converged", timeoutMs: 20_000},
  );
  return {s1, s2, l1, l2};
}

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
  await killAllChildren();
});

describeWithSerf("name conflicts with the real serf", () => {
  it("a serf agent claiming a Lifeline agent's name loses serf's vote on Lifeline's answers and exits", async () => {
    const {s1, l1} = await mixedCluster();
    const impostor = await startSerf({name: "l1"});
    await impostor.join(s1.bindAddr).catch(() => undefined);
    await waitUntil(() => impostor.hasExited(), {
      what: "the serf impostor exited",
      timeoutMs: 20_000,
      diagnose: () => impostor.logs(),
    });
    expect(impostor.logs()).toMatch(/minority in name conflict resolution/);
    expect(l1.state).toBe("running");
    const seen = await s1.member("l1");
    expect(seen).toMatchObject({status: "alive", port: l1.address.port});
  });

  it("a Lifeline agent claiming a serf agent's name decodes serf's answers, loses and stops", async () => {
    const {s1, s2, l1} = await mixedCluster();
    const impostor = await startLifeline({name: "s2", join: [`127.0.0.1:${l1.address.port}`]});
    const outcomes: ConflictOutcome[] = [];
    impostor.on("conflict:resolved", (o) => outcomes.push(o));
    await waitUntil(() => impostor.state === "stopped", {what: "the Lifeline impostor stopped", timeoutMs: 20_000});
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({won: false, matching: 0});
    // s1, l1 and l2 answer (s2 is a claimant and does not): all three decoded.
    expect(outcomes[0]?.responses).toBe(3);
    expect(s2.hasExited()).toBe(false);
    expect(await s1.member("s2")).toMatchObject({status: "alive", port: s2.port});
  });
});
