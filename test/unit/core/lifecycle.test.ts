import {describe, expect, it} from "vitest";
import {
  createRandom,
  InvalidConfigError,
  InvalidStateError,
  lanConfig,
  SwimNode,
  type SwimNode as SwimNodeType,
} from "../../../src/core/index.ts";
import {
  droppedReasons,
  expectNotified,
  expectSent,
  expectTimer,
  findSent,
  findStreams,
  rejectNotified,
} from "../../helpers/core-expect.ts";
import {
  addrOf,
  alive,
  createTestNode,
  createTestNodeWithEffects,
  packetFrom,
  timerInput,
} from "../../helpers/core-harness.ts";

function idle(): SwimNodeType {
  return new SwimNode(lanConfig(), {name: "self", addr: addrOf("self")}, {random: createRandom(1)});
}

describe("lifecycle", () => {
  it("drops every input before start as notRunning", () => {
    const node = idle();
    expect(droppedReasons(node.handle(0, packetFrom("a", alive("a", 1))))).toEqual(["notRunning"]);
    expect(droppedReasons(node.handle(0, {type: "join", seeds: [addrOf("a")]}))).toEqual(["notRunning"]);
    expect(droppedReasons(node.handle(0, {type: "leave"}))).toEqual(["notRunning"]);
    const stream = node.handle(0, {
      type: "streamRequest",
      id: 3,
      from: addrOf("a"),
      message: {type: "ping", seqNo: 1, node: ""},
    });
    expect(stream).toContainEqual({type: "streamClose", id: 3});
    expect(node.members()).toHaveLength(1);
    expect(node.status).toBe("idle");
  });

  it("starts its four loops with random staggers below each interval", () => {
    const {startEffects} = createTestNodeWithEffects();
    const delay = (type: string) => startEffects.find((e) => e.type === "setTimer" && e.timer.type === type);
    for (const [type, max] of [
      ["probe", 1000],
      ["gossip", 200],
      ["pushPull", 30_000],
      ["reconnect", 30_000],
    ] as const) {
      const e = delay(type);
      expect(e, type).toBeDefined();
      expect(e?.type === "setTimer" && e.delayMs).toBeLessThanOrEqual(max);
    }
    expectNotified(startEffects, "memberUp", "self");
  });

  it("disables push-pull and reconnect loops with interval 0", () => {
    const {startEffects} = createTestNodeWithEffects({config: {pushPullIntervalMs: 0, reconnectIntervalMs: 0}});
    expect(startEffects.some((e) => e.type === "setTimer" && e.timer.type === "pushPull")).toBe(false);
    expect(startEffects.some((e) => e.type === "setTimer" && e.timer.type === "reconnect")).toBe(false);
  });

  it("throws InvalidStateError on a second start, and on join/updateMeta/broadcast after leave", () => {
    const node = createTestNode({config: {leaveTimeoutMs: 0}});
    expect(() => node.handle(0, {type: "start"})).toThrow(InvalidStateError);
    node.handle(0, {type: "leave"});
    expect(() => node.handle(0, {type: "join", seeds: []})).toThrow(InvalidStateError);
    expect(() => node.handle(0, {type: "updateMeta", meta: new Uint8Array()})).toThrow(InvalidStateError);
    expect(() => node.handle(0, {type: "broadcast", payload: new Uint8Array()})).toThrow(InvalidStateError);
    expect(node.handle(0, {type: "leave"})).toEqual([]);
  });

  it("rejects a bad self description with InvalidConfigError naming the field", () => {
    const make = (self: object) => () =>
      new SwimNode(lanConfig(), {name: "x", addr: addrOf("x"), ...self}, {random: createRandom(1)});
    expect(make({incarnation: 0})).toThrow(
      expect.objectContaining({name: "InvalidConfigError", field: "self.incarnation"}),
    );
    expect(make({name: ""})).toThrow(InvalidConfigError);
    expect(make({meta: new Uint8Array(513)})).toThrow(expect.objectContaining({field: "self.meta"}));
    expect(make({vsn: [2, 1, 2, 2, 5, 5]})).toThrow(expect.objectContaining({field: "self.vsn"}));
  });

  it("updateMeta bumps the incarnation and gossips the new alive", () => {
    const node = createTestNode({members: ["a"]});
    const fx = node.handle(0, {type: "updateMeta", meta: new Uint8Array([1, 2])});
    expect(node.incarnation).toBe(2);
    expectNotified(fx, "memberUpdated", "self");
    const ack = node.handle(0, packetFrom("a", {type: "ping", seqNo: 1, node: "self"}));
    expect(expectSent(ack, {to: "a", type: "alive", where: (m) => m.node === "self"}).meta).toEqual(
      new Uint8Array([1, 2]),
    );
  });
});

