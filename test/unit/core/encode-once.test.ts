/*
 * The core never lets the codec's encode-once slot (EncodeOnce.wire) send stale bytes: what a
 * SwimNode gossips or lists in a push-pull encodes its current view, after a zero port is replaced
 * by ours (SwimNode.onAlive), after a refutation, and after a member changes.
 * MemberTable.pushState(slot) returns one snapshot while the entry is unchanged (so its bytes are
 * reused) and a new one after any field the wire carries changes.
 */
import {describe, expect, it} from "vitest";
import {decodePacket, decodeStream, encodeMessage, encodePacket, encodeStream} from "../../../src/codec/index.ts";
import {
  type AliveMessage,
  aliveMessage,
  DEFAULT_VSN,
  type Effect,
  type Message,
  type PushNodeState,
  type PushPullMessage,
  type SwimNode,
  type Vsn,
} from "../../../src/core/index.ts";
import {InternPools} from "../../../src/core/intern.ts";
import {MemberTable} from "../../../src/core/member-table.ts";

const pools = new InternPools();

import {addrOf, alive, createTestNode, packetFrom, suspect} from "../../helpers/core-harness.ts";

/** The messages `node` piggybacks on its ack to a ping from `peer` (its queued gossip). */
function gossipOnAck(node: SwimNode, nowMs: number, peer: string, seqNo: number): readonly Message[] {
  const fx = node.handle(nowMs, packetFrom(peer, {type: "ping", seqNo, node: "self"}));
  const send = fx.find((e): e is Extract<Effect, {type: "send"}> => e.type === "send" && e.to === addrOf(peer));
  expect(send, `an ack to ${peer}`).toBeDefined();
  return (send as Extract<Effect, {type: "send"}>).messages;
}

/** The alive messages about `member` in `messages` once encoded and decoded again (what a peer receives). */
function alivesOnTheWire(messages: readonly Message[], member: string): AliveMessage[] {
  return decodePacket(encodePacket(messages)).filter((m): m is AliveMessage => m.type === "alive" && m.node === member);
}

/** The node's reply to a push-pull from `peer`, as sent and as a peer decodes it. */
function pushPullReply(node: SwimNode, nowMs: number, peer: string, id: number) {
  const fx = node.handle(nowMs, {
    type: "streamRequest",
    id,
    from: addrOf(peer),
    message: {type: "pushPull", join: false, states: [], userState: new Uint8Array(0)},
  });
  const reply = fx.find((e): e is Extract<Effect, {type: "streamReply"}> => e.type === "streamReply" && e.id === id);
  expect(reply?.message.type).toBe("pushPull");
  const sent = (reply as Extract<Effect, {type: "streamReply"}>).message as PushPullMessage;
  const received = decodeStream(encodeStream(sent))?.message as PushPullMessage;
  const sentState = (name: string) => sent.states.find((s) => s.name === name) as PushNodeState;
  const receivedState = (name: string) => received.states.find((s) => s.name === name) as PushNodeState;
  return {sentState, receivedState};
}

describe("SwimNode gossip never carries stale encode-once bytes", () => {
  it("gossips an alive with port 0 with our port, even when the received message was encoded already", () => {
    const node = createTestNode({members: ["b"]});
    const zeroPort = aliveMessage(1, "a", {host: "10.1.1.1", port: 0}, new Uint8Array(0), DEFAULT_VSN);
    // Its slot now holds port-0 bytes: a copy made with spread syntax would carry them along.
    encodeMessage(zeroPort);
    expect(zeroPort.wire).toBeDefined();
    node.handle(0, packetFrom("a", zeroPort));
    expect(node.member("a")?.addr).toEqual({host: "10.1.1.1", port: addrOf("self").port});

    const sent = gossipOnAck(node, 1, "b", 1);
    const onWire = alivesOnTheWire(sent, "a");
    expect(onWire.length).toBe(1);
    expect(onWire[0]?.addr).toEqual({host: "10.1.1.1", port: addrOf("self").port});
    // The sent object is a new message, not the received one.
    expect(sent.some((m) => m === zeroPort)).toBe(false);
  });

  it("gossips a port-0 alive decoded from a packet with our port as well", () => {
    const node = createTestNode({members: ["b"]});
    const received = decodePacket(
      encodePacket([aliveMessage(3, "c", {host: "10.1.1.2", port: 0}, new Uint8Array([4]), DEFAULT_VSN)]),
    );
    node.handle(0, {type: "packet", from: addrOf("c"), messages: received});
    const onWire = alivesOnTheWire(gossipOnAck(node, 1, "b", 1), "c");
    expect(onWire.map((m) => [m.incarnation, m.addr.port, Array.from(m.meta)])).toEqual([
      [3, addrOf("self").port, [4]],
    ]);
  });

  it("gossips our new incarnation after a refutation, although the old alive was encoded before", () => {
    const node = createTestNode({members: ["b"], incarnation: 1});
    node.handle(0, {type: "updateMeta", meta: new Uint8Array([1])});
    const before = alivesOnTheWire(gossipOnAck(node, 1, "b", 1), "self");
    expect(before.map((m) => m.incarnation)).toEqual([2]);
    node.handle(2, packetFrom("b", suspect("self", 2, "b")));
    const after = alivesOnTheWire(gossipOnAck(node, 3, "b", 2), "self");
    expect(after.map((m) => [m.incarnation, Array.from(m.meta)])).toEqual([[3, [1]]]);
  });

  it("gossips a member's newer alive, not the encoded older one, when it changes meta", () => {
    const node = createTestNode({members: ["a", "b"]});
    expect(alivesOnTheWire(gossipOnAck(node, 1, "b", 1), "a").map((m) => m.incarnation)).toEqual([1]);
    node.handle(2, packetFrom("a", alive("a", 2, {meta: new Uint8Array([9])})));
    const after = alivesOnTheWire(gossipOnAck(node, 3, "b", 2), "a");
    expect(after.map((m) => [m.incarnation, Array.from(m.meta)])).toEqual([[2, [9]]]);
  });
});

