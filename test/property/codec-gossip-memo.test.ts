/*
 * GossipMemo (src/codec/gossip-memo.ts) may change only speed: decoding with a memo gives the same
 * messages and the same per-part errors as decoding without one, the first time and on repeats,
 * even when a tiny memo evicts constantly or two parts share a hash. Only alive, suspect and dead
 * parts of at most 640 bytes are remembered, failures never are, and a remembered message is one
 * shared object holding the core's interned address.
 */
import fc from "fast-check";
import {Packr} from "msgpackr";
import {describe, expect, it} from "vitest";
import {
  CodecContext,
  DecodeError,
  decodePacket,
  decodePacketParts,
  encodeMessage,
  encodePacket,
  GossipMemo,
} from "../../src/codec/index.ts";
import {type AliveMessage, DEFAULT_VSN, type Message} from "../../src/core/index.ts";
import {checkProperty} from "../helpers/property-run.ts";
import {message} from "./codec-arbitraries.ts";

const isGossip = (m: Message): boolean => m.type === "alive" || m.type === "suspect" || m.type === "dead";
const gossipMessage = message.filter(isGossip);
const otherMessage = message.filter((m) => !isGossip(m));
/** The memo's limit on a remembered part (MEMO_PART_MAX in gossip-memo.ts). */
const MEMO_PART_MAX = 640;

const packr = new Packr({useRecords: false, variableMapSize: true});
/** An alive part written by msgpackr, so a test can put any field value on the wire. */
function rawAlive(fields: Record<string, unknown>): Uint8Array {
  const body = {
    Addr: Buffer.from([10, 0, 0, 1]),
    Incarnation: 1,
    Meta: Buffer.alloc(0),
    Node: "raw",
    Port: 7946,
    Vsn: Buffer.from([...DEFAULT_VSN]),
    ...fields,
  };
  return Uint8Array.from([4, ...packr.pack(body)]);
}

/** Own copy of a message's bytes (encoder outputs are views on a shared slab). */
const bytesOf = (m: Message): Uint8Array => encodeMessage(m).slice();

/** A compound packet of raw parts (type 7, count, big-endian u16 lengths, parts). */
function compoundOf(parts: readonly Uint8Array[]): Uint8Array {
  const head = [7, parts.length];
  for (const p of parts) head.push(p.length >> 8, p.length & 0xff);
  return Uint8Array.from([...head, ...parts.flatMap((p) => Array.from(p))]);
}

/** A message as plain data, field by field (ignores the memo's `wire` slot). */
function fieldsOf(m: Message): unknown {
  switch (m.type) {
    case "alive":
      return {
        type: m.type,
        incarnation: m.incarnation,
        node: m.node,
        addr: {host: m.addr.host, port: m.addr.port},
        meta: Array.from(m.meta),
        vsn: Array.from(m.vsn),
        keys: keysOf(m),
      };
    case "suspect":
    case "dead":
      return {type: m.type, incarnation: m.incarnation, node: m.node, from: m.from, keys: keysOf(m)};
    default:
      return m;
  }
}

/** A message's field names other than `wire`, so a field the memo's copy drops or adds shows. */
const keysOf = (m: Message): string[] => Object.keys(m).filter((k) => k !== "wire");

/** Everything decodePacketParts reports, or the error it throws, as comparable data. */
function outcomeOf(bytes: Uint8Array, memo?: GossipMemo): unknown {
  try {
    const {messages, errors} = decodePacketParts(bytes, memo === undefined ? undefined : {memo});
    return {messages: messages.map(fieldsOf), errors: errors.map((e) => `${e.name} ${e.message}`)};
  } catch (e) {
    return {thrown: `${(e as Error).name} ${(e as Error).message}`};
  }
}

const countsOf = (memo: GossipMemo) => ({hits: memo.hits, misses: memo.misses});

