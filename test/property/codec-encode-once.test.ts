/*
 * The encode-once slot (EncodeOnce.wire, src/core/messages.ts; gossipBytes and pushStateBytes in
 * src/codec/encode.ts) changes no byte on the wire: a gossip message or push-pull state made with
 * the slot encodes exactly as the same value written as a plain literal, keeps those bytes in its
 * slot after the first encoding, and a literal without the slot never gets one. It also pins the
 * slot's one hazard: the codec trusts a filled slot, so a spread copy would send stale bytes.
 */
import fc from "fast-check";
import {describe, expect, it} from "vitest";
import {
  decodeMessage,
  decodeStream,
  EncodeError,
  encodedSize,
  encodeMessage,
  encodePacket,
  encodeStream,
} from "../../src/codec/index.ts";
import {
  type AliveMessage,
  aliveMessage,
  DEFAULT_VSN,
  type Message,
  type PushNodeState,
  type PushPullMessage,
} from "../../src/core/index.ts";
import {checkProperty} from "../helpers/property-run.ts";
import {message, pushPull} from "./codec-arbitraries.ts";

type Gossip = Extract<Message, {type: "alive" | "suspect" | "dead"}>;
const isGossip = (m: Message): m is Gossip => m.type === "alive" || m.type === "suspect" || m.type === "dead";
const gossipMessage = message.filter(isGossip) as fc.Arbitrary<Gossip>;
const otherMessage = message.filter((m) => !isGossip(m));

/** The same gossip value built with an empty encode-once slot (aliveMessage() for alive). */
function withSlot(m: Gossip): Gossip {
  if (m.type === "alive") return aliveMessage(m.incarnation, m.node, m.addr, m.meta, m.vsn);
  return {type: m.type, incarnation: m.incarnation, node: m.node, from: m.from, wire: undefined};
}

/** The same push-pull state with an empty encode-once slot, as MemberTable.pushState() builds it. */
const stateWithSlot = (s: PushNodeState): PushNodeState => ({
  name: s.name,
  addr: s.addr,
  incarnation: s.incarnation,
  meta: s.meta,
  state: s.state,
  vsn: s.vsn,
  wire: undefined,
});

const hex = (b: Uint8Array | undefined): string => (b === undefined ? "(none)" : Buffer.from(b).toString("hex"));

describe("gossip messages with an encode-once slot", () => {
  it("encode to the bytes of the plain literal, alone and in packets, and keep them in the slot", () => {
    const scenario = fc.record({
      gossip: fc.array(gossipMessage, {minLength: 1, maxLength: 12}),
      others: fc.array(otherMessage, {maxLength: 3}),
      compress: fc.boolean(),
      crc: fc.boolean(),
    });
    checkProperty(
      "encode to the bytes of the plain literal, alone and in packets, and keep them in the slot",
      scenario,
      ({gossip, others, compress, crc}) => {
        const slotted = gossip.map(withSlot);
        for (const s of slotted) expect(s.wire).toBeUndefined();
        // Several parts first (the slot is filled inside encodePacket), then each alone.
        const opts = {compress, crc};
        expect(hex(encodePacket([...others, ...slotted], opts))).toBe(hex(encodePacket([...others, ...gossip], opts)));
        for (let i = 0; i < gossip.length; i++) {
          const plainBytes = hex(encodeMessage(gossip[i] as Gossip));
          const s = slotted[i] as Gossip;
          expect(hex(s.wire)).toBe(plainBytes);
          expect(hex(encodeMessage(s))).toBe(plainBytes);
          expect(encodedSize(s)).toBe(encodedSize(gossip[i] as Gossip));
        }
        // Encoding again (now from the slots) still gives the same packet.
        expect(hex(encodePacket([...slotted, ...others], opts))).toBe(hex(encodePacket([...gossip, ...others], opts)));
      },
      {numRuns: 200, file: import.meta.url},
    );
  });

  it("fills the slot on the first encodeMessage of an alive made with aliveMessage()", () => {
    const m = aliveMessage(7, "fresh", {host: "10.0.0.4", port: 7946}, new Uint8Array([1]), DEFAULT_VSN);
    expect("wire" in m).toBe(true);
    expect(m.wire).toBeUndefined();
    const bytes = encodeMessage(m);
    expect(hex(m.wire)).toBe(hex(bytes));
    expect(decodeMessage(m.wire as Uint8Array)).toEqual({...m, wire: undefined});
  });

  it("never adds a slot to a literal without one, whatever encodes it", () => {
    checkProperty(
      "never adds a slot to a literal without one, whatever encodes it",
      fc.array(gossipMessage, {minLength: 1, maxLength: 8}),
      (gossip) => {
        encodePacket(gossip);
        for (const m of gossip) {
          encodedSize(m);
          encodeMessage(m);
          expect("wire" in m).toBe(false);
        }
      },
      {numRuns: 100, file: import.meta.url},
    );
  });

  it("hands out a copy: changing encodeMessage's output changes neither the slot nor the next encoding", () => {
    const m = aliveMessage(3, "copy", {host: "10.0.0.5", port: 7946}, new Uint8Array(0), DEFAULT_VSN);
    const first = encodeMessage(m);
    const want = hex(first);
    first.fill(0);
    expect(hex(m.wire)).toBe(want);
    expect(hex(encodeMessage(m))).toBe(want);
  });

  it("leaves the slot empty when the message cannot be encoded", () => {
    const tooBig = aliveMessage(2 ** 32, "big", {host: "10.0.0.6", port: 7946}, new Uint8Array(0), DEFAULT_VSN);
    expect(() => encodeMessage(tooBig)).toThrow(EncodeError);
    expect(tooBig.wire).toBeUndefined();
    const badHost = aliveMessage(1, "host", {host: "not-an-ip", port: 7946}, new Uint8Array(0), DEFAULT_VSN);
    expect(() => encodePacket([badHost])).toThrow(EncodeError);
    expect(badHost.wire).toBeUndefined();
  });

  // The codec trusts a filled slot (that is the whole saving), so a copy made with spread syntax
  // carries the original's bytes: `{...m, incarnation: m.incarnation + 1}` still encodes the old
  // incarnation. This is why the core never spreads a gossip message: it builds a new one with
  // aliveMessage() (SwimNode.onAlive's port-0 rewrite; see test/unit/core/encode-once.test.ts).
  it("encodes a spread copy of an already-encoded alive from the copied slot, i.e. with stale bytes", () => {
    const m = aliveMessage(10, "spread", {host: "10.0.0.8", port: 7946}, new Uint8Array(0), DEFAULT_VSN);
    encodeMessage(m);
    const spread: AliveMessage = {...m, incarnation: m.incarnation + 1};
    expect(spread.wire).toBe(m.wire);
    expect(decodeMessage(encodeMessage(spread))).toMatchObject({incarnation: 10});
    // Built afresh, the same change is encoded correctly.
    const rebuilt = aliveMessage(m.incarnation + 1, m.node, m.addr, m.meta, m.vsn);
    expect(decodeMessage(encodeMessage(rebuilt))).toMatchObject({incarnation: 11});
  });
});

