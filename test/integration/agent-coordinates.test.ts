/*
 * Network coordinates between real agents on loopback: every direct probe's ack carries the
 * peer's serf coordinate, so each agent learns the others' and estimates RTTs; GET
 * /v1/coordinates lists them and `lifeline rtt` prints the estimate; an agent with
 * disableCoordinates sends empty ack payloads and refuses the coordinate API.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Agent} from "../../src/agent/index.ts";
import {type CliIo, run} from "../../src/cli/main.ts";
import {AgentCluster, eventually} from "../helpers/agent-cluster.ts";

function captureIo(): CliIo & {out: string[]; err: string[]} {
  const out: string[] = [];
  const err: string[] = [];
  return {out, err, stdout: (text) => out.push(text), stderr: (text) => err.push(text), env: {}};
}

describe("agents exchange network coordinates in their acks", () => {
  const cluster = new AgentCluster();
  let a: Agent;
  let off: Agent;
  let http: string;
  let offHttp: string;

  beforeAll(async () => {
    const [seed] = await cluster.start(["a", "b", "c"], {http: "127.0.0.1:0"});
    a = seed as Agent;
    http = `${a.httpAddress?.host}:${a.httpAddress?.port}`;
    off = await cluster.add({
      name: "off",
      disableCoordinates: true,
      http: "127.0.0.1:0",
      join: [`${a.address.host}:${a.address.port}`],
    });
    offHttp = `${off.httpAddress?.host}:${off.httpAddress?.port}`;
    // Every agent probes each other one about every 4 × 200 ms; a few rounds give each a sample.
    await eventually(
      () =>
        cluster
          .running()
          .every((x) =>
            ["a", "b", "c"].every((n) => n === x.name || x.name === "off" || x.coordinateOf(n) !== undefined),
          ) && (a.coordinateStats?.emptyPayloads ?? 0) > 0,
      20_000,
      "every coordinate agent knows the others' coordinates, and a has probed off",
      () => cluster.describe(),
    );
  }, 30_000);
  afterAll(() => cluster.stopAll());

  it("estimates small, finite RTTs on loopback between members and to itself", () => {
    for (const [x, y] of [
      ["b", "a"],
      ["b", "c"],
      ["a", "a"],
    ] as const) {
      const rtt = a.rtt(x, y) as number;
      expect(Number.isFinite(rtt), `${x}-${y}`).toBe(true);
      expect(rtt, `${x}-${y}`).toBeGreaterThanOrEqual(0);
      expect(rtt, `${x}-${y}`).toBeLessThan(1_000);
    }
    expect(a.rtt("b")).toBe(a.rtt("b", "a"));
    expect(a.coordinate().vec).toHaveLength(8);
    expect(a.coordinateStats).toMatchObject({badPayloads: 0, rejected: 0});
  });

  it("learns nothing from an agent with disableCoordinates, which refuses the coordinate API", () => {
    expect(a.node.member("off")?.state).toBe("alive");
    expect(a.coordinateOf("off")).toBeUndefined();
    expect(a.rtt("off")).toBeUndefined();
    expect(() => off.coordinate()).toThrow(expect.objectContaining({name: "AgentStateError"}));
    expect(() => off.rtt("a")).toThrow(expect.objectContaining({name: "AgentStateError"}));
    expect(off.coordinateStats).toBeUndefined();
  });

  it("lists the coordinates at GET /v1/coordinates, the agent's own first", async () => {
    const response = await fetch(`http://${http}/v1/coordinates`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {node: string; coordinate: {vec: number[]; error: number}}[];
    expect(body[0]?.node).toBe("a");
    expect(body.map((e) => e.node).sort()).toEqual(["a", "b", "c"]);
    for (const e of body) expect(e.coordinate.vec).toHaveLength(8);
    const disabled = await fetch(`http://${offHttp}/v1/coordinates`);
    expect(disabled.status).toBe(404);
    expect(((await disabled.json()) as {error: string}).error).toContain("disableCoordinates");
  });

  it("prints serf's rtt line for `lifeline rtt A B` and `lifeline rtt A` (B = the agent)", async () => {
    const two = captureIo();
    expect(await run(["rtt", "--http", http, "b", "c"], two)).toBe(0);
    expect(two.out.join("")).toMatch(/^Estimated b <-> c rtt: \d+\.\d{3} ms \(using LAN coordinates\)\n$/);
    const one = captureIo();
    expect(await run(["rtt", "--http", http, "b"], one)).toBe(0);
    expect(one.out.join("")).toMatch(/^Estimated b <-> a rtt: \d+\.\d{3} ms \(using LAN coordinates\)\n$/);
  });

  it("fails clearly for an unknown node, a disabled agent, and bad usage", async () => {
    const unknown = captureIo();
    expect(await run(["rtt", "--http", http, "nobody"], unknown)).toBe(1);
    expect(unknown.err.join("")).toContain('could not find a coordinate for node "nobody"');
    const disabled = captureIo();
    expect(await run(["rtt", "--http", offHttp, "a"], disabled)).toBe(1);
    expect(disabled.err.join("")).toContain("disableCoordinates");
    for (const args of [["rtt"], ["rtt", "a", "b", "c"]]) {
      const usage = captureIo();
      expect(await run([...args, "--http", http], usage)).toBe(2);
      expect(usage.err.join("")).toContain("NODE1 [NODE2]");
    }
  });
});
