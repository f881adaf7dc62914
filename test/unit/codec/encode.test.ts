import {Packr} from "msgpackr";
import {describe, expect, it} from "vitest";
import {decodePacket, EncodeError, encodedSize, encodeMessage, encodeStream} from "../../../src/codec/index.ts";
import type {Message} from "../../../src/core/index.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("encodeMessage reproduces the spec §5.13 worked examples byte for byte", () => {
  it("encodes serf s1's ping to ts1 (62 bytes) exactly", () => {
    const ping: Message = {
      type: "ping",
      seqNo: 7,
      node: "ts1",
      source: {host: "10.0.0.1", port: 7946},
      sourceNode: "s1",
    };
    const want = hex(`00 85 a4 4e6f6465 a3 747331  a5 5365714e6f 07
      aa 536f7572636541646472 a4 0a000001  aa 536f757263654e6f6465 a2 7331
      aa 536f75726365506f7274 cd 1f0a`);
    expect(toHex(encodeMessage(ping))).toBe(toHex(want));
    expect(want.length).toBe(62);
    expect(encodedSize(ping)).toBe(62);
  });

  it("encodes an ack without payload as nil Payload (18 bytes)", () => {
    const ack: Message = {type: "ack", seqNo: 7, payload: new Uint8Array(0)};
    expect(toHex(encodeMessage(ack))).toBe(toHex(hex("02 82 a7 5061796c6f6164 c0 a5 5365714e6f 07")));
    expect(encodedSize(ack)).toBe(18);
  });

  it("encodes alive for ts1 with serf empty tags and Vsn as a 6-byte raw string (61 bytes)", () => {
    const alive: Message = {
      type: "alive",
      incarnation: 1,
      node: "ts1",
      addr: {host: "10.0.0.5", port: 7946},
      meta: hex("ff80"),
      vsn: [1, 5, 2, 2, 5, 5],
    };
    const want = hex(`04 86 a4 41646472 a4 0a000005  ab 496e6361726e6174696f6e 01  a4 4d657461 a2 ff80
      a4 4e6f6465 a3 747331  a4 506f7274 cd 1f0a  a3 56736e a6 010502020505`);
    expect(toHex(encodeMessage(alive))).toBe(toHex(want));
    expect(want.length).toBe(61);
    expect(encodedSize(alive)).toBe(61);
  });

  it("encodes a graceful leave (dead with From == Node)", () => {
    const dead: Message = {type: "dead", incarnation: 3, node: "ts1", from: "ts1"};
    expect(toHex(encodeMessage(dead))).toBe(
      toHex(hex("05 83 a4 46726f6d a3 747331 ab 496e6361726e6174696f6e 03 a4 4e6f6465 a3 747331")),
    );
  });

  it("encodes a join push-pull header with one node and no user state", () => {
    const bytes = encodeStream({
      type: "pushPull",
      join: true,
      userState: new Uint8Array(0),
      states: [
        {
          name: "ts1",
          addr: {host: "10.0.0.5", port: 7946},
          incarnation: 1,
          meta: hex("ff80"),
          state: "alive",
          vsn: [1, 5, 2, 2, 5, 5],
        },
      ],
    });
    const header = hex("06 83 a4 4a6f696e c3 a5 4e6f646573 01 ac 5573657253746174654c656e 00");
    expect(toHex(bytes.subarray(0, header.length))).toBe(toHex(header));
  });

  it("builds the ping+alive compound header 07 02 00 3e 00 3d", async () => {
    const {encodePacket} = await import("../../../src/codec/index.ts");
    const packet = encodePacket([
      {type: "ping", seqNo: 7, node: "ts1", source: {host: "10.0.0.1", port: 7946}, sourceNode: "s1"},
      {
        type: "alive",
        incarnation: 1,
        node: "ts1",
        addr: {host: "10.0.0.5", port: 7946},
        meta: hex("ff80"),
        vsn: [1, 5, 2, 2, 5, 5],
      },
    ]);
    expect(toHex(packet.subarray(0, 6))).toBe("070200 3e003d".replace(/\s/g, ""));
    expect(decodePacket(packet).map((m) => m.type)).toEqual(["ping", "alive"]);
  });
});