describe("GossipMemo gives the messages decoding gives", () => {
  it("decodes random packets of gossip to the same messages with a memo, first time and repeated", () => {
    const packetArb = fc.record({
      gossip: fc.array(gossipMessage, {minLength: 1, maxLength: 24}),
      others: fc.array(otherMessage, {maxLength: 4}),
      compress: fc.boolean(),
      crc: fc.boolean(),
    });
    checkProperty(
      "decodes random packets of gossip to the same messages with a memo, first time and repeated",
      packetArb,
      ({gossip, others, compress, crc}) => {
        const packet = encodePacket([...others, ...gossip], {compress, crc});
        const plain = decodePacket(packet).map(fieldsOf);
        const memo = new GossipMemo();
        expect(decodePacket(packet, {memo}).map(fieldsOf)).toEqual(plain);
        expect(decodePacket(packet, {memo}).map(fieldsOf)).toEqual(plain);
        // A second copy of the bytes in another buffer is answered the same way.
        expect(decodePacket(packet.slice(), {memo}).map(fieldsOf)).toEqual(plain);
        // The decode without memo is itself the encoded messages (so `plain` is not vacuous).
        expect(plain).toEqual([...others, ...gossip].map(fieldsOf));
      },
      {numRuns: 200, file: import.meta.url},
    );
  });

  it("never answers with another part's message in a 16-entry memo under many distinct parts", () => {
    const scenario = fc.record({
      messages: fc.uniqueArray(gossipMessage, {
        minLength: 20,
        maxLength: 60,
        selector: (m) => Buffer.from(encodeMessage(m)).toString("hex"),
      }),
      order: fc.array(fc.nat(), {minLength: 60, maxLength: 300}),
    });
    checkProperty(
      "never answers with another part's message in a 16-entry memo under many distinct parts",
      scenario,
      ({messages, order}) => {
        const parts = messages.map(bytesOf);
        const memo = new GossipMemo(16);
        for (const pick of order) {
          const part = parts[pick % parts.length] as Uint8Array;
          const memoizable = part.length <= MEMO_PART_MAX;
          const before = countsOf(memo);
          const first = decodePacket(part, {memo});
          expect(first.map(fieldsOf)).toEqual(decodePacket(part).map(fieldsOf));
          const afterFirst = countsOf(memo);
          expect(afterFirst.hits + afterFirst.misses).toBe(before.hits + before.misses + (memoizable ? 1 : 0));
          // The same part right after is a hit, and the same object.
          const again = decodePacket(part, {memo});
          expect(countsOf(memo)).toEqual(
            memoizable ? {hits: afterFirst.hits + 1, misses: afterFirst.misses} : afterFirst,
          );
          if (memoizable) expect(again[0]).toBe(first[0]);
          expect(again.map(fieldsOf)).toEqual(first.map(fieldsOf));
        }
        // Every distinct memoizable part was decoded (a miss) at least once.
        const used = new Set(order.map((p) => p % parts.length));
        const memoizableUsed = [...used].filter((i) => (parts[i] as Uint8Array).length <= MEMO_PART_MAX).length;
        expect(memo.misses).toBeGreaterThanOrEqual(memoizableUsed);
      },
      {numRuns: 60, file: import.meta.url},
    );
  });

  it("decodes a part with one byte changed as decoding without memo does, and never remembers a failure", () => {
    const scenario = fc.record({
      messages: fc.array(gossipMessage, {minLength: 1, maxLength: 8}),
      edits: fc.array(fc.record({part: fc.nat(), at: fc.nat(), value: fc.nat(255)}), {minLength: 1, maxLength: 40}),
    });
    checkProperty(
      "decodes a part with one byte changed as decoding without memo does, and never remembers a failure",
      scenario,
      ({messages, edits}) => {
        const parts = messages.map(bytesOf);
        const memo = new GossipMemo(16);
        // Warm the memo with the originals, so an edited part lands next to its source's entry.
        for (const p of parts) decodePacket(p, {memo});
        for (const e of edits) {
          const source = parts[e.part % parts.length] as Uint8Array;
          const edited = source.slice();
          edited[e.at % edited.length] = e.value;
          const want = outcomeOf(edited);
          const before = countsOf(memo);
          expect(outcomeOf(edited, memo)).toEqual(want);
          const failed = (want as {thrown?: string}).thrown !== undefined;
          if (failed) expect(countsOf(memo)).toEqual(before);
          // Asked again (now possibly a hit), still the same answer, failure included.
          expect(outcomeOf(edited, memo)).toEqual(want);
          // The original is still answered correctly next to its edited twin.
          expect(outcomeOf(source, memo)).toEqual(outcomeOf(source));
        }
      },
      {numRuns: 150, file: import.meta.url},
    );
  });

  it("answers bytes changed in place inside the same buffer from the new bytes, not the old entry", () => {
    const a: AliveMessage = {
      type: "alive",
      incarnation: 1000,
      node: "in-place",
      addr: {host: "10.0.0.7", port: 7946},
      meta: new Uint8Array(0),
      vsn: DEFAULT_VSN,
    };
    const buffer = bytesOf(a);
    const memo = new GossipMemo();
    expect(decodePacket(buffer, {memo})[0]).toMatchObject({incarnation: 1000});
    // Same Uint8Array object, same length, other content (incarnation 1001).
    buffer.set(bytesOf({...a, incarnation: 1001}));
    expect(decodePacket(buffer, {memo})[0]).toMatchObject({incarnation: 1001});
    expect(countsOf(memo)).toEqual({hits: 0, misses: 2});
  });
});

