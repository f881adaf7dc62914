/*
 * Recovery features on real agents on loopback (fast config): an event handler runs when a
 * member fails, with the right environment and stdin; the hash ring drops exactly the dead
 * member and `ring:changed` moves only its arcs; every agent computes the same leader; a plain
 * heartbeat device heard by one agent is visible, with its phi, at every agent and through the
 * HTTP API and CLI; and it goes down everywhere when it stops beating.
 */
import {createSocket} from "node:dgram";
import {mkdtempSync, readFileSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Agent} from "../../src/agent/agent.ts";
import {type CliIo, run} from "../../src/cli/main.ts";
import type {RingChange} from "../../src/ring/index.ts";
import {AgentCluster, allSee, eventually} from "../helpers/agent-cluster.ts";

const NAMES = ["r1", "r2", "r3", "r4"];
const dir = mkdtempSync(join(tmpdir(), "lifeline-recovery-"));
const FAST_HEARTBEAT = {
  phi: {firstHeartbeatEstimateMs: 100, acceptableHeartbeatPauseMs: 0, minStdDeviationMs: 50},
  evaluateIntervalMs: 20,
  reportIntervalMs: 200,
  reportTtlMs: 2_000,
};

function captureIo(): CliIo & {out: string[]; err: string[]} {
  const out: string[] = [];
  const err: string[] = [];
  return {out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t)};
}

describe("recovery features on a four-agent loopback cluster", () => {
  const cluster = new AgentCluster();
  const ringChanges = new Map<string, RingChange[]>();
  let r1: Agent;

  beforeAll(async () => {
    r1 = await cluster.add({
      name: "r1",
      http: "127.0.0.1:0",
      tags: {role: "watcher"},
      heartbeatListen: "127.0.0.1:0",
      heartbeat: FAST_HEARTBEAT,
      eventHandlers: [
        `member-failed=cat >> "${dir}/failed-stdin"; env | grep ^LIFELINE_ | sort > "${dir}/failed-env"`,
        `heartbeat-down=cat >> "${dir}/heartbeat-down"`,
      ],
    });
    for (const name of NAMES.slice(1)) {
      await cluster.add({
        name,
        http: "127.0.0.1:0",
        heartbeat: FAST_HEARTBEAT,
        join: [`${r1.address.host}:${r1.address.port}`],
      });
    }
    for (const agent of cluster.agents) {
      const list: RingChange[] = [];
      ringChanges.set(agent.name, list);
      agent.on("ring:changed", (change) => list.push(change));
    }
    await eventually(
      () => allSee(cluster.running(), NAMES, "alive"),
      10_000,
      "all see four alive",
      () => cluster.describe(),
    );
  });
  afterAll(async () => {
    await cluster.stopAll();
    rmSync(dir, {recursive: true, force: true});
  });

  it("builds the same ring and elects the same leader on every agent", () => {
    for (const agent of cluster.running()) expect(agent.ring.members()).toEqual(NAMES);
    const keys = Array.from({length: 50}, (_, i) => `job-${i}`);
    const reference = keys.map((key) => r1.ring.owner(key));
    for (const agent of cluster.running()) {
      expect(keys.map((key) => agent.ring.owner(key))).toEqual(reference);
      expect(agent.leader()).toBe(r1.leader());
      expect(agent.leader({tags: {role: "watcher"}})).toBe("r1");
    }
  });

  it("answers ring and leader questions over HTTP and the CLI", async () => {
    const http = `${r1.httpAddress?.host}:${r1.httpAddress?.port}`;
    const ring = (await (await fetch(`http://${http}/v1/ring?key=order-42&n=2`)).json()) as {
      owner: string;
      owners: string[];
    };
    expect(ring.owner).toBe(r1.ring.owner("order-42"));
    expect(ring.owners).toEqual(r1.ring.owners("order-42", 2));
    const io = captureIo();
    expect(await run(["ring", "order-42", "--http", http], io)).toBe(0);
    expect(io.out.join("")).toBe(`${ring.owner}\n`);
    expect(await run(["leader", "--http", http, "--tag", "role=watcher"], io)).toBe(0);
    expect(io.out.at(-1)).toBe("r1\n");
    const bad = await fetch(`http://${http}/v1/ring?key=x&n=0`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as {field: string}).field).toBe("n");
  });

  it("shares a plain-heartbeat device with every agent and takes it down everywhere when it stops", async () => {
    const udp = createSocket("udp4");
    const port = r1.heartbeatAddress?.port as number;
    const beat = () => new Promise<void>((resolve) => udp.send("door-sensor\n", port, "127.0.0.1", () => resolve()));
    // Watch r2's event stream for the device.
    const r2http = cluster.get("r2").httpAddress;
    const abort = new AbortController();
    let stream = "";
    const watching = fetch(`http://${r2http?.host}:${r2http?.port}/v1/events`, {signal: abort.signal})
      .then(async (response) => {
        const decoder = new TextDecoder();
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          stream += decoder.decode(chunk, {stream: true});
        }
      })
      .catch(() => undefined);
    // The device beats every 100 ms until the test stops it.
    const beating = setInterval(() => void beat(), 100);
    try {
      await eventually(
        () => cluster.running().every((a) => a.heartbeats().some((d) => d.name === "door-sensor" && d.state === "up")),
        3_000,
        "every agent knows door-sensor up",
      );
      await eventually(() => stream.includes("event: heartbeat:up"), 2_000, "r2 streams heartbeat:up");
      expect(stream).toMatch(/event: heartbeat:up\ndata: \{"type":"heartbeat:up","device":\{"name":"door-sensor"/);
      const far = cluster.get("r4").heartbeats()[0];
      expect(far?.sources).toEqual(["r1"]);
      expect(far?.phi).not.toBeNull();

      const http = `${cluster.get("r3").httpAddress?.host}:${cluster.get("r3").httpAddress?.port}`;
      const io = captureIo();
      expect(await run(["members", "--heartbeats", "--http", http], io)).toBe(0);
      expect(io.out.join("")).toMatch(/^DEVICE\s+STATE\s+PHI.*\ndoor-sensor\s+up\s+\d+\.\d\d\s/);
      const metrics = await (await fetch(`http://${r1.httpAddress?.host}:${r1.httpAddress?.port}/metrics`)).text();
      expect(metrics).toMatch(/^lifeline_heartbeat_devices\{state="up"\} 1$/m);
      expect(metrics).toMatch(/^lifeline_heartbeats_total\{outcome="accepted"\} [1-9]\d*$/m);
      expect(metrics).toMatch(/^lifeline_event_handler_runs_total\{outcome="failed"\} 0$/m);

      clearInterval(beating);

      await eventually(
        () => cluster.running().every((a) => a.heartbeats()[0]?.state === "down"),
        5_000,
        "every agent takes door-sensor down",
        () =>
          cluster
            .running()
            .map((a) => `${a.name}: ${JSON.stringify(a.heartbeats())}`)
            .join("\n"),
      );
      await eventually(
        () => {
          try {
            return readFileSync(join(dir, "heartbeat-down"), "utf8").startsWith("door-sensor\t127.0.0.1\tdown\t");
          } catch {
            return false;
          }
        },
        3_000,
        "the heartbeat-down handler saw the device",
      );
    } finally {
      abort.abort();
      await watching;
      clearInterval(beating);
      udp.close();
    }
  });

  it("runs the member-failed handler and moves only the dead member's arcs when an agent crashes", async () => {
    const victim = cluster.get("r3");
    const keys = Array.from({length: 2_000}, (_, i) => `job-${i}`);
    const before = keys.map((key) => r1.ring.owner(key));
    const changesBefore = ringChanges.get("r1")?.length ?? 0;
    await victim.stop();
    await eventually(
      () => r1.ring.members().length === 3,
      10_000,
      "r1 drops r3 from the ring",
      () => cluster.describe(),
    );
    expect(r1.ring.members()).toEqual(["r1", "r2", "r4"]);
    keys.forEach((key, i) => {
      if (before[i] !== "r3") expect(r1.ring.owner(key)).toBe(before[i]);
    });
    const findChange = () =>
      ringChanges
        .get("r1")
        ?.slice(changesBefore)
        .find((c) => c.removed.includes("r3"));
    // ring reads are always current; the ring:changed event follows once per burst of member events
    await eventually(() => findChange() !== undefined, 5_000, "r1 emits ring:changed removing r3");
    const change = findChange();
    expect(change?.moved.every((move) => move.from === "r3" && move.to !== "r3")).toBe(true);
    expect(change?.movedFraction).toBeGreaterThan(0.1);
    expect(change?.movedFraction).toBeLessThan(0.4);

    await eventually(
      () => {
        try {
          return readFileSync(join(dir, "failed-env"), "utf8").length > 0;
        } catch {
          return false;
        }
      },
      5_000,
      "the member-failed handler ran",
    );
    expect(readFileSync(join(dir, "failed-stdin"), "utf8")).toMatch(/^r3\t127\.0\.0\.1:\d+\tfailed\t\n$/);
    expect(readFileSync(join(dir, "failed-env"), "utf8").trim().split("\n")).toEqual([
      "LIFELINE_EVENT=member-failed",
      "LIFELINE_SELF_NAME=r1",
      "LIFELINE_SELF_TAGS=role=watcher",
      "LIFELINE_TAG_ROLE=watcher",
    ]);
    expect(r1.recoveryStats.eventHandlers?.failed).toBe(0);
  });
});

