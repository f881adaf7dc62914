import {Packr} from "msgpackr";
import {describe, expect, it} from "vitest";
import {
  CodecContext,
  DecodeError,
  type DecodeErrorCode,
  decodeMessage,
  decodePacket,
  encodeMessage,
  lzwCompress,
} from "../../../src/codec/index.ts";
import type {Message} from "../../../src/core/index.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const packr = new Packr({useRecords: false, variableMapSize: true, encodeUndefinedAsNil: true});
/** Type byte + a body written by msgpackr (bin for Buffers, str8 for mid-size strings): an independent encoder. */
const withMsgpackr = (type: number, body: unknown) => Uint8Array.from([type, ...packr.pack(body)]);

function codeOf(f: () => unknown): DecodeErrorCode | "none" {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return (e as DecodeError).code;
  }
  return "none";
}

describe("decodeMessage maps Go structs to core messages", () => {
  it("decodes the spec §5.13 ping into camelCase with a {host, port} source", () => {
    const bytes = hex(`00 85 a4 4e6f6465 a3 747331  a5 5365714e6f 07
      aa 536f7572636541646472 a4 0a000001  aa 536f757263654e6f6465 a2 7331
      aa 536f75726365506f7274 cd 1f0a`);
    expect(decodeMessage(bytes)).toEqual({
      type: "ping",
      seqNo: 7,
      node: "ts1",
      source: {host: "10.0.0.1", port: 7946},
      sourceNode: "s1",
    });
  });

  it("decodes a nil ack payload as an empty byte array", () => {
    expect(decodeMessage(hex("02 82 a7 5061796c6f6164 c0 a5 5365714e6f 07"))).toEqual({
      type: "ack",
      seqNo: 7,
      payload: new Uint8Array(0),
    });
  });

  it("accepts what msgpackr writes: bin byte fields, str8 strings, map16", () => {
    const name = "n".repeat(40);
    const bytes = withMsgpackr(4, {
      Vsn: Buffer.from([1, 5, 2, 2, 5, 5]),
      Node: name,
      Addr: Buffer.from([192, 168, 1, 200]),
      Port: 7946,
      Meta: Buffer.from([0xff, 0x80]),
      Incarnation: 70000,
    });
    expect(decodeMessage(bytes)).toEqual({
      type: "alive",
      incarnation: 70000,
      node: name,
      addr: {host: "192.168.1.200", port: 7946},
      meta: hex("ff80"),
      vsn: [1, 5, 2, 2, 5, 5],
    });
  });

  it("accepts booleans written as 0/1, byte fields as arrays, signed ints, and skips unknown keys", () => {
    const bytes = withMsgpackr(1, {
      Extra: {nested: [1, 2, {x: null}], f: 1.5},
      Nack: 1,
      Node: "t",
      Port: 7946,
      SeqNo: 3,
      Target: [10, 0, 0, 9],
    });
    expect(decodeMessage(bytes)).toEqual({
      type: "indirectPing",
      seqNo: 3,
      node: "t",
      nack: true,
      target: {host: "10.0.0.9", port: 7946},
    });
    // d0 (int8) 5 as SeqNo is accepted, as Go does.
    expect(decodeMessage(hex("0b 81 a5 5365714e6f d0 05"))).toEqual({type: "nack", seqNo: 5});
  });

  it("gives missing fields Go's zero values", () => {
    expect(decodeMessage(hex("0b 80"))).toEqual({type: "nack", seqNo: 0});
    expect(decodeMessage(hex("03 80"))).toEqual({type: "suspect", incarnation: 0, node: "", from: ""});
  });

  it("ignores bytes after the body, as Go's decoder does", () => {
    expect(decodeMessage(hex("0b 81 a5 5365714e6f 05 ffff"))).toEqual({type: "nack", seqNo: 5});
  });

  it("maps IPv4-mapped 16-byte addresses to IPv4 text and re-encodes them in the same 16-byte form", () => {
    const mapped = `00000000000000000000ffff0a000005`;
    const bytes = hex(`04 86 a4 41646472 b0 ${mapped}  ab 496e6361726e6174696f6e 01  a4 4d657461 a2 ff80
      a4 4e6f6465 a3 747331  a4 506f7274 cd 1f0a  a3 56736e a6 010502020505`);
    const context = new CodecContext();
    const m = decodeMessage(bytes, 0, bytes.length, context);
    expect(m).toMatchObject({type: "alive", addr: {host: "10.0.0.5", port: 7946}});
    expect(toHex(encodeMessage(m, context))).toBe(toHex(bytes));
  });

  it("formats IPv6 addresses in RFC 5952 text", () => {
    const addr = "20010db8000000000000000000000001";
    const bytes = hex(`0182 a4 4e6f6465 a1 74 a6 546172676574 b0 ${addr}`);
    expect(decodeMessage(bytes)).toMatchObject({target: {host: "2001:db8::1", port: 0}});
  });
});

