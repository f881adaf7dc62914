/*
 * Golden bytes from a real Debian serf 0.9.4 agent (memberlist 0.2.2), captured with tcpdump
 * by scripts/capture-fixtures.sh (see test/fixtures/serf/README.md). Every datagram and stream
 * must decode to the expected messages, and — the strongest check — re-encoding what we decoded
 * must reproduce serf's bytes exactly (msgpack forms, key order, compound framing, CRC, and Go's
 * LZW output), except for the random nonce of encrypted packets, whose plaintext is compared.
 */
import {readFileSync} from "node:fs";
import {describe, expect, it} from "vitest";
import {
  DecodeError,
  decodePacket,
  decodePacketParts,
  decodeStream,
  decodeTags,
  decryptPayload,
  encodePacket,
  encodeStream,
  Keyring,
} from "../../../src/codec/index.ts";
import type {Message, PushPullMessage, StreamMessage} from "../../../src/core/index.ts";

interface Fixture {
  scenario: string;
  serf: {version: string; debianPackage: string};
  udp: {t: number; src: string; dst: string; hex: string}[];
  tcp: {t: number; client: string; server: string; request: string; response: string}[];
}

/** The key given to `serf agent -encrypt` in the encrypted scenario (test-only). */
const FIXTURE_KEY = "KbLAEHxSxvrwf9Gx5kVRakFyITTZ1qHaTgNQh7Ms1aA=";
const SERF_VSN = [1, 5, 2, 2, 5, 5];

function load(name: string): Fixture {
  return JSON.parse(readFileSync(new URL(`../../fixtures/serf/${name}.json`, import.meta.url), "utf8")) as Fixture;
}

const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

