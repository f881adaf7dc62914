/*
 * Serf's layer between Lifeline agents on loopback: a user event reaches every agent exactly once
 * (also after more push-pulls), a query collects acks and responses with node and tag filters and
 * relays, and key rotation through internal queries moves the whole encrypted cluster to a new key.
 */
import {afterEach, describe, expect, it} from "vitest";
import {generateKeyBase64} from "../../src/codec/index.ts";
import type {UserEvent} from "../../src/serf/index.ts";
import {AgentCluster, allSee, eventually} from "../helpers/agent-cluster.ts";

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/**
 * The LAN retransmit multiplier: serf gossips events and queries through memberlist's transmit
 * limit, and the local preset's 2 × ceil(log10(n + 1)) sends leave a query short of a member of
 * four about one time in ten (events are repaired by push-pull; queries are not).
 */
const GOSSIP = {retransmitMult: 4};

describe("user events, queries and key rotation between Lifeline agents", () => {
  let cluster = new AgentCluster();
  afterEach(async () => {
    await cluster.stopAll();
    cluster = new AgentCluster();
  });

  it("delivers a user event to every agent exactly once, including the sender", async () => {
    const agents = await cluster.start(["e1", "e2", "e3", "e4"], GOSSIP);
    await eventually(() => allSee(agents, ["e1", "e2", "e3", "e4"], "alive"), 10_000, "all see all");
    const seen = new Map<string, UserEvent[]>();
    for (const a of agents) a.on("user:event", (e) => seen.set(a.name, [...(seen.get(a.name) ?? []), e]));
    const sent = (agents[1] as (typeof agents)[number]).event("deploy", "v42", {coalesce: false});
    await eventually(() => agents.every((a) => (seen.get(a.name) ?? []).length >= 1), 10_000, "event everywhere");
    // Push-pull runs every 2 s in the test config and carries recent events: nothing is replayed.
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    for (const a of agents) {
      const events = seen.get(a.name) ?? [];
      expect(events, a.name).toHaveLength(1);
      expect(events[0]).toMatchObject({name: "deploy", lTime: sent.lTime, coalesce: false});
      expect(text((events[0] as UserEvent).payload)).toBe("v42");
    }
    expect(() => (agents[0] as (typeof agents)[number]).event("big", new Uint8Array(600))).toThrow(
      /userEventSizeLimit/,
    );
  });

  it("collects acks and responses from the members its filters select, relayed or not", async () => {
    const agents = await cluster.start(["q1", "q2", "q3", "q4"], GOSSIP);
    await eventually(() => allSee(agents, ["q1", "q2", "q3", "q4"], "alive"), 10_000, "all see all");
    for (const a of agents) a.onQuery("uptime", (q) => `${a.name} up; asked ${text(q.payload)}`);
    (agents[2] as (typeof agents)[number]).setTags({role: "db"});
    await eventually(
      () => agents.every((a) => a.members().find((m) => m.name === "q3")?.tags.role === "db"),
      10_000,
      "tag",
    );
    const querier = agents[0] as (typeof agents)[number];
    const all = await querier.query("uptime", "x", {timeoutMs: 1_500}).result();
    expect([...all.acks].sort()).toEqual(["q1", "q2", "q3", "q4"]);
    expect(all.responses.map((r) => r.from).sort()).toEqual(["q1", "q2", "q3", "q4"]);
    expect(text(all.responses.find((r) => r.from === "q2")?.payload ?? new Uint8Array())).toBe("q2 up; asked x");
    const byTag = await querier.query("uptime", "", {timeoutMs: 1_500, tags: {role: "^d"}}).result();
    expect(byTag.responses.map((r) => r.from)).toEqual(["q3"]);
    const byNode = querier.query("uptime", "", {
      timeoutMs: 1_500,
      nodes: ["q2", "q4"],
      relayFactor: 2,
      requestAck: false,
    });
    const streamed: string[] = [];
    for await (const answer of byNode) streamed.push(`${answer.type}:${answer.from}`);
    expect(streamed.sort()).toEqual(["response:q2", "response:q4"]);
  });

  it("rotates the key of an encrypted cluster with internal queries, and refuses to remove the primary", async () => {
    const k1 = generateKeyBase64();
    const k2 = generateKeyBase64();
    const agents = await cluster.start(["k1", "k2", "k3"], {...GOSSIP, encrypt: k1});
    await eventually(() => allSee(agents, ["k1", "k2", "k3"], "alive"), 10_000, "all see all");
    const admin = agents[1] as (typeof agents)[number];
    const installed = await admin.keys.install(k2);
    expect(installed).toMatchObject({numNodes: 3, numResponses: 3, numErrors: 0});
    const refused = await admin.keys.remove(k1);
    expect(refused.numErrors).toBe(3);
    expect(Object.values(refused.messages)[0]).toMatch(/primary key/);
    expect(await admin.keys.use(k2)).toMatchObject({numResponses: 3, numErrors: 0});
    expect(await admin.keys.remove(k1)).toMatchObject({numResponses: 3, numErrors: 0});
    const listed = await admin.keys.list();
    expect(listed.keys).toEqual({[k2]: 3});
    expect(listed.primaryKeys).toEqual({[k2]: 3});
    for (const a of agents) expect(a.keyring).toEqual([k2]);
    // Still one cluster on the new key: a fresh agent with only k2 joins it.
    const late = await cluster.add({name: "k4", encrypt: k2, join: [`127.0.0.1:${agents[0]?.address.port}`]});
    await eventually(() => allSee([...agents, late], ["k1", "k2", "k3", "k4"], "alive"), 10_000, "k4 joined");
  });
});