describe("leave", () => {
  it("queues dead about itself from itself and becomes left once it was transmitted its retransmit limit", () => {
    const {node, startEffects} = createTestNodeWithEffects({members: ["a", "b"]});
    const fx = node.handle(0, {type: "leave"});
    expect(node.status).toBe("leaving");
    expect(node.member("self")?.state).toBe("left");
    expectTimer(fx, "leaveTimeout", 5000);
    // 3 members: limit 4 × ceil(log10 4) = 4 sends; a gossip round reaches the 2 others.
    let gossipTick = expectTimer(startEffects, "gossip");
    const first = node.handle(200, timerInput(gossipTick));
    expectSent(first, {toAny: true, type: "dead", where: (m) => m.node === "self" && m.from === "self"});
    rejectNotified(first, "left");
    expect(node.status).toBe("leaving");
    gossipTick = expectTimer(first, "gossip");
    const second = node.handle(400, timerInput(gossipTick));
    expectNotified(second, "left");
    expect(node.status).toBe("left");
  });

  it("leaves at once when no other member is alive", () => {
    const node = createTestNode();
    const fx = node.handle(0, {type: "leave"});
    expectNotified(fx, "left");
    expect(node.status).toBe("left");
  });

  it("finishes at leaveTimeoutMs if the broadcast never went out", () => {
    const node = createTestNode({members: ["a"], config: {gossipNodes: 0}});
    const fx = node.handle(0, {type: "leave"});
    rejectNotified(fx, "left");
    const done = node.handle(5000, timerInput(expectTimer(fx, "leaveTimeout")));
    expectNotified(done, "left");
  });

  it("stops probing once left but still answers pings", () => {
    const {node, startEffects} = createTestNodeWithEffects({members: ["a"], config: {leaveTimeoutMs: 0}});
    node.handle(0, {type: "leave"});
    const tick = node.handle(1000, timerInput(expectTimer(startEffects, "probe")));
    expect(findSent(tick, {toAny: true, type: "ping"})).toEqual([]);
    expect(tick.some((e) => e.type === "setTimer")).toBe(false);
    expectSent(node.handle(1000, packetFrom("a", {type: "ping", seqNo: 3, node: "self"})), {to: "a", type: "ack"});
  });

  it("is seen as left, not failed, by a peer", () => {
    const peer = createTestNode({name: "peer", members: ["self"]});
    const fx = peer.handle(0, packetFrom("self", {type: "dead", incarnation: 1, node: "self", from: "self"}));
    expectNotified(fx, "memberLeft", "self");
    rejectNotified(fx, "memberDown");
    expect(peer.rememberedFailures()).toEqual([]);
  });
});

describe("user broadcasts and messages", () => {
  it("delivers user messages from packets and streams", () => {
    const node = createTestNode();
    const payload = new Uint8Array([3, 1, 4]);
    expect(node.handle(0, packetFrom("a", {type: "user", payload}))).toContainEqual({
      type: "deliver",
      payload,
      from: addrOf("a"),
    });
    const stream = node.handle(0, {type: "streamRequest", id: 9, from: addrOf("a"), message: {type: "user", payload}});
    expect(stream).toEqual([
      {type: "deliver", payload, from: addrOf("a")},
      {type: "streamClose", id: 9},
    ]);
  });

  it("piggybacks user broadcasts after membership updates", () => {
    const node = createTestNode({members: ["a"]});
    node.handle(0, {type: "broadcast", payload: new Uint8Array([7])});
    const fx = node.handle(0, packetFrom("a", {type: "ping", seqNo: 1, node: "self"}));
    const send = fx.find((e) => e.type === "send");
    const types = send?.type === "send" ? send.messages.map((m) => m.type) : [];
    expect(types[0]).toBe("ack");
    expect(types.at(-1)).toBe("user");
    expect(types.indexOf("alive")).toBeLessThan(types.indexOf("user"));
  });

  it("closes an unexpected stream request and counts it", () => {
    const node = createTestNode();
    const fx = node.handle(0, {type: "streamRequest", id: 4, from: addrOf("a"), message: {type: "err", error: "x"}});
    expect(fx[0]).toEqual({type: "streamClose", id: 4});
    expect(droppedReasons(fx)).toEqual(["unexpectedMessage"]);
  });
});

describe("gossip", () => {
  it("sends queued broadcasts to up to gossipNodes members, then disarms when the queue is empty", () => {
    const {node, startEffects} = createTestNodeWithEffects({members: ["a", "b", "c", "d", "e"]});
    let tick = expectTimer(startEffects, "gossip");
    let now = 0;
    let rounds = 0;
    for (;;) {
      now += 200;
      const fx = node.handle(now, timerInput(tick));
      const sends = fx.filter((e) => e.type === "send");
      expect(sends.length).toBeLessThanOrEqual(3);
      const next = fx.find((e) => e.type === "setTimer" && e.timer.type === "gossip");
      rounds++;
      if (next === undefined || next.type !== "setTimer" || next.timer.type !== "gossip") break;
      tick = next.timer;
      expect(rounds).toBeLessThan(50);
    }
    expect(node.queuedBroadcasts).toBe(0);
    expect(node.stats.gossipPackets).toBeGreaterThan(0);
    // A new update re-arms the loop on its phase.
    const re = node.handle(now + 50, packetFrom("a", alive("f", 1)));
    expectTimer(re, "gossip");
  });

  it("gossips to recently dead members but not to left ones", () => {
    const {node, startEffects} = createTestNodeWithEffects({members: ["a", "b"], config: {gossipNodes: 5}});
    node.handle(0, packetFrom("x", {type: "dead", incarnation: 1, node: "a", from: "x"}));
    node.handle(0, packetFrom("b", {type: "dead", incarnation: 1, node: "b", from: "b"}));
    const fx = node.handle(200, timerInput(expectTimer(startEffects, "gossip")));
    const to = fx.filter((e) => e.type === "send").map((e) => (e.type === "send" ? e.to : undefined));
    expect(to).toEqual([addrOf("a")]);
  });
});

describe("join", () => {
  it("push-pulls (join = true) with every seed except itself, with its full state", () => {
    const node = createTestNode({members: ["a"]});
    const fx = node.handle(0, {type: "join", seeds: [addrOf("s1"), addrOf("s2"), addrOf("self")]});
    const streams = findStreams(fx, "pushPull");
    expect(streams.map((s) => s.to)).toEqual([addrOf("s1"), addrOf("s2")]);
    for (const s of streams) {
      expect(s.timeoutMs).toBe(10_000);
      expect(s.message.type === "pushPull" && s.message.join).toBe(true);
      expect(s.message.type === "pushPull" && s.message.states.map((x) => x.name).sort()).toEqual(["a", "self"]);
    }
  });
});