for (const scenario of ["compressed", "uncompressed", "encrypted"] as const) {
  describe(`serf fixture: ${scenario}`, () => {
    const f = load(scenario);
    const keyring = scenario === "encrypted" ? Keyring.fromBase64([FIXTURE_KEY]) : undefined;
    const opts = keyring === undefined ? {} : {keyring};
    const compress = scenario !== "uncompressed";
    const datagrams = f.udp.map((p) => ({...p, bytes: hex(p.hex)}));
    const messages: Message[] = [];
    for (const d of datagrams) messages.push(...decodePacket(d.bytes, opts));
    const streams: StreamMessage[] = [];
    for (const c of f.tcp) {
      for (const side of [c.request, c.response]) {
        if (side === "") continue;
        const r = decodeStream(hex(side), opts);
        if (r !== undefined) streams.push(r.message);
      }
    }

    it("was captured from Debian's serf 0.9.4", () => {
      expect(f.serf.debianPackage).toMatch(/^0\.9\.4/);
      expect(datagrams.length).toBeGreaterThan(50);
    });

    it("decodes every datagram with no failed part", () => {
      for (const d of datagrams) {
        const r = decodePacketParts(d.bytes, opts);
        expect(r.errors, `${d.src}->${d.dst} @${d.t}: ${d.hex}`).toEqual([]);
        expect(r.messages.length).toBeGreaterThan(0);
      }
    });

    it("decodes every stream completely, reporting all bytes consumed", () => {
      let n = 0;
      for (const c of f.tcp) {
        for (const side of [c.request, c.response]) {
          if (side === "") continue;
          const bytes = hex(side);
          const r = decodeStream(bytes, opts);
          expect(r?.consumed, `${c.client}->${c.server}`).toBe(bytes.length);
          // Every strict prefix needs more bytes (or, once the frame header says so, is still incomplete).
          expect(decodeStream(bytes.subarray(0, bytes.length - 1), opts)).toBeUndefined();
          n++;
        }
      }
      expect(n).toBeGreaterThanOrEqual(4);
    });

    it("contains pings and acks carrying serf's coordinate payload", () => {
      const ping = messages.find((m) => m.type === "ping" && m.node === "s1" && m.sourceNode === "s2");
      expect(ping).toMatchObject({
        type: "ping",
        node: "s1",
        source: {host: "127.0.77.2", port: 47947},
        sourceNode: "s2",
      });
      const acks = messages.filter((m): m is Extract<Message, {type: "ack"}> => m.type === "ack");
      // Direct acks carry serf's ping-delegate payload; acks relayed for an indirect probe carry none.
      const withPayload = acks.filter((a) => a.payload.length > 0);
      expect(withPayload.length).toBeGreaterThan(5);
      for (const a of withPayload) {
        // 0x01 + msgpack coordinate {Adjustment, Error, Height, Vec}.
        expect(a.payload[0]).toBe(1);
        expect(Buffer.from(a.payload).includes(Buffer.from("Adjustment"))).toBe(true);
      }
    });

    it("contains alive messages for s1, s2 and s3 with Vsn [1,5,2,2,5,5], 4-byte addresses and serf tags", () => {
      const alive = (node: string) => messages.find((m) => m.type === "alive" && m.node === node);
      const expected = {
        s1: {host: "127.0.77.1", port: 47946, tags: {role: "seed", dc: "lab"}},
        s2: {host: "127.0.77.2", port: 47947, tags: {role: "web"}},
        s3: {host: "127.0.77.3", port: 47948, tags: {}},
      };
      for (const [name, want] of Object.entries(expected)) {
        const a = alive(name);
        expect(a, name).toBeDefined();
        if (a?.type !== "alive") continue;
        expect(a.incarnation).toBe(1);
        expect([...a.vsn]).toEqual(SERF_VSN);
        expect(a.addr).toEqual({host: want.host, port: want.port});
        expect(decodeTags(a.meta)).toEqual(want.tags);
      }
    });

    it("contains s3's suspicion, its refutation at incarnation 2, and its death", () => {
      expect(messages.some((m) => m.type === "suspect" && m.node === "s3" && m.incarnation === 1)).toBe(true);
      expect(messages.some((m) => m.type === "alive" && m.node === "s3" && m.incarnation === 2)).toBe(true);
      const dead = messages.find((m) => m.type === "dead" && m.node === "s3");
      expect(dead?.type === "dead" && dead.from !== "s3").toBe(true);
    });

    it("contains indirect pings asking for nacks, and nacks", () => {
      const ind = messages.find((m) => m.type === "indirectPing");
      expect(ind).toMatchObject({
        type: "indirectPing",
        node: "s3",
        nack: true,
        target: {host: "127.0.77.3", port: 47948},
      });
      expect(messages.some((m) => m.type === "nack")).toBe(true);
    });

    it("contains TCP fallback pings to the frozen s3 and its acks on the same stream", () => {
      const pings = streams.filter((s) => s.type === "ping");
      expect(pings.length).toBeGreaterThanOrEqual(2);
      expect(pings[0]).toMatchObject({type: "ping", node: "s3"});
      expect(streams.some((s) => s.type === "ack" && s.payload.length === 0)).toBe(true);
    });

    it("contains s2's graceful leave: dead with From == Node", () => {
      expect(messages).toContainEqual({type: "dead", incarnation: 1, node: "s2", from: "s2"});
    });

    it("contains serf user messages: join intents and the 'deploy' user event", () => {
      const users = messages.filter((m): m is Extract<Message, {type: "user"}> => m.type === "user");
      expect(users.some((u) => u.payload[0] === 1)).toBe(true); // serf messageJoinType
      const event = users.find((u) => u.payload[0] === 3); // serf messageUserEventType
      expect(event && Buffer.from(event.payload).includes(Buffer.from("deploy"))).toBe(true);
    });

    it("contains join push-pull streams listing members with serf's user state", () => {
      const pps = streams.filter((s): s is PushPullMessage => s.type === "pushPull");
      expect(pps.length).toBeGreaterThanOrEqual(4);
      expect(pps.every((p) => p.join)).toBe(true);
      const names = new Set(pps.flatMap((p) => p.states.map((s) => s.name)));
      expect([...names].sort()).toEqual(["s1", "s2", "s3"]);
      for (const p of pps) {
        expect(p.userState[0]).toBe(2); // serf messagePushPullType
        for (const s of p.states) expect([...s.vsn]).toEqual(SERF_VSN);
      }
    });

    it("re-encodes every datagram to serf's exact bytes (encrypted: exact plaintext)", () => {
      for (const d of datagrams) {
        const plain = keyring === undefined ? d.bytes : decryptPayload(keyring, d.bytes);
        const crc = plain[0] === 12;
        const msgs = decodePacket(d.bytes, opts);
        expect(toHex(encodePacket(msgs, {compress, crc})), `${d.src}->${d.dst} @${d.t}`).toBe(toHex(plain));
      }
    });

    it("re-encodes every stream to serf's exact bytes (encrypted: exact plaintext)", () => {
      for (const c of f.tcp) {
        for (const side of [c.request, c.response]) {
          if (side === "") continue;
          const bytes = hex(side);
          const r = decodeStream(bytes, opts);
          if (r === undefined) throw new Error("incomplete stream");
          if (keyring === undefined) {
            expect(toHex(encodeStream(r.message, {compress}))).toBe(side);
          } else {
            expect(bytes[0]).toBe(0x0a);
            const plain = decryptPayload(keyring, bytes.subarray(5), bytes.subarray(0, 5));
            expect(toHex(encodeStream(r.message, {compress}))).toBe(toHex(plain));
          }
        }
      }
    });

    if (scenario === "compressed") {
      it("uses LZW compression (0x09) for larger datagrams and CRC (0x0C) for gossip", () => {
        const inner = (b: Uint8Array) => (b[0] === 12 ? b[5] : b[0]);
        expect(datagrams.some((d) => inner(d.bytes) === 9)).toBe(true);
        expect(datagrams.some((d) => d.bytes[0] === 12)).toBe(true);
      });
    }
    if (scenario === "uncompressed") {
      it("never uses compression with -disable-compression", () => {
        const inner = (b: Uint8Array) => (b[0] === 12 ? b[5] : b[0]);
        expect(datagrams.some((d) => inner(d.bytes) === 9)).toBe(false);
        for (const c of f.tcp) if (c.request !== "") expect(c.request.slice(0, 2)).not.toBe("09");
      });
    }
    if (scenario === "encrypted") {
      it("encrypts every datagram with version 1 and refuses to decode them without the key", () => {
        for (const d of datagrams) expect(d.bytes[0]).toBe(1);
        const wrong = Keyring.fromBase64([Buffer.alloc(32, 1).toString("base64")]);
        for (const d of datagrams.slice(0, 10)) {
          expect(() => decodePacket(d.bytes, {keyring: wrong})).toThrow(DecodeError);
        }
      });
    }
  });
}

