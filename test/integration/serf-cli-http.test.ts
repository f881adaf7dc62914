/*
 * Serf's layer through the agent's HTTP API and the CLI clients, on loopback: `lifeline event`
 * (POST /v1/event) reaches every agent, `lifeline query` (POST /v1/query, streamed NDJSON) prints
 * acks and responses as they arrive and honours --node and --tag, `lifeline keys` (/v1/keys*)
 * rotates an encrypted cluster's key; bad input gets 400 naming the field, or exit 2 naming the flag.
 */
import {afterEach, describe, expect, it} from "vitest";
import {type CliIo, run} from "../../src/cli/main.ts";
import {generateKeyBase64} from "../../src/codec/index.ts";
import type {Agent} from "../../src/index.ts";
import type {UserEvent} from "../../src/serf/index.ts";
import {AgentCluster, allSee, eventually} from "../helpers/agent-cluster.ts";

/** Events and queries ride memberlist's transmit limit: see user-events-queries.test.ts. */
const GOSSIP = {retransmitMult: 4, http: "127.0.0.1:0"};

function captureIo(): CliIo & {out: string[]; err: string[]} {
  const out: string[] = [];
  const err: string[] = [];
  return {out, err, stdout: (text) => out.push(text), stderr: (text) => err.push(text), env: {}};
}

function httpOf(agent: Agent): string {
  const address = agent.httpAddress;
  if (!address) throw new Error(`${agent.name} has no HTTP API`);
  return `${address.host}:${address.port}`;
}

async function post(agent: Agent, path: string, body: unknown): Promise<{status: number; text: string}> {
  const response = await fetch(`http://${httpOf(agent)}${path}`, {
    method: "POST",
    headers: {"content-type": "application/json"},
    body: JSON.stringify(body),
  });
  return {status: response.status, text: await response.text()};
}