describe("GossipMemo tells apart parts whose hashes collide", () => {
  /** Mirror of hashWords in gossip-memo.ts (checked against the memo's set choice below). */
  function memoHash(bytes: Uint8Array): number {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let h = bytes.length;
    let p = 0;
    for (; p + 4 <= bytes.length; p += 4) h = Math.imul(h ^ v.getInt32(p, true), 0x01000193);
    for (; p < bytes.length; p++) h = Math.imul(h ^ v.getUint8(p), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h >>> 0;
  }
  const aliveAt = (incarnation: number, node = "collide"): AliveMessage => ({
    type: "alive",
    incarnation,
    node,
    addr: {host: "10.0.0.1", port: 7946},
    meta: new Uint8Array(0),
    vsn: DEFAULT_VSN,
  });

  // Parts that differ in one 32-bit word never collide (each step of the hash is a bijection), so
  // the search varies two places: the incarnation (≥ 2^16, always 5 bytes) and a 6-digit name
  // suffix. All parts have one length; among 300,000 of them a 32-bit collision is all but certain
  // (birthday bound), and the inputs are fixed, so the search finds the same pair every run.
  function findCollision(): [Uint8Array, Uint8Array] {
    const seen = new Map<number, number>();
    const nth = (i: number) => aliveAt(0x10000 + i * 13, `collide-${String((i * 7919) % 1_000_000).padStart(6, "0")}`);
    for (let i = 0; i < 300_000; i++) {
      const h = memoHash(encodeMessage(nth(i)));
      const other = seen.get(h);
      if (other !== undefined) return [bytesOf(nth(other)), bytesOf(nth(i))];
      seen.set(h, i);
    }
    throw new Error("no 32-bit hash collision among 300,000 parts");
  }

  it("the test's mirror of the memo hash picks the memo's own set (so the collision below is real)", () => {
    // A 16-entry memo has 8 two-way sets: three parts of one set evict the oldest; if the mirror
    // disagreed with the memo's hash they would most likely sit in different sets and all hit.
    const bySet = new Map<number, Uint8Array[]>();
    for (let inc = 0x10000; inc < 0x10100; inc++) {
      const bytes = bytesOf(aliveAt(inc));
      const set = memoHash(bytes) & 7;
      bySet.set(set, [...(bySet.get(set) ?? []), bytes]);
    }
    for (const group of bySet.values()) {
      if (group.length < 3) continue;
      const [x, y, z] = group as [Uint8Array, Uint8Array, Uint8Array];
      const memo = new GossipMemo(16);
      for (const part of [x, y, z, x]) decodePacket(part, {memo});
      expect(countsOf(memo), "the third part of a set evicts the first").toEqual({hits: 0, misses: 4});
      decodePacket(z, {memo});
      expect(memo.hits).toBe(1);
    }
  });

  it("decodes both of two parts with the same hash and length to their own messages", () => {
    const [a, b] = findCollision();
    expect(memoHash(a)).toBe(memoHash(b));
    expect(a.length).toBe(b.length);
    const memo = new GossipMemo();
    const fromA = decodePacket(a, {memo})[0] as AliveMessage;
    const fromB = decodePacket(b, {memo})[0] as AliveMessage;
    expect(fieldsOf(fromA)).toEqual(fieldsOf(decodePacket(a)[0] as AliveMessage));
    expect(fieldsOf(fromB)).toEqual(fieldsOf(decodePacket(b)[0] as AliveMessage));
    expect(fromB.incarnation).not.toBe(fromA.incarnation);
    expect(countsOf(memo)).toEqual({hits: 0, misses: 2});
    // Both stay in their two-way set and are answered from it.
    expect(decodePacket(a, {memo})[0]).toBe(fromA);
    expect(decodePacket(b, {memo})[0]).toBe(fromB);
    expect(countsOf(memo)).toEqual({hits: 2, misses: 2});
  });
});

describe("GossipMemo never remembers a part that fails", () => {
  const good = bytesOf({type: "suspect", incarnation: 3, node: "m", from: "n"});
  const cases = [
    {title: "an alive with a 5-byte Vsn", part: rawAlive({Vsn: Buffer.from([1, 5, 2, 2, 5])})},
    {title: "an alive with a 7-byte Vsn", part: rawAlive({Vsn: Buffer.from([1, 5, 2, 2, 5, 5, 5])})},
    {title: "an alive with a 3-byte address", part: rawAlive({Addr: Buffer.from([10, 0, 0])})},
    {title: "a truncated alive", part: rawAlive({}).subarray(0, rawAlive({}).length - 3)},
    {title: "a truncated dead", part: bytesOf({type: "dead", incarnation: 9, node: "x", from: "y"}).subarray(0, 12)},
  ];
  for (const c of cases) {
    it(`fails on ${c.title} alone with the same error with and without memo, and again`, () => {
      const memo = new GossipMemo();
      const plain = outcomeOf(c.part);
      expect(plain).toMatchObject({thrown: expect.stringMatching(/^DecodeError /)});
      expect(outcomeOf(c.part, memo)).toEqual(plain);
      expect(outcomeOf(c.part, memo)).toEqual(plain);
      expect(countsOf(memo)).toEqual({hits: 0, misses: 0});
      expect(() => decodePacket(c.part, {memo})).toThrow(DecodeError);
    });

    it(`reports ${c.title} inside a compound as the same part error with and without memo`, () => {
      const memo = new GossipMemo();
      const packet = compoundOf([good, c.part, good]);
      const plain = outcomeOf(packet);
      expect(plain).toMatchObject({errors: [expect.stringMatching(/^DecodeError /)]});
      expect((plain as {messages: unknown[]}).messages).toHaveLength(2);
      expect(outcomeOf(packet, memo)).toEqual(plain);
      expect(outcomeOf(packet, memo)).toEqual(plain);
      // Only the good suspect was stored (once, then answered three times).
      expect(countsOf(memo)).toEqual({hits: 3, misses: 1});
    });
  }
});

describe("GossipMemo remembers only gossip parts", () => {
  const others: Message[] = [
    {type: "ping", seqNo: 1, node: "a"},
    {type: "ping", seqNo: 2, node: "b", source: {host: "10.0.0.2", port: 7946}, sourceNode: "b"},
    {type: "indirectPing", seqNo: 3, target: {host: "10.0.0.3", port: 7946}, node: "c", nack: true},
    {type: "ack", seqNo: 4, payload: new Uint8Array([1, 2, 3])},
    {type: "nack", seqNo: 5},
    {type: "user", payload: new Uint8Array([9, 9])},
  ];

  it("leaves ping, indirect ping, ack, nack and user parts to the decoder every time", () => {
    const memo = new GossipMemo();
    const packet = encodePacket(others);
    const first = decodePacket(packet, {memo});
    const second = decodePacket(packet, {memo});
    expect(second).toEqual(others);
    expect(countsOf(memo)).toEqual({hits: 0, misses: 0});
    for (let i = 0; i < others.length; i++) expect(second[i]).not.toBe(first[i]);
  });

  it("counts only the gossip parts of a mixed packet", () => {
    const memo = new GossipMemo();
    const gossip: Message = {type: "dead", incarnation: 1, node: "d", from: "e"};
    const packet = encodePacket([...others, gossip, gossip]);
    decodePacket(packet, {memo});
    expect(countsOf(memo)).toEqual({hits: 1, misses: 1});
  });

  // An alive whose part is exactly `size` bytes (meta 512 bytes, the name tunes the length).
  function aliveOfSize(size: number): AliveMessage {
    for (let nameLength = 40; nameLength < 200; nameLength++) {
      const m: AliveMessage = {
        type: "alive",
        incarnation: 1,
        node: "n".repeat(nameLength),
        addr: {host: "10.0.0.1", port: 7946},
        meta: new Uint8Array(512).fill(7),
        vsn: DEFAULT_VSN,
      };
      if (encodeMessage(m).length === size) return m;
    }
    throw new Error(`no alive of ${size} bytes`);
  }

  it("remembers a part of exactly 640 bytes and decodes a 641-byte one every time", () => {
    const memo = new GossipMemo();
    const atLimit = bytesOf(aliveOfSize(MEMO_PART_MAX));
    const overLimit = bytesOf(aliveOfSize(MEMO_PART_MAX + 1));
    expect([atLimit.length, overLimit.length]).toEqual([640, 641]);
    const a1 = decodePacket(atLimit, {memo})[0];
    const a2 = decodePacket(atLimit, {memo})[0];
    expect(a2).toBe(a1);
    expect(countsOf(memo)).toEqual({hits: 1, misses: 1});
    const o1 = decodePacket(overLimit, {memo})[0];
    const o2 = decodePacket(overLimit, {memo})[0];
    expect(o2).not.toBe(o1);
    expect(o2).toEqual(decodePacket(overLimit)[0]);
    expect(countsOf(memo)).toEqual({hits: 1, misses: 1});
  });
});

describe("GossipMemo shares what it remembers", () => {
  const alive = (incarnation: number): AliveMessage => ({
    type: "alive",
    incarnation,
    node: "shared-member",
    addr: {host: "10.9.8.7", port: 7946},
    meta: new Uint8Array([1, 2]),
    vsn: DEFAULT_VSN,
  });

  it("returns one object for the same bytes, from any buffer and inside any packet", () => {
    const memo = new GossipMemo();
    const part = bytesOf(alive(5));
    const alone = decodePacket(part, {memo})[0];
    const copy = decodePacket(part.slice(), {memo})[0];
    const inCompound = decodePacket(encodePacket([{type: "nack", seqNo: 1}, alive(5)]), {memo})[1];
    const compressed = decodePacket(encodePacket([alive(5), alive(5), alive(5)], {compress: true}), {memo});
    expect(copy).toBe(alone);
    expect(inCompound).toBe(alone);
    for (const m of compressed) expect(m).toBe(alone);
    // Without a memo, every decode is a new object.
    expect(decodePacket(part)[0]).not.toBe(decodePacket(part)[0]);
  });

  it("holds the core's interned, frozen address, shared by different parts about the same member", () => {
    const context = new CodecContext();
    const memo = new GossipMemo(4096, context);
    const five = decodePacket(bytesOf(alive(5)), {memo})[0] as AliveMessage;
    const six = decodePacket(bytesOf(alive(6)), {memo})[0] as AliveMessage;
    expect(six).not.toBe(five);
    expect(five.addr).toBe(context.intern.internAddress({host: "10.9.8.7", port: 7946}));
    expect(six.addr).toBe(five.addr);
    expect(Object.isFrozen(five.addr)).toBe(true);
    // The decoder alone does not intern: the memo is what makes the address shared.
    expect((decodePacket(bytesOf(alive(5)))[0] as AliveMessage).addr).not.toBe(five.addr);
    // (A name is a string: its identity is not observable, so only its value can be checked.)
    expect(five.node).toBe("shared-member");
  });

  it("gives suspect and dead parts an empty wire slot, as their own decode has none", () => {
    const memo = new GossipMemo();
    const suspect = decodePacket(bytesOf({type: "suspect", incarnation: 2, node: "s", from: "t"}), {memo})[0];
    expect(suspect).toEqual({type: "suspect", incarnation: 2, node: "s", from: "t"});
    expect("wire" in (suspect as object)).toBe(true);
    expect((suspect as {wire?: unknown}).wire).toBeUndefined();
  });
});

describe("GossipMemo keeps the decoder's side effects", () => {
  // A serf agent bound to 0.0.0.0 advertises its IPv4 address in the 16-byte IPv4-mapped form;
  // decoding remembers that (in the codec context, address.ts) so the address is re-encoded in the same form, which
  // memberlist requires (it compares addresses byte for byte). The memory is bounded: after 4,096
  // other mapped ports the oldest host is forgotten, and the next packet from it teaches it again.
  const mapped = (a: number, b: number, c: number, d: number) =>
    Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d]);
  const serfAlive = rawAlive({Addr: mapped(10, 0, 0, 9), Port: 7946, Node: "serf-mapped"});
  const ourCopy: Message = {
    type: "alive",
    incarnation: 1,
    node: "serf-mapped",
    addr: {host: "10.0.0.9", port: 7946},
    meta: new Uint8Array(0),
    vsn: DEFAULT_VSN,
  };

  function forgetMappedByEviction(context: CodecContext): void {
    for (let i = 0; i < 4096; i++) {
      decodePacket(rawAlive({Addr: mapped(10, 1, i >> 8, i & 255), Port: 1, Node: `other-${i}`}), {context});
    }
  }

  it("re-encodes a mapped address in its 16-byte form after a repeat packet, with a memo as without", () => {
    const fourByteForm = encodeMessage(ourCopy).length;
    const noMemo = (() => {
      const context = new CodecContext();
      decodePacket(serfAlive, {context});
      forgetMappedByEviction(context);
      decodePacket(serfAlive, {context});
      return encodeMessage(ourCopy, context).length;
    })();
    const withMemo = (() => {
      const context = new CodecContext();
      const memo = new GossipMemo(4096, context);
      decodePacket(serfAlive, {memo});
      forgetMappedByEviction(context);
      decodePacket(serfAlive, {memo});
      return encodeMessage(ourCopy, context).length;
    })();
    expect(noMemo).toBe(fourByteForm + 12);
    expect(withMemo, "a memo hit skipped remembering the IPv4-mapped address").toBe(noMemo);
  });

  it("keeps what one context learnt out of another context's bytes, and out of context-free encoding", () => {
    const learnt = new CodecContext();
    decodePacket(serfAlive, {context: learnt});
    const fourByteForm = encodeMessage(ourCopy).length;
    expect(encodeMessage(ourCopy, learnt).length).toBe(fourByteForm + 12);
    expect(encodeMessage(ourCopy, new CodecContext()).length).toBe(fourByteForm);
    expect(encodeMessage(ourCopy).length).toBe(fourByteForm);
  });
});
