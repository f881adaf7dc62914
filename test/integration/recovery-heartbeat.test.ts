/*
 * Plain heartbeats over real loopback sockets: devices that beat over UDP, over one TCP
 * connection per beat, and over one long TCP connection are judged by the phi-accrual
 * detector; a silent device goes down within the bound its own rhythm implies and comes back
 * up when it resumes; garbage and floods are dropped and counted. Short intervals (50 ms beats,
 * a 20 ms σ floor, no acceptable pause) keep it to a couple of seconds.
 */
import {createSocket} from "node:dgram";
import {connect, type Socket} from "node:net";
import {afterEach, describe, expect, it} from "vitest";
import type {DeviceView} from "../../src/heartbeat/registry.ts";
import {HeartbeatService, type HeartbeatServiceInit} from "../../src/heartbeat/service.ts";
import {silenceForPhi} from "../../src/phi/index.ts";
import {eventually} from "../helpers/agent-cluster.ts";

const FAST_PHI = {firstHeartbeatEstimateMs: 50, acceptableHeartbeatPauseMs: 0, minStdDeviationMs: 20};
const udp = createSocket("udp4");
const services: HeartbeatService[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const service of services.splice(0)) await service.stop();
});

async function startService(init: Partial<HeartbeatServiceInit> = {}) {
  const events: {type: "up" | "down"; device: DeviceView; atMs: number}[] = [];
  const service = new HeartbeatService({
    name: "agent-1",
    listen: {host: "127.0.0.1", port: 0},
    registry: {phi: FAST_PHI, ratePerSecond: 10_000, burst: 10_000},
    evaluateIntervalMs: 10,
    broadcast: () => undefined,
    ...init,
  });
  service.on("heartbeat:up", (device) => events.push({type: "up", device, atMs: performance.now()}));
  service.on("heartbeat:down", (device) => events.push({type: "down", device, atMs: performance.now()}));
  await service.start();
  services.push(service);
  return {service, events, port: (service.address as {port: number}).port};
}

function sendUdp(port: number, text: string | Uint8Array): Promise<void> {
  return new Promise((resolve) => udp.send(text, port, "127.0.0.1", () => resolve()));
}

function sendTcpOnce(port: number, text: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({host: "127.0.0.1", port}, () => socket.end(text));
    socket.on("close", () => resolve());
    socket.on("error", () => resolve());
  });
}