describe("push-pull states with an encode-once slot", () => {
  it("encode to the bytes of the same states as plain literals, and keep each state's bytes", () => {
    const scenario = fc.record({
      message: pushPull,
      slotted: fc.array(fc.boolean(), {maxLength: 20}),
      compress: fc.boolean(),
    });
    checkProperty(
      "encode to the bytes of the same states as plain literals, and keep each state's bytes",
      scenario,
      ({message: plain, slotted, compress}) => {
        // Some states slotted, some not: a push-pull mixes member snapshots and other states.
        const states = plain.states.map((s, i) => (slotted[i] === true ? stateWithSlot(s) : s));
        const withSlots: PushPullMessage = {...plain, states};
        const want = hex(encodeStream(plain, {compress}));
        expect(hex(encodeStream(withSlots, {compress}))).toBe(want);
        states.forEach((s, i) => {
          if (slotted[i] === true) expect(s.wire, `state ${i} keeps its bytes`).toBeInstanceOf(Uint8Array);
          else expect("wire" in s, `state ${i} stays without a slot`).toBe(false);
        });
        for (const s of plain.states) expect("wire" in s).toBe(false);
        // Encoding again (from the slots) gives the same stream, which decodes to the states.
        const again = encodeStream(withSlots, {compress});
        expect(hex(again)).toBe(want);
        const decoded = decodeStream(again)?.message as PushPullMessage;
        expect(decoded.states.map((s) => ({...s, wire: undefined}))).toEqual(
          plain.states.map((s) => ({...s, wire: undefined})),
        );
      },
      {numRuns: 150, file: import.meta.url},
    );
  });

  it("stores in the slot exactly the state's bytes inside the stream", () => {
    const s = stateWithSlot({
      name: "member",
      addr: {host: "10.0.0.9", port: 7946},
      incarnation: 4,
      meta: new Uint8Array([5, 6]),
      state: "suspect",
      vsn: DEFAULT_VSN,
    });
    const stream = encodeStream({type: "pushPull", join: false, states: [s], userState: new Uint8Array(0)});
    const wire = s.wire as Uint8Array;
    expect(wire.length).toBeGreaterThan(20);
    // The state is the stream's last bytes (empty user state follows it).
    expect(hex(stream.subarray(stream.length - wire.length))).toBe(hex(wire));
  });

  it("names the bad state in the error whether or not it has a slot, and leaves the slot empty", () => {
    const good: PushNodeState = {
      name: "ok",
      addr: {host: "10.0.0.1", port: 1},
      incarnation: 1,
      meta: new Uint8Array(0),
      state: "alive",
      vsn: DEFAULT_VSN,
    };
    const bad: PushNodeState = {...good, name: "bad", incarnation: -1};
    const fieldOf = (states: PushNodeState[]): string => {
      try {
        encodeStream({type: "pushPull", join: false, states, userState: new Uint8Array(0)});
      } catch (e) {
        expect(e).toBeInstanceOf(EncodeError);
        return (e as EncodeError).field;
      }
      return "(no error)";
    };
    const slottedBad = stateWithSlot(bad);
    expect(fieldOf([good, bad])).toBe("states[1].incarnation");
    expect(fieldOf([stateWithSlot(good), slottedBad])).toBe("states[1].incarnation");
    expect(slottedBad.wire).toBeUndefined();
  });
});