describe("decodeMessage rejects bad fields with DecodeError codes", () => {
  const alive = (fields: Record<string, unknown>) =>
    withMsgpackr(4, {
      Addr: Buffer.from([10, 0, 0, 1]),
      Incarnation: 1,
      Meta: Buffer.alloc(0),
      Node: "a",
      Port: 1,
      Vsn: Buffer.from([1, 5, 2, 2, 5, 5]),
      ...fields,
    });

  it("rejects a Vsn that is not exactly 6 bytes (Go would panic on 1–5)", () => {
    for (const n of [0, 1, 5, 7])
      expect(codeOf(() => decodeMessage(alive({Vsn: Buffer.alloc(n, 1)})))).toBe("badField");
  });

  it("rejects meta over 512 bytes", () => {
    expect(codeOf(() => decodeMessage(alive({Meta: Buffer.alloc(513)})))).toBe("badField");
    expect(codeOf(() => decodeMessage(alive({Meta: Buffer.alloc(512)})))).toBe("none");
  });

  it("rejects integers outside uint32/uint16 and negative values", () => {
    expect(codeOf(() => decodeMessage(alive({Incarnation: 2 ** 32})))).toBe("badField");
    expect(codeOf(() => decodeMessage(alive({Incarnation: -1})))).toBe("badField");
    expect(codeOf(() => decodeMessage(alive({Port: 65536})))).toBe("badField");
    expect(codeOf(() => decodeMessage(alive({Incarnation: 1.5})))).toBe("badField");
  });

  it("rejects addresses that are not 4 or 16 bytes, and bin for string fields (as Go does)", () => {
    expect(codeOf(() => decodeMessage(alive({Addr: Buffer.alloc(5)})))).toBe("badField");
    expect(codeOf(() => decodeMessage(alive({Node: Buffer.from("a")})))).toBe("badField");
  });

  it("reports truncation, unknown types and non-datagram types", () => {
    expect(codeOf(() => decodeMessage(hex("0b 81 a5 5365714e")))).toBe("truncated");
    expect(codeOf(() => decodeMessage(hex("0e 80")))).toBe("unknownType");
    expect(codeOf(() => decodeMessage(hex("06 80")))).toBe("unknownType");
    expect(codeOf(() => decodeMessage(new Uint8Array(0)))).toBe("truncated");
    expect(codeOf(() => decodeMessage(hex("0b 91 00")))).toBe("badField");
  });
});

describe("decodePacket handles compound parts like Go", () => {
  const nack = (n: number): Message => ({type: "nack", seqNo: n});
  const part = (m: Message) => encodeMessage(m);

  it("keeps the parts before a truncated one", () => {
    const a = part(nack(1));
    const b = part(nack(2));
    const bytes = Uint8Array.from([7, 2, 0, a.length, 0, b.length + 4, ...a, ...b]);
    expect(decodePacket(bytes)).toEqual([nack(1)]);
  });

  it("skips a zero-length or unknown part and keeps the others", () => {
    const a = part(nack(1));
    expect(decodePacket(Uint8Array.from([7, 3, 0, 0, 0, 2, 0, a.length, 0x0e, 0x80, ...a]))).toEqual([nack(1)]);
  });

  it("delivers a serf user message part (0x08) as a core user message", () => {
    const a = part(nack(1));
    const bytes = Uint8Array.from([7, 2, 0, 3, 0, a.length, 8, 3, 0x80, ...a]);
    expect(decodePacket(bytes)).toEqual([{type: "user", payload: Uint8Array.from([3, 0x80])}, nack(1)]);
  });

  it("parses more than 127 parts correctly (Go's uint8 bug is not ours)", () => {
    const a = part(nack(1));
    const n = 130;
    const header = [7, n, ...new Array(n).fill([0, a.length]).flat()];
    const bytes = Uint8Array.from([...header, ...new Array(n).fill([...a]).flat()]);
    expect(decodePacket(bytes)).toHaveLength(n);
  });

  it("throws the first error when no part decodes, and rejects cut compound headers", () => {
    expect(codeOf(() => decodePacket(Uint8Array.from([7])))).toBe("truncated");
    expect(codeOf(() => decodePacket(Uint8Array.from([7, 2, 0])))).toBe("truncated");
    expect(codeOf(() => decodePacket(Uint8Array.from([7, 1, 0, 2, 0x0e, 0x80])))).toBe("unknownType");
    expect(codeOf(() => decodePacket(new Uint8Array(0)))).toBe("truncated");
    expect(decodePacket(Uint8Array.from([7, 0]))).toEqual([]);
  });

  it("rejects a compressed payload that decompresses to nothing (Go would panic)", () => {
    // 09 {Algo: 0, Buf: lzw("")}
    const lz = lzwCompress(new Uint8Array(0));
    const body = [0x82, 0xa4, ...Buffer.from("Algo"), 0, 0xa3, ...Buffer.from("Buf"), 0xa0 + lz.length, ...lz];
    expect(codeOf(() => decodePacket(Uint8Array.from([9, ...body])))).toBe("badCompression");
  });
});

describe("decoded byte fields are copies", () => {
  it("never alias a Node Buffer input (sockets deliver Buffers, whose slice() is a view)", () => {
    const alive: Message = {
      type: "alive",
      incarnation: 1,
      node: "a",
      addr: {host: "10.0.0.1", port: 1},
      meta: Uint8Array.from([0xff, 0x80]),
      vsn: [1, 5, 2, 2, 5, 5],
    };
    const user: Message = {type: "user", payload: Uint8Array.from([3, 4, 5])};
    const ack: Message = {type: "ack", seqNo: 1, payload: Uint8Array.from([1, 2])};
    const input = Buffer.from(encodePacketForTest([alive, user, ack]));
    const decoded = decodePacket(input);
    input.fill(0);
    expect(decoded).toEqual([alive, user, ack]);
    for (const m of decoded) {
      const b = m.type === "alive" ? m.meta : m.type === "user" || m.type === "ack" ? m.payload : undefined;
      expect(b).toBeDefined();
      expect(Buffer.isBuffer(b)).toBe(false);
    }
  });
});

function encodePacketForTest(ms: Message[]): Uint8Array {
  const parts = ms.map((m) => encodeMessage(m));
  const header = [7, parts.length, ...parts.flatMap((p) => [p.length >> 8, p.length & 0xff])];
  return Uint8Array.from([...header, ...parts.flatMap((p) => [...p])]);
}
