/*
 * Two live processes claiming one name, on loopback: a newcomer started with a name already in
 * use hears of the existing member at another address, asks the cluster (serf's _serf_conflict),
 * loses the vote and stops; the members who saw the claim report it; the original keeps its place.
 */
import {afterEach, describe, expect, it} from "vitest";
import type {ConflictOutcome, NameConflict} from "../../src/agent/name-conflict.ts";
import {AgentCluster, addressOf, allSee, eventually} from "../helpers/agent-cluster.ts";

describe("name conflicts between live agents", () => {
  let cluster = new AgentCluster();
  afterEach(async () => {
    await cluster.stopAll();
    cluster = new AgentCluster();
  });

  it("the newcomer with a taken name loses the vote and stops; the original stays", async () => {
    const agents = await cluster.start(["nc1", "nc2", "nc3"], {retransmitMult: 4});
    await eventually(() => allSee(agents, ["nc1", "nc2", "nc3"], "alive"), 10_000, "all see all");
    const reported: NameConflict[] = [];
    for (const a of agents) a.on("member:conflict", (c) => reported.push(c));
    const original = agents[1];
    const originalAt = `127.0.0.1:${original?.address.port}`;

    const impostor = await cluster.add({
      name: "nc2",
      retransmitMult: 4,
      join: [addressOf(agents[0] as (typeof agents)[number])],
    });
    const outcomes: ConflictOutcome[] = [];
    const claims: NameConflict[] = [];
    impostor.on("conflict:resolved", (o) => outcomes.push(o));
    impostor.on("member:conflict", (c) => claims.push(c));
    await eventually(() => impostor.state === "stopped", 15_000, "the impostor stopped");

    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]?.won).toBe(false);
    expect(outcomes[0]?.matching).toBe(0);
    expect(outcomes[0]?.responses).toBeGreaterThanOrEqual(1);
    expect(claims[0]).toMatchObject({name: "nc2", ours: true, other: originalAt});
    expect(reported.some((c) => c.name === "nc2" && !c.ours && c.existing === originalAt)).toBe(true);
    expect(original?.state).toBe("running");
    for (const a of agents) {
      const m = a.members().find((x) => x.name === "nc2");
      expect(m, a.name).toMatchObject({state: "alive", port: original?.address.port});
    }
    const metrics = await (agents[0] as (typeof agents)[number]).metrics.metrics();
    expect(metrics).toMatch(/lifeline_name_conflicts_total\{whose="other"\} [1-9]/);
  });
});
