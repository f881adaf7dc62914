/*
 * Fuzzing a real agent's ports on loopback: fast-check generates batches of garbage — golden
 * serf packets (test/fixtures/serf) with random byte edits, and plain random bytes — keeps only
 * those the codec rejects, and fires them at a running agent's UDP port and TCP port. After each
 * batch the agent must still be running, must answer a hand-encoded ping datagram with its ack,
 * must have counted every garbage datagram (lifeline_decode_errors_total) and every garbage stream
 * (lifeline_stream_decode_errors_total), and its peer must still see it alive.
 *
 * Decodable mutations are left out on purpose: they are valid messages (an alive for some
 * fixture node at a 127.0.77.x address, say), which would make the agent probe addresses that
 * are not ours; the codec's own properties cover decoding them.
 */

import {createSocket, type Socket} from "node:dgram";
import {readFileSync} from "node:fs";
import {connect} from "node:net";
import fc from "fast-check";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {type Agent, createAgent} from "../../src/agent/index.ts";
import {DecodeError, decodePacket, decodeStream, encodePacket} from "../../src/codec/index.ts";
import {checkAsyncProperty} from "../helpers/property-run.ts";

interface Fixture {
  udp: {hex: string}[];
  tcp: {request: string; response: string}[];
}
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/serf/${name}.json`, import.meta.url), "utf8")) as Fixture;
const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));

const goldenDatagrams: Uint8Array[] = [];
const goldenStreams: Uint8Array[] = [];
for (const name of ["uncompressed", "compressed", "encrypted"]) {
  const f = fixture(name);
  for (const p of f.udp.slice(0, 60)) goldenDatagrams.push(hex(p.hex));
  for (const c of f.tcp) for (const s of [c.request, c.response]) if (s) goldenStreams.push(hex(s));
}

/** A golden input with 1–6 byte edits (overwrite, insert, delete, truncate, bit flip). */
function mutated(golden: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      fc.constantFrom(...golden),
      fc.array(fc.tuple(fc.constantFrom("set", "insert", "delete", "truncate", "flip"), fc.nat(), fc.nat(255)), {
        minLength: 1,
        maxLength: 6,
      }),
    )
    .map(([base, edits]) => {
      const b = [...base];
      for (const [op, at, v] of edits) {
        const i = b.length === 0 ? 0 : at % b.length;
        if (op === "set") b[i] = v;
        else if (op === "insert") b.splice(i, 0, v);
        else if (op === "delete") b.splice(i, 1);
        else if (op === "flip") b[i] = ((b[i] ?? 0) ^ (1 << (v & 7))) & 255;
        else b.length = i;
      }
      return Uint8Array.from(b);
    });
}

function rejectsPacket(bytes: Uint8Array): boolean {
  try {
    decodePacket(bytes);
    return false;
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return true;
  }
}

function rejectsStream(bytes: Uint8Array): boolean {
  try {
    decodeStream(bytes); // a message, or undefined (incomplete): not garbage yet
    return false;
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return true;
  }
}

const randomBytes = fc.uint8Array({minLength: 1, maxLength: 1400});
const garbageDatagram = fc.oneof(mutated(goldenDatagrams), randomBytes).filter(rejectsPacket);
const garbageStream = fc
  .oneof(mutated(goldenStreams), fc.uint8Array({minLength: 1, maxLength: 4096}))
  .filter(rejectsStream);

function sendDatagram(socket: Socket, port: number, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => socket.send(bytes, port, "127.0.0.1", (e) => (e ? reject(e) : resolve())));
}

function sendStream(port: number, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({host: "127.0.0.1", port}, () => socket.end(bytes));
    socket.on("data", () => {});
    socket.on("error", () => resolve()); // the agent may reset a garbage connection
    socket.on("close", () => resolve());
    socket.setTimeout(5_000, () => socket.destroy());
  });
}

async function eventually(cond: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return cond();
}

describe("fuzzing a real agent's UDP and TCP ports", () => {
  let target: Agent;
  let peer: Agent;
  let client: Socket;
  // BOUNDED: one entry per ack received by the test client (one ping per property run).
  const acks = new Set<number>();

  beforeAll(async () => {
    const fast = {profile: "local" as const, probeIntervalMs: 200, probeTimeoutMs: 100, bind: "127.0.0.1:0"};
    target = await createAgent({...fast, name: "target"});
    peer = await createAgent({...fast, name: "peer", join: [`127.0.0.1:${target.address.port}`]});
    client = createSocket("udp4");
    client.on("message", (msg) => {
      try {
        for (const m of decodePacket(new Uint8Array(msg))) if (m.type === "ack") acks.add(m.seqNo);
      } catch {
        // not for us to judge
      }
    });
    await new Promise<void>((resolve) => client.bind(0, "127.0.0.1", resolve));
    await eventually(() => peer.members().some((m) => m.name === "target" && m.state === "alive"), 5_000);
  });

  afterAll(async () => {
    client?.close();
    await Promise.all([peer?.stop(), target?.stop()]);
  });

  it("counts an empty datagram as a decode error (regression: soak seed 280099442, the transport used to drop it uncounted)", async () => {
    const before = target.stats.driver.decodeErrors;
    await sendDatagram(client, target.address.port, new Uint8Array(0));
    expect(await eventually(() => target.stats.driver.decodeErrors === before + 1, 3_000)).toBe(true);
  });

  it("keeps running, answers pings and counts every garbage datagram and stream it is sent", async () => {
    const port = target.address.port;
    const clientPort = client.address().port;
    let seqNo = 1_000;
    const metric = async (name: string) =>
      Number(new RegExp(`^${name} (\\d+)$`, "m").exec(await target.metrics.metrics())?.[1] ?? NaN);
    const metricBefore = await metric("lifeline_decode_errors_total");
    let sent = 0;
    const name = "keeps running, answers pings and counts every garbage datagram and stream it is sent";
    await checkAsyncProperty(
      name,
      fc.asyncProperty(
        fc.array(garbageDatagram, {minLength: 1, maxLength: 8}),
        fc.array(garbageStream, {maxLength: 2}),
        async (datagrams, streams) => {
          const driver = () => target.stats.driver;
          const before = {udp: driver().decodeErrors, tcp: driver().streamDecodeErrors};
          for (const d of datagrams) await sendDatagram(client, port, d);
          sent += datagrams.length;
          await Promise.all(streams.map((s) => sendStream(port, s)));
          const counted = await eventually(
            () =>
              driver().decodeErrors >= before.udp + datagrams.length &&
              driver().streamDecodeErrors >= before.tcp + streams.length,
            5_000,
          );
          expect(counted, "every garbage datagram and stream was counted").toBe(true);
          expect(driver().decodeErrors).toBe(before.udp + datagrams.length);
          expect(driver().streamDecodeErrors).toBe(before.tcp + streams.length);
          // A hand-encoded ping from the test's own socket gets its ack.
          const s = ++seqNo;
          const ping = encodePacket([
            {type: "ping", seqNo: s, node: "target", source: {host: "127.0.0.1", port: clientPort}, sourceNode: "fuzz"},
          ]);
          let answered = false;
          for (let attempt = 0; attempt < 3 && !answered; attempt++) {
            await sendDatagram(client, port, ping);
            answered = await eventually(() => acks.has(s), 1_000);
          }
          expect(answered, `ack for ping ${s}`).toBe(true);
          expect(target.state).toBe("running");
        },
      ),
      {numRuns: 25, file: import.meta.url},
    );
    // The metric an operator scrapes rose by exactly the garbage sent.
    expect((await metric("lifeline_decode_errors_total")) - metricBefore).toBe(sent);
    expect(peer.members().find((m) => m.name === "target")?.state).toBe("alive");
  });
});
