/*
 * memberlist's PingDelegate in the core: the ack payload the host sets (setAckPayload) goes into
 * every ack to a UDP ping, and a direct probe answered within probeTimeoutMs produces one
 * pingComplete effect with the target, the RTT and the ack's payload — never an indirect, late or
 * TCP ack.
 */
import {describe, expect, it} from "vitest";
import {
  ACK_PAYLOAD_MAX_BYTES,
  type Effect,
  lanConfig,
  type PingMessage,
  resolveConfig,
  SwimNode,
} from "../../../src/core/index.ts";
import {createRandom} from "../../../src/core/random.ts";
import {droppedReasons, expectSent, expectTimer, findSent, findStreams} from "../../helpers/core-expect.ts";
import {addrOf, alive, createTestNodeWithEffects, packetFrom, timerInput} from "../../helpers/core-harness.ts";

type PingComplete = Extract<Effect, {type: "pingComplete"}>;

function pingCompletes(effects: readonly Effect[]): PingComplete[] {
  return effects.filter((e): e is PingComplete => e.type === "pingComplete");
}

const PAYLOAD = Uint8Array.of(1, 0x84, 0xa3, 0x56, 0x65, 0x63);

/** A node with members a..d whose first probe went out at t = 1000. */
function probing(): {node: SwimNode; ping: PingMessage; fx: Effect[]; now: number} {
  const {node, startEffects} = createTestNodeWithEffects({members: ["a", "b", "c", "d"]});
  const now = 1000;
  const fx = node.handle(now, timerInput(expectTimer(startEffects, "probe")));
  const [sent] = findSent(fx, {toAny: true, type: "ping"});
  return {node, ping: sent!.message, fx, now};
}

describe("pingComplete: a direct probe answered in time", () => {
  it("reports the target, the RTT from the ping's send time and the ack's payload", () => {
    const p = probing();
    const fx = p.node.handle(p.now + 37, packetFrom(p.ping.node, {type: "ack", seqNo: p.ping.seqNo, payload: PAYLOAD}));
    expect(pingCompletes(fx)).toEqual([{type: "pingComplete", node: p.ping.node, rttMs: 37, payload: PAYLOAD}]);
    expect(p.node.stats.acksReceived).toBe(1);
  });

  it("reports an empty payload as empty (the peer sets none)", () => {
    const p = probing();
    const fx = p.node.handle(
      p.now,
      packetFrom(p.ping.node, {type: "ack", seqNo: p.ping.seqNo, payload: new Uint8Array()}),
    );
    const [done] = pingCompletes(fx);
    expect(done?.rttMs).toBe(0);
    expect(done?.payload).toHaveLength(0);
  });

  it("reports once: a duplicated ack finds the probe finished and is dropped", () => {
    const p = probing();
    const ack = packetFrom(p.ping.node, {type: "ack", seqNo: p.ping.seqNo, payload: PAYLOAD});
    expect(pingCompletes(p.node.handle(p.now + 5, ack))).toHaveLength(1);
    const again = p.node.handle(p.now + 6, ack);
    expect(pingCompletes(again)).toEqual([]);
    expect(droppedReasons(again)).toEqual(["unknownSeqNo"]);
  });

  it("does not report an ack with an unknown seqNo", () => {
    const p = probing();
    const fx = p.node.handle(
      p.now + 5,
      packetFrom(p.ping.node, {type: "ack", seqNo: p.ping.seqNo + 1, payload: PAYLOAD}),
    );
    expect(pingCompletes(fx)).toEqual([]);
  });
});