function openTcp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({host: "127.0.0.1", port}, () => resolve(socket));
    socket.on("error", reject);
    sockets.push(socket);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("plain heartbeats on loopback", () => {
  it("brings up devices beating over UDP, TCP per beat and one long TCP connection", async () => {
    const {service, events, port} = await startService();
    const long = await openTcp(port);
    for (let i = 0; i < 10; i++) {
      await sendUdp(port, "dev-udp\n");
      await sendTcpOnce(port, "dev-tcp\n");
      long.write("dev-long\r\n");
      await sleep(50);
    }
    await eventually(() => service.devices().length === 3, 2_000, "three devices known");
    expect(service.devices().map((d) => [d.name, d.state, d.addr])).toEqual([
      ["dev-long", "up", "127.0.0.1"],
      ["dev-tcp", "up", "127.0.0.1"],
      ["dev-udp", "up", "127.0.0.1"],
    ]);
    expect(
      events
        .filter((e) => e.type === "up")
        .map((e) => e.device.name)
        .sort(),
    ).toEqual(["dev-long", "dev-tcp", "dev-udp"]);
    expect(service.devices().every((d) => d.beats >= 9)).toBe(true);
  });

  it("takes a device that stops beating down within its phi bound, and up again when it resumes", async () => {
    const {service, events, port} = await startService();
    for (let i = 0; i < 20; i++) {
      await sendUdp(port, "sensor-7");
      await sleep(50);
    }
    await eventually(() => service.devices()[0]?.beats === 20, 1_000, "twenty beats counted");
    // The bound follows from the rhythm the detector learned (mean ≈ 50 ms + timer jitter, σ ≥ 20 ms).
    const fit = service.registry.localReports(performance.now())[0];
    const boundMs = silenceForPhi(8, fit?.meanMs ?? 0, fit?.stdDeviationMs ?? 1);
    expect(boundMs).toBeGreaterThan(50);
    expect(boundMs).toBeLessThan(1_000);
    const stoppedAt = performance.now();
    await eventually(() => events.some((e) => e.type === "down"), 3_000, "sensor-7 down");
    const down = events.find((e) => e.type === "down") as (typeof events)[number];
    // Down no earlier than the bound, and no later than the bound plus scheduling slack.
    expect(down.atMs - stoppedAt).toBeGreaterThanOrEqual(boundMs - 60);
    expect(down.atMs - stoppedAt).toBeLessThanOrEqual(boundMs + 500);
    expect(service.devices()[0]?.state).toBe("down");
    expect(service.devices()[0]?.phi ?? Number.POSITIVE_INFINITY).toBeGreaterThanOrEqual(8);

    await sendUdp(port, "sensor-7\n");
    await eventually(() => events.filter((e) => e.type === "up").length === 2, 1_000, "sensor-7 up again");
    expect(service.devices()[0]?.state).toBe("up");
  });

  it("drops long lines, bad bytes and floods, counts them, and keeps serving", async () => {
    const {service, port} = await startService({
      registry: {phi: FAST_PHI, ratePerSecond: 5, burst: 10, maxDevices: 50},
    });
    const long = await openTcp(port);
    long.write("x".repeat(100_000)); // no newline: skipped up to the next one
    long.write("\n");
    long.write(Buffer.from([0xff, 0xfe, 0x0a])); // not UTF-8
    long.write("bell\u0007\n"); // control character
    await sendUdp(port, Buffer.alloc(10_000, 0x61)); // datagram too large
    const floodStarted = performance.now();
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(Array.from({length: 50}, (_, i) => sendUdp(port, `flood-${batch * 50 + i}\n`)));
    }
    await eventually(
      () => {
        const l = service.stats.listener;
        return l !== undefined && l.linesTooLong >= 1 && l.linesNotUtf8 === 1 && l.linesBadName === 1;
      },
      2_000,
      "the garbage is counted",
      () => JSON.stringify(service.stats),
    );
    await sleep(100);
    const floodSeconds = (performance.now() - floodStarted) / 1000;
    const stats = service.stats;
    expect(stats.listener?.datagramsTooLarge).toBe(1);
    // Every well-formed line was either accepted or rate-limited; at most burst + rate·t got through.
    expect(stats.registry.beatsAccepted + stats.registry.beatsRateLimited).toBe(stats.listener?.linesAccepted);
    expect(stats.registry.beatsAccepted).toBeLessThanOrEqual(10 + Math.ceil(5 * floodSeconds));
    expect(stats.registry.beatsRateLimited).toBeGreaterThan(100);
    expect(service.devices().length).toBeLessThanOrEqual(50);
    // Still serving: a fresh sender is heard (one bucket per host, so wait for a token).
    await sleep(300);
    await sendTcpOnce(port, "after-flood\n");
    await eventually(
      () => service.devices().some((d) => d.name === "after-flood"),
      1_000,
      "a beat after the flood is accepted",
    );
  });

  it("refuses connections beyond maxConnections and closes idle ones", async () => {
    const {service, port} = await startService({listener: {maxConnections: 5, idleTimeoutMs: 300}});
    const closedAt: number[] = [];
    const opened = await Promise.all(Array.from({length: 10}, () => openTcp(port)));
    const openedAt = performance.now();
    for (const socket of opened) socket.on("close", () => closedAt.push(performance.now() - openedAt));
    await eventually(() => service.stats.listener?.connectionsRefused === 5, 2_000, "five refused");
    expect(service.stats.listener?.connectionsAccepted).toBe(5);
    // The five accepted ones say nothing and are closed after the idle timeout.
    await eventually(() => closedAt.length === 10, 3_000, "all ten closed");
    expect(service.stats.listener?.connectionsTimedOut).toBe(5);
    expect(Math.max(...closedAt)).toBeGreaterThanOrEqual(250);
  });
});
