/*
 * Garbage from the network: random and truncated bytes over UDP and TCP are counted as decode
 * errors and dropped; the agent keeps answering probes and push-pulls.
 */
import {createSocket} from "node:dgram";
import {connect} from "node:net";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Agent} from "../../src/agent/index.ts";
import {decodeStream, encodeStream} from "../../src/codec/index.ts";
import {AgentCluster, addressOf, allSee, eventually} from "../helpers/agent-cluster.ts";

function sendUdp(port: number, payloads: readonly Uint8Array[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    let left = payloads.length;
    for (const payload of payloads) {
      socket.send(payload, port, "127.0.0.1", (error) => {
        if (error) reject(error);
        if (--left === 0) {
          socket.close();
          resolve();
        }
      });
    }
  });
}

/** Writes `bytes` on a fresh TCP connection and collects what comes back until the peer closes. */
function exchangeTcp(port: number, bytes: Uint8Array, halfClose = true): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({host: "127.0.0.1", port, allowHalfOpen: true}, () => {
      socket.write(bytes);
      if (halfClose) socket.end();
    });
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("end", () => socket.end());
    socket.on("close", () => resolve(Buffer.concat(chunks)));
    socket.on("error", reject);
    socket.setTimeout(5_000, () => {
      socket.destroy();
      reject(new Error("no close within 5 s"));
    });
  });
}

describe("garbage bytes sent to an agent", () => {
  const cluster = new AgentCluster();
  let target: Agent;
  let peer: Agent;

  beforeAll(async () => {
    target = await cluster.add({name: "target", tcpTimeoutMs: 300});
    peer = await cluster.add({name: "peer", join: []});
    await peer.join([addressOf(target)]);
    await eventually(() => allSee([target, peer], ["target", "peer"], "alive"), 5_000, "both alive");
  });
  afterAll(async () => {
    await cluster.stopAll();
  });

  it("counts undecodable datagrams as decode errors and keeps answering probes", async () => {
    const before = target.stats.driver.decodeErrors;
    const errors: string[] = [];
    target.on("decodeError", (error) => errors.push(error.code));
    const garbage = [
      Uint8Array.of(0xff),
      Uint8Array.of(7, 200, 0, 1),
      Uint8Array.of(12, 0, 0, 0, 0, 1, 2, 3),
      Uint8Array.of(9, 0x82, 0xa4),
      crypto.getRandomValues(new Uint8Array(900)),
    ];
    await sendUdp(target.address.port, garbage);
    await eventually(() => target.stats.driver.decodeErrors >= before + garbage.length, 3_000, "five decode errors");
    expect(errors.length).toBeGreaterThanOrEqual(garbage.length);
    expect(errors.every((code) => typeof code === "string" && code.length > 0)).toBe(true);
    const acksBefore = peer.node.stats.acksReceived;
    await eventually(() => peer.node.stats.acksReceived > acksBefore + 2, 5_000, "the peer keeps getting acks");
    expect(peer.members().find((m) => m.name === "target")?.state).toBe("alive");
  });

  it("answers a garbage stream with an error reply, counts it, and still serves push-pull", async () => {
    const before = target.stats.driver.streamDecodeErrors;
    const reply = await exchangeTcp(target.address.port, Uint8Array.of(0x42, 1, 2, 3, 4, 5));
    expect(target.stats.driver.streamDecodeErrors).toBe(before + 1);
    expect(decodeStream(reply)?.message).toMatchObject({type: "err"});
    expect(await peer.join([addressOf(target)])).toBe(1);
  });

  it("closes a stream that never completes its request when tcpTimeoutMs passes", async () => {
    const before = target.stats.driver.streamTimeouts;
    const whole = encodeStream({type: "ping", seqNo: 1, node: "target"});
    const started = performance.now();
    // Half a message, and the write side left open: only the deadline can end it.
    await exchangeTcp(target.address.port, whole.subarray(0, Math.max(1, whole.length >> 1)), false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(target.stats.driver.streamTimeouts).toBe(before + 1);
  });

  it("answers a TCP fallback ping addressed to it with an ack on the same connection", async () => {
    const reply = await exchangeTcp(
      target.address.port,
      encodeStream({type: "ping", seqNo: 77, node: "target"}),
      false,
    );
    expect(decodeStream(reply)?.message).toMatchObject({type: "ack", seqNo: 77});
  });
});