describe("serf fixture: ipv6 (two agents on [::1], uncompressed)", () => {
  const f = load("ipv6");
  const datagrams = f.udp.map((p) => hex(p.hex));
  const messages = datagrams.flatMap((d) => decodePacket(d));

  it("decodes 16-byte addresses as IPv6 text and re-encodes every datagram and stream exactly", () => {
    expect(datagrams.length).toBeGreaterThan(10);
    const alive = messages.find((m) => m.type === "alive" && m.node === "s1");
    expect(alive).toMatchObject({addr: {host: "::1", port: 47956}, vsn: SERF_VSN});
    const ping = messages.find((m) => m.type === "ping");
    expect(ping?.type === "ping" && ping.source?.host).toBe("::1");
    for (const d of datagrams) {
      expect(toHex(encodePacket(decodePacket(d), {crc: d[0] === 12}))).toBe(toHex(d));
    }
    for (const c of f.tcp) {
      for (const side of [c.request, c.response]) {
        const r = decodeStream(hex(side));
        expect(r?.consumed).toBe(side.length / 2);
        if (r !== undefined) expect(toHex(encodeStream(r.message))).toBe(side);
      }
    }
  });

  it("contains s2's graceful leave", () => {
    expect(messages).toContainEqual({type: "dead", incarnation: 1, node: "s2", from: "s2"});
  });
});

describe("serf fixture: bigstate (27 KB compressed push/pull reply)", () => {
  const f = load("bigstate");
  const reply = hex(f.tcp[0]?.response ?? "");

  it("decodes the reply with serf's 120 user events in its user state", () => {
    const r = decodeStream(reply);
    expect(r?.consumed).toBe(reply.length);
    const m = r?.message;
    expect(m?.type).toBe("pushPull");
    if (m?.type !== "pushPull") return;
    expect(m.states.map((s) => s.name)).toEqual(["s1"]);
    expect(m.userState.length).toBeGreaterThan(20_000);
    expect(Buffer.from(m.userState).includes(Buffer.from("ev120"))).toBe(true);
  });

  it("re-encodes it to serf's exact bytes, through several LZW dictionary resets", () => {
    const r = decodeStream(reply);
    if (r === undefined) throw new Error("incomplete");
    expect(toHex(encodeStream(r.message, {compress: true}))).toBe(toHex(reply));
  });
});
