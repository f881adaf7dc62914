/*
 * The HTTP API of a real agent on loopback: members, health, join, leave, the SSE event
 * stream, Prometheus metrics, and 400s that name the bad field.
 */
import {get} from "node:http";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Agent} from "../../src/agent/index.ts";
import {AgentCluster, addressOf, allSee, eventually} from "../helpers/agent-cluster.ts";

describe("the HTTP API", () => {
  const cluster = new AgentCluster();
  let api: Agent;
  let other: Agent;
  let base: string;

  beforeAll(async () => {
    api = await cluster.add({name: "api", http: "127.0.0.1:0", tags: {role: "web", dc: "test"}});
    other = await cluster.add({name: "other"});
    const address = api.httpAddress;
    if (!address) throw new Error("no HTTP address");
    base = `http://${address.host}:${address.port}`;
  });
  afterAll(async () => {
    await cluster.stopAll();
  });

  it("GET /v1/members lists self with decoded tags in the documented JSON shape", async () => {
    const response = await fetch(`${base}/v1/members`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    const body = (await response.json()) as unknown[];
    expect(body).toEqual([
      {
        name: "api",
        addr: "127.0.0.1",
        port: api.address.port,
        state: "alive",
        incarnation: 1,
        tags: {role: "web", dc: "test"},
      },
    ]);
  });

  it("POST /v1/join joins, and GET /v1/events streams the resulting member:up", async () => {
    const events: string[] = [];
    const stream = await new Promise<import("node:http").IncomingMessage>((resolve, reject) => {
      get(`${base}/v1/events`, resolve).on("error", reject);
    });
    expect(stream.headers["content-type"]).toBe("text/event-stream");
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => events.push(chunk));
    try {
      const response = await fetch(`${base}/v1/join`, {
        method: "POST",
        headers: {"content-type": "application/json"},
        body: JSON.stringify({addrs: [addressOf(other)]}),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({joined: 1});
      await eventually(() => events.join("").includes("event: member:up"), 5_000, "a member:up event on the stream");
      const block =
        events
          .join("")
          .split("\n\n")
          .find((b) => b.startsWith("event: member:up")) ?? "";
      const data = JSON.parse(
        block
          .split("\n")
          .find((l) => l.startsWith("data: "))
          ?.slice(6) ?? "{}",
      );
      expect(data).toMatchObject({type: "member:up", member: {name: "other", state: "alive"}});
    } finally {
      stream.destroy();
    }
    await eventually(() => allSee([api, other], ["api", "other"], "alive"), 5_000, "both see both");
  });

  it("GET /v1/health reports ok with member counts", async () => {
    const response = await fetch(`${base}/v1/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: "ok",
      name: "api",
      members: {alive: 2, suspect: 0, dead: 0, left: 0},
      eventLoopDelayMs: {p50Ms: expect.any(Number), p99Ms: expect.any(Number), maxMs: expect.any(Number)},
    });
  });

  it("GET /metrics serves the Prometheus text format with members, probes and packet counters", async () => {
    // A probe starts before its ack arrives: wait for both, so the packet counter is not read in between.
    await eventually(
      () => api.node.stats.probes > 0 && api.stats.driver.packetsIn > 0,
      5_000,
      "a probe and a datagram in",
    );
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const text = await response.text();
    expect(text).toContain('lifeline_members{state="alive"} 2');
    expect(text).toMatch(/^lifeline_probes_total [1-9]\d*$/m);
    expect(text).toMatch(/^lifeline_packets_in_total [1-9]\d*$/m);
    expect(text).toMatch(/^lifeline_decode_errors_total 0$/m);
    expect(text).toMatch(/^# TYPE lifeline_awareness_score gauge$/m);
    for (const quantile of ["0.5", "0.99", "1"]) {
      expect(text).toMatch(new RegExp(`^lifeline_event_loop_delay_seconds\\{quantile="${quantile}"\\} \\d`, "m"));
    }
    // Node's default process metrics are there too, under prom-client's standard names.
    expect(text).toMatch(/^process_resident_memory_bytes [1-9]\d*$/m);
    expect(text).toMatch(/^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
    // Every line is a comment, a blank separator or a sample the Prometheus parser accepts.
    for (const line of text.trim().split("\n")) {
      expect(line).toMatch(/^(|# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? (-?\d+(\.\d+)?(e[-+]?\d+)?|NaN|[-+]Inf))$/);
    }
  });

  it("answers bad requests with 400 and a JSON error naming the field", async () => {
    const post = (path: string, body: string): Promise<Response> =>
      fetch(`${base}${path}`, {method: "POST", headers: {"content-type": "application/json"}, body});
    const noAddrs = await post("/v1/join", JSON.stringify({addrs: []}));
    expect(noAddrs.status).toBe(400);
    expect(await noAddrs.json()).toMatchObject({field: "addrs"});
    const wrongType = await post("/v1/join", JSON.stringify({addrs: "127.0.0.1:1"}));
    expect(wrongType.status).toBe(400);
    expect(await wrongType.json()).toMatchObject({field: "addrs"});
    const badAddress = await post("/v1/join", JSON.stringify({addrs: ["127.0.0.1:99999"]}));
    expect(badAddress.status).toBe(400);
    expect(await badAddress.json()).toMatchObject({field: "addrs"});
    const notJson = await post("/v1/join", "{nope");
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({field: "body"});
    expect((await fetch(`${base}/v1/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/v1/members`, {method: "DELETE"})).status).toBe(405);
  });

  it("POST /v1/leave leaves gracefully; the other agent records it as left", async () => {
    const response = await fetch(`${base}/v1/leave`, {method: "POST"});
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({left: true});
    expect(api.state).toBe("left");
    await eventually(
      () => other.members().find((m) => m.name === "api")?.state === "left",
      5_000,
      "other sees api left",
    );
    const lateJoin = await fetch(`${base}/v1/join`, {
      method: "POST",
      headers: {"content-type": "application/json"},
      body: JSON.stringify({addrs: [addressOf(other)]}),
    });
    expect(lateJoin.status).toBe(409);
    const health = await fetch(`${base}/v1/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({status: "left"});
  });
});