describe("SwimNode push-pull states", () => {
  it("reuse a member's encoded state while it is unchanged and list each change on the wire", () => {
    const node = createTestNode({members: ["a", "b"]});
    const first = pushPullReply(node, 0, "b", 1);
    const second = pushPullReply(node, 1, "b", 2);
    // Unchanged members: the very same state objects (encoded once, bytes kept in the slot).
    for (const name of ["self", "a", "b"]) expect(second.sentState(name)).toBe(first.sentState(name));
    expect(first.sentState("a").wire).toBeInstanceOf(Uint8Array);

    node.handle(2, packetFrom("b", suspect("self", 1, "b"))); // we refute: incarnation 2
    node.handle(2, packetFrom("a", alive("a", 5, {meta: new Uint8Array([7])})));
    node.handle(2, packetFrom("a", suspect("b", 1, "a")));
    const third = pushPullReply(node, 3, "b", 3);
    for (const name of ["self", "a", "b"]) expect(third.sentState(name)).not.toBe(first.sentState(name));
    expect(third.receivedState("self").incarnation).toBe(2);
    expect(third.receivedState("a")).toMatchObject({incarnation: 5, state: "alive"});
    expect(Array.from(third.receivedState("a").meta)).toEqual([7]);
    expect(third.receivedState("b")).toMatchObject({incarnation: 1, state: "suspect"});
  });
});

/** A table with one member "m", and that member's slot. */
interface Entry {
  readonly table: MemberTable;
  readonly slot: number;
  pushState(): PushNodeState;
}

describe("MemberTable.pushState", () => {
  const entry = (): Entry => {
    const self = {name: "self", addr: {host: "10.0.0.9", port: 7946}, incarnation: 1, meta: new Uint8Array(0)};
    const table = new MemberTable({...self, vsn: DEFAULT_VSN}, pools);
    const slot = table.add("m", {host: "10.0.0.1", port: 7946}, 1, new Uint8Array(0), DEFAULT_VSN, "alive", 0);
    return {table, slot, pushState: () => table.pushState(slot)};
  };
  function decoded(s: PushNodeState): PushNodeState {
    const stream = decodeStream(
      encodeStream({type: "pushPull", join: false, states: [s], userState: new Uint8Array(0)}),
    );
    if (stream?.message.type !== "pushPull") throw new Error("a push-pull did not decode as one");
    return stream.message.states[0] as PushNodeState;
  }

  it("returns the same object while the entry is unchanged, with an encode-once slot", () => {
    const e = entry();
    const s = e.pushState();
    expect("wire" in s).toBe(true);
    expect(e.pushState()).toBe(s);
    decoded(s);
    expect(s.wire).toBeInstanceOf(Uint8Array);
    expect(e.pushState()).toBe(s);
    // Unrelated bookkeeping does not count as a change.
    e.table.setStateChangeMs(e.slot, 99);
    expect(e.pushState()).toBe(s);
  });

  const changes: {field: string; change: (e: Entry) => void; check: (d: PushNodeState) => void}[] = [
    {
      field: "incarnation",
      change: (e) => e.table.setIncarnation(e.slot, 2),
      check: (d) => expect(d.incarnation).toBe(2),
    },
    {
      field: "state",
      change: (e) => e.table.setState(e.slot, "suspect", 0),
      check: (d) => expect(d.state).toBe("suspect"),
    },
    {
      field: "addr",
      change: (e) =>
        e.table.setIdentity(e.slot, {host: "10.0.0.2", port: 7000}, e.table.metaOf(e.slot), e.table.vsnOf(e.slot)),
      check: (d) => expect(d.addr).toEqual({host: "10.0.0.2", port: 7000}),
    },
    {
      field: "meta",
      change: (e) => e.table.setIdentity(e.slot, e.table.addrOf(e.slot), new Uint8Array([3, 4]), e.table.vsnOf(e.slot)),
      check: (d) => expect(Array.from(d.meta)).toEqual([3, 4]),
    },
    {
      field: "vsn",
      change: (e) =>
        e.table.setIdentity(e.slot, e.table.addrOf(e.slot), e.table.metaOf(e.slot), [1, 5, 4, 2, 5, 5] as Vsn),
      check: (d) => expect(Array.from(d.vsn)).toEqual([1, 5, 4, 2, 5, 5]),
    },
  ];
  for (const c of changes) {
    it(`returns a new snapshot that encodes the change after ${c.field} changes`, () => {
      const e = entry();
      const old = e.pushState();
      decoded(old); // fills the old snapshot's slot
      c.change(e);
      const fresh = e.pushState();
      expect(fresh).not.toBe(old);
      expect(fresh.wire).toBeUndefined();
      c.check(decoded(fresh));
      expect(e.pushState()).toBe(fresh);
    });
  }
});