describe("recovery flags on the CLI", () => {
  const cases: {args: string[]; flag: string}[] = [
    {args: ["agent", "--event-handler", "member-fialed=./x.sh"], flag: "--event-handler"},
    {args: ["agent", "--event-handler-timeout-ms", "0"], flag: "--event-handler-timeout-ms"},
    {args: ["agent", "--event-handler", "query:x,usr=./x.sh"], flag: "--event-handler"},
    {args: ["agent", "--user-coalesce-period-ms", "-5"], flag: "--user-coalesce-period-ms"},
    {args: ["agent", "--user-quiescent-period-ms", "9999999"], flag: "--user-quiescent-period-ms"},
    {args: ["agent", "--heartbeat-listen", "nowhere:99999"], flag: "--heartbeat-listen"},
    {args: ["agent", "--heartbeat-threshold", "0"], flag: "--heartbeat-threshold"},
    {args: ["agent", "--heartbeat-min-std-deviation-ms", "0"], flag: "--heartbeat-min-std-deviation-ms"},
    {args: ["agent", "--heartbeat-max-devices", "0"], flag: "--heartbeat-max-devices"},
    {args: ["agent", "--ring-vnodes", "0"], flag: "--ring-vnodes"},
    {args: ["agent", "--heartbeat-report-interval-ms", "5"], flag: "--heartbeat-report-interval-ms"},
    {args: ["ring"], flag: "KEY"},
    {args: ["ring", "k", "--n", "0"], flag: "--n"},
    {args: ["leader", "--tag", "novalue"], flag: "--tag"},
  ];
  for (const {args, flag} of cases) {
    it(`exits 2 naming ${flag} for ${args.join(" ")}`, async () => {
      const io = captureIo();
      expect(await run(args, io)).toBe(2);
      expect(io.err.join("")).toContain(flag);
    });
  }
});