describe("pingComplete: acks that measure no direct round trip", () => {
  it("is not reported for an ack after probeTimeoutMs, from a helper or from the target itself", () => {
    for (const from of ["helper", "target"] as const) {
      const p = probing();
      p.node.handle(p.now + 500, timerInput(expectTimer(p.fx, "probeTimeout")));
      const sender = from === "target" ? p.ping.node : ["a", "b", "c", "d"].find((n) => n !== p.ping.node)!;
      const fx = p.node.handle(p.now + 600, packetFrom(sender, {type: "ack", seqNo: p.ping.seqNo, payload: PAYLOAD}));
      expect(pingCompletes(fx), from).toEqual([]);
      expect(p.node.stats.acksReceived, from).toBe(1); // the probe still succeeded
    }
  });

  it("is not reported for the TCP fallback ping's ack", () => {
    const p = probing();
    const timeoutFx = p.node.handle(p.now + 500, timerInput(expectTimer(p.fx, "probeTimeout")));
    const [tcp] = findStreams(timeoutFx, "ping");
    const fx = p.node.handle(p.now + 550, {
      type: "streamResponse",
      id: tcp!.id,
      message: {type: "ack", seqNo: p.ping.seqNo, payload: PAYLOAD},
    });
    expect(pingCompletes(fx)).toEqual([]);
    expect(p.node.stats.acksReceived).toBe(1);
  });

  it("is not reported by a helper relaying an ack, which forwards it without a payload (memberlist sends nil)", () => {
    const {node} = createTestNodeWithEffects({members: ["a", "b"]});
    node.handle(0, {type: "setAckPayload", payload: PAYLOAD});
    const fx = node.handle(
      0,
      packetFrom("a", {type: "indirectPing", seqNo: 9, target: addrOf("b"), node: "b", nack: false}),
    );
    const [forwarded] = findSent(fx, {to: "b", type: "ping"});
    const relay = node.handle(20, packetFrom("b", {type: "ack", seqNo: forwarded!.message.seqNo, payload: PAYLOAD}));
    expect(pingCompletes(relay)).toEqual([]);
    expect(expectSent(relay, {to: "a", type: "ack"})).toEqual({type: "ack", seqNo: 9, payload: new Uint8Array()});
  });
});

describe("setAckPayload", () => {
  it("puts the payload into acks to UDP pings, and the latest one wins", () => {
    const {node} = createTestNodeWithEffects({members: ["a"]});
    const before = node.handle(0, packetFrom("a", {type: "ping", seqNo: 1, node: "self"}));
    expect(expectSent(before, {to: "a", type: "ack"}).payload).toHaveLength(0);
    expect(node.handle(1, {type: "setAckPayload", payload: PAYLOAD})).toEqual([]);
    expect(
      expectSent(node.handle(2, packetFrom("a", {type: "ping", seqNo: 2, node: "self"})), {to: "a", type: "ack"})
        .payload,
    ).toEqual(PAYLOAD);
    const next = Uint8Array.of(1, 2, 3);
    node.handle(3, {type: "setAckPayload", payload: next});
    expect(
      expectSent(node.handle(4, packetFrom("a", {type: "ping", seqNo: 3, node: "self"})), {to: "a", type: "ack"})
        .payload,
    ).toEqual(next);
  });

  it("is accepted before start, and leaves TCP ping acks empty (memberlist's stream ack has no payload)", () => {
    const node = new SwimNode(
      resolveConfig({}, lanConfig()),
      {name: "self", addr: addrOf("self")},
      {random: createRandom(1)},
    );
    expect(node.handle(0, {type: "setAckPayload", payload: PAYLOAD})).toEqual([]);
    node.handle(0, {type: "start"});
    node.handle(0, packetFrom("a", alive("a", 1)));
    expect(
      expectSent(node.handle(1, packetFrom("a", {type: "ping", seqNo: 5, node: "self"})), {to: "a", type: "ack"})
        .payload,
    ).toEqual(PAYLOAD);
    const tcp = node.handle(2, {
      type: "streamRequest",
      id: 3,
      from: addrOf("a"),
      message: {type: "ping", seqNo: 6, node: "self"},
    });
    expect(tcp).toContainEqual({
      type: "streamReply",
      id: 3,
      message: {type: "ack", seqNo: 6, payload: new Uint8Array()},
    });
  });

  it("refuses a payload over ACK_PAYLOAD_MAX_BYTES or not made of bytes, naming the field, and keeps the old one", () => {
    const {node} = createTestNodeWithEffects({members: ["a"]});
    node.handle(0, {type: "setAckPayload", payload: PAYLOAD});
    const tooLong = new Uint8Array(ACK_PAYLOAD_MAX_BYTES + 1);
    expect(() => node.handle(1, {type: "setAckPayload", payload: tooLong})).toThrow(
      expect.objectContaining({name: "InvalidConfigError", field: "payload"}),
    );
    expect(() => node.handle(1, {type: "setAckPayload", payload: [1, 2] as unknown as Uint8Array})).toThrow(
      expect.objectContaining({name: "InvalidConfigError", field: "payload"}),
    );
    const kept = node.handle(2, packetFrom("a", {type: "ping", seqNo: 7, node: "self"}));
    expect(expectSent(kept, {to: "a", type: "ack"}).payload).toEqual(PAYLOAD);
    const limit = new Uint8Array(ACK_PAYLOAD_MAX_BYTES);
    node.handle(3, {type: "setAckPayload", payload: limit}); // the limit itself is accepted
    const atLimit = node.handle(4, packetFrom("a", {type: "ping", seqNo: 8, node: "self"}));
    expect(expectSent(atLimit, {to: "a", type: "ack"}).payload).toBe(limit);
  });
});