describe("encodeMessage uses Go's exact msgpack forms", () => {
  it("writes a 40-byte node name as str16 (da), never str8 (d9)", () => {
    const name = "n".repeat(40);
    const bytes = encodeMessage({type: "suspect", incarnation: 1, node: name, from: "a"});
    const i = Buffer.from(bytes).indexOf(Buffer.from(name));
    expect(toHex(bytes.subarray(i - 3, i))).toBe("da0028");
  });

  it("writes integers in the smallest unsigned form (fixint, cc, cd, ce)", () => {
    const forms = [
      [127, "7f"],
      [128, "cc80"],
      [255, "ccff"],
      [256, "cd0100"],
      [65535, "cdffff"],
      [65536, "ce00010000"],
      [0xffffffff, "ceffffffff"],
    ] as const;
    for (const [n, want] of forms) {
      const bytes = encodeMessage({type: "nack", seqNo: n});
      expect(toHex(bytes.subarray(8))).toBe(want);
    }
  });

  it("writes IPv6 addresses as 16 raw bytes", () => {
    const bytes = encodeMessage({
      type: "alive",
      incarnation: 1,
      node: "v6",
      addr: {host: "fe80::1", port: 1},
      meta: new Uint8Array(0),
      vsn: [1, 5, 2, 2, 5, 5],
    });
    expect(toHex(bytes.subarray(7, 24))).toBe(`b0fe80${"00".repeat(13)}01`);
  });

  it("omits SourceAddr, SourcePort and SourceNode when the ping has no source (omitempty)", () => {
    expect(toHex(encodeMessage({type: "ping", seqNo: 1, node: "x"}))).toBe(
      toHex(hex("00 82 a4 4e6f6465 a1 78 a5 5365714e6f 01")),
    );
  });

  it("writes lone UTF-16 surrogates as U+FFFD and sizes them exactly", () => {
    const m: Message = {type: "suspect", incarnation: 1, node: "a\ud800b", from: "\udc00"};
    const bytes = encodeMessage(m);
    expect(encodedSize(m)).toBe(bytes.length);
    expect(decodePacket(bytes)).toEqual([{...m, node: "a\ufffdb", from: "\ufffd"}]);
  });

  it("differs from msgpackr exactly where Go's forms need hand-writing (bin and str8)", () => {
    // msgpackr, configured as spec §4.4 suggests, writes a Buffer as bin8 (c4) and a 40-byte
    // string as str8 (d9); go-msgpack writes both as raw str (a0+n / da). Go accepts either, but
    // only the hand-written encoder reproduces serf's bytes.
    const packr = new Packr({useRecords: false, variableMapSize: true, encodeUndefinedAsNil: true});
    expect(toHex(packr.pack(Buffer.from([10, 0, 0, 1])))).toBe("c4040a000001");
    expect(toHex(packr.pack("n".repeat(40))).slice(0, 4)).toBe("d928");
    const ours = encodeMessage({type: "ping", seqNo: 1, node: "n".repeat(40), source: {host: "10.0.0.1", port: 1}});
    expect(toHex(ours)).toContain("da0028");
    expect(toHex(ours)).toContain("a40a000001");
  });

  it("encodes a user message as 0x08 followed by the raw payload", () => {
    expect(toHex(encodeMessage({type: "user", payload: hex("0102ff")}))).toBe("080102ff");
  });
});

describe("encodeMessage refuses what would crash or confuse a Go peer", () => {
  const alive = {
    type: "alive" as const,
    incarnation: 1,
    node: "a",
    addr: {host: "10.0.0.1", port: 7946},
    meta: new Uint8Array(0),
    vsn: [1, 5, 2, 2, 5, 5] as const,
  };

  it("rejects a Vsn that is not exactly 6 entries", () => {
    const bad = {...alive, vsn: [1, 5, 2] as unknown as typeof alive.vsn};
    expect(() => encodeMessage(bad)).toThrow(EncodeError);
  });

  it("rejects meta over 512 bytes", () => {
    expect(() => encodeMessage({...alive, meta: new Uint8Array(513)})).toThrow(EncodeError);
    expect(encodeMessage({...alive, meta: new Uint8Array(512)}).length).toBeGreaterThan(512);
  });

  it("rejects incarnations, sequence numbers and ports outside their Go types", () => {
    expect(() => encodeMessage({...alive, incarnation: 2 ** 32})).toThrow(EncodeError);
    expect(() => encodeMessage({...alive, incarnation: -1})).toThrow(EncodeError);
    expect(() => encodeMessage({...alive, incarnation: 1.5})).toThrow(EncodeError);
    expect(() => encodeMessage({type: "ack", seqNo: 2 ** 32, payload: new Uint8Array(0)})).toThrow(EncodeError);
    expect(() => encodeMessage({...alive, addr: {host: "10.0.0.1", port: 65536}})).toThrow(EncodeError);
  });

  it("rejects hosts that are not IP literals, naming the field", () => {
    try {
      encodeMessage({...alive, addr: {host: "example.com", port: 1}});
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EncodeError);
      expect((e as EncodeError).field).toBe("addr.host");
    }
  });
});