describe("serf's layer through the HTTP API and the CLI", () => {
  let cluster = new AgentCluster();
  afterEach(async () => {
    await cluster.stopAll();
    cluster = new AgentCluster();
  });

  it("lifeline event reaches every agent once; bad events are refused naming the field", async () => {
    const agents = await cluster.start(["he1", "he2", "he3"], GOSSIP);
    await eventually(() => allSee(agents, ["he1", "he2", "he3"], "alive"), 10_000, "all see all");
    const seen = new Map<string, UserEvent[]>();
    for (const a of agents) a.on("user:event", (e) => seen.set(a.name, [...(seen.get(a.name) ?? []), e]));
    const io = captureIo();
    expect(await run(["event", "--http", httpOf(agents[1] as Agent), "deploy", "v7", "--no-coalesce"], io)).toBe(0);
    expect(io.out.join("")).toMatch(/Event 'deploy' dispatched \(Lamport time \d+, coalescing false\)/);
    await eventually(() => agents.every((a) => (seen.get(a.name) ?? []).length === 1), 10_000, "event everywhere");
    for (const a of agents) {
      const [event] = seen.get(a.name) ?? [];
      expect(event?.name).toBe("deploy");
      expect(event?.coalesce).toBe(false);
      expect(new TextDecoder().decode(event?.payload)).toBe("v7");
    }

    const tooBig = captureIo();
    expect(await run(["event", "--http", httpOf(agents[0] as Agent), "big", "x".repeat(600)], tooBig)).toBe(2);
    expect(tooBig.err.join("")).toMatch(/userEventSizeLimit/);
    expect(await run(["event", "--http", httpOf(agents[0] as Agent)], captureIo())).toBe(2);

    const bytes = await post(agents[0] as Agent, "/v1/event", {name: "raw", payloadBase64: "AAEC"});
    expect(bytes.status).toBe(200);
    await eventually(
      () => agents.every((a) => (seen.get(a.name) ?? []).some((e) => e.name === "raw" && e.payload.join() === "0,1,2")),
      10_000,
      "bytes event everywhere",
    );
    for (const [body, field] of [
      [{payload: "x"}, "name"],
      [{name: "e", payload: 5}, "payload"],
      [{name: "e", payload: "a", payloadBase64: "AA=="}, "payload"],
      [{name: "e", payloadBase64: "not base64!"}, "payloadBase64"],
      [{name: "e", coalesce: "yes"}, "coalesce"],
    ] as const) {
      const answer = await post(agents[0] as Agent, "/v1/event", body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(JSON.parse(answer.text).field).toBe(field);
    }
  });

  it("lifeline query streams acks and responses, with --node and --tag filters and --json", async () => {
    const agents = await cluster.start(["hq1", "hq2", "hq3"], GOSSIP);
    await eventually(() => allSee(agents, ["hq1", "hq2", "hq3"], "alive"), 10_000, "all see all");
    for (const a of agents) a.onQuery("uptime", (q) => `${a.name}:${new TextDecoder().decode(q.payload)}`);
    (agents[2] as Agent).setTags({role: "db"});
    await eventually(
      () => agents.every((a) => a.members().find((m) => m.name === "hq3")?.tags.role === "db"),
      10_000,
      "tag spread",
    );
    const http = httpOf(agents[0] as Agent);

    const all = captureIo();
    expect(await run(["query", "--http", http, "--timeout-ms", "1500", "uptime", "p"], all)).toBe(0);
    const text = all.out.join("");
    for (const name of ["hq1", "hq2", "hq3"]) {
      expect(text).toContain(`Ack from '${name}'`);
      expect(text).toContain(`Response from '${name}': ${name}:p`);
    }
    expect(text).toMatch(/Total Acks: 3\nTotal Responses: 3\n$/);

    const byNode = captureIo();
    expect(
      await run(["query", "--http", http, "--timeout-ms", "1s", "--node", "hq2", "--json", "uptime"], byNode),
    ).toBe(0);
    const json = JSON.parse(byNode.out.join(""));
    expect(json).toMatchObject({name: "uptime", acks: ["hq2"], responses: {hq2: "hq2:"}, complete: true});

    const byTag = captureIo();
    expect(
      await run(
        ["query", "--http", http, "--timeout-ms", "1s", "--tag", "role=^d", "--no-ack", "--json", "uptime"],
        byTag,
      ),
    ).toBe(0);
    expect(JSON.parse(byTag.out.join(""))).toMatchObject({acks: [], responses: {hq3: "hq3:"}});

    // The stream itself: NDJSON lines as answers arrive, ending with the summary.
    const raw = await post(agents[1] as Agent, "/v1/query", {name: "uptime", nodes: ["hq1"], timeoutMs: 800});
    const lines = raw.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(["ack", "response", "done"]);
    expect(lines[1]).toMatchObject({
      from: "hq1",
      payload: "hq1:",
      payloadBase64: Buffer.from("hq1:").toString("base64"),
    });
    expect(lines[2]).toMatchObject({name: "uptime", acks: 1, responses: 1});

    const badTag = captureIo();
    expect(await run(["query", "--http", http, "--tag", "role=(", "uptime"], badTag)).toBe(2);
    expect(badTag.err.join("")).toMatch(/--tag.*regular expression/);
    expect(await run(["query", "--http", http, "--tag", "=x", "uptime"], captureIo())).toBe(2);
    for (const [body, field] of [
      [{name: "q", nodes: "hq1"}, "nodes"],
      [{name: "q", tags: {role: 1}}, "tags"],
      [{name: "q", timeoutMs: -1}, "timeoutMs"],
      [{name: "q", relayFactor: 9}, "relayFactor"],
      [{name: "q", requestAck: 1}, "requestAck"],
    ] as const) {
      const answer = await post(agents[0] as Agent, "/v1/query", body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(JSON.parse(answer.text).field).toBe(field);
    }
  });

  it("lifeline keys rotates an encrypted cluster's key and refuses to remove the primary", async () => {
    const k1 = generateKeyBase64();
    const k2 = generateKeyBase64();
    const agents = await cluster.start(["hk1", "hk2", "hk3"], {...GOSSIP, encrypt: k1});
    await eventually(() => allSee(agents, ["hk1", "hk2", "hk3"], "alive"), 10_000, "all see all");
    const http = httpOf(agents[2] as Agent);

    const install = captureIo();
    expect(await run(["keys", "--http", http, "--install", k2], install)).toBe(0);
    expect(install.out.join("")).toContain("Key installed on all 3 members.");
    const list = captureIo();
    expect(await run(["keys", "--http", http, "--list"], list)).toBe(0);
    expect(list.out.join("")).toContain(`${k1} [3/3] primary on 3`);
    expect(list.out.join("")).toContain(`${k2} [3/3]`);

    expect(await run(["keys", "--http", http, "--use", k2], captureIo())).toBe(0);
    const refused = captureIo();
    expect(await run(["keys", "--http", http, "--remove", k2], refused)).toBe(1);
    expect(refused.err.join("")).toMatch(/primary/);
    expect(await run(["keys", "--http", http, "--remove", k1], captureIo())).toBe(0);
    for (const a of agents) expect(a.keyring).toEqual([k2]);
    await eventually(() => allSee(agents, ["hk1", "hk2", "hk3"], "alive"), 10_000, "still one cluster");

    const json = captureIo();
    expect(await run(["keys", "--http", http, "--list", "--json"], json)).toBe(0);
    expect(JSON.parse(json.out.join(""))).toMatchObject({numNodes: 3, numResponses: 3, numErrors: 0, keys: {[k2]: 3}});

    expect(await run(["keys", "--http", http], captureIo())).toBe(2);
    expect(await run(["keys", "--http", http, "--list", "--use", k2], captureIo())).toBe(2);
    const badKey = captureIo();
    expect(await run(["keys", "--http", http, "--install", "not-a-key"], badKey)).toBe(2);
    expect(badKey.err.join("")).toContain("--install");
  });
});
