import {describe, expect, it} from "vitest";
import {droppedReasons, expectNotified, expectSent, rejectNotified} from "../../helpers/core-expect.ts";
import {addrOf, alive, createTestNode, dead, packetFrom, pushState, suspect} from "../../helpers/core-harness.ts";

/** Sends a ping from `peer` and returns the alive messages about `self` piggybacked on the ack. */
function piggybackedSelfAlive(node: ReturnType<typeof createTestNode>, peer: string) {
  const fx = node.handle(0, packetFrom(peer, {type: "ping", seqNo: 1, node: "self"}));
  expectSent(fx, {to: peer, type: "ack"});
  return fx
    .flatMap((e) => (e.type === "send" ? e.messages : []))
    .filter((m) => m.type === "alive" && m.node === "self");
}

describe("refutation", () => {
  it("refutes a suspicion about itself by bumping its incarnation", () => {
    const node = createTestNode({members: ["b"]});
    const fx = node.handle(0, packetFrom("b", suspect("self", 1, "b")));
    expect(node.incarnation).toBe(2);
    expect(node.member("self")?.state).toBe("alive");
    expect(expectNotified(fx, "refuted")).toEqual({type: "refuted", incarnation: 2, accusedBy: "b"});
    expect(node.awarenessScore).toBe(1);
    expect(piggybackedSelfAlive(node, "b")).toMatchObject([{incarnation: 2}]);
  });

  it("jumps above a higher accused incarnation", () => {
    const node = createTestNode({members: ["b"]});
    node.handle(0, packetFrom("b", dead("self", 9, "b")));
    expect(node.incarnation).toBe(10);
    expect(node.member("self")?.state).toBe("alive");
  });

  it("ignores an accusation with an old incarnation", () => {
    const node = createTestNode({members: ["b"], incarnation: 5});
    const fx = node.handle(0, packetFrom("b", suspect("self", 4, "b")));
    expect(node.incarnation).toBe(5);
    expect(droppedReasons(fx)).toEqual(["oldIncarnation"]);
  });

  it("refutes an alive about itself with a higher incarnation", () => {
    const node = createTestNode({members: ["b"]});
    node.handle(0, packetFrom("b", alive("self", 7)));
    expect(node.incarnation).toBe(8);
  });

  it("refutes an alive about itself at the same incarnation with different meta", () => {
    const node = createTestNode({members: ["b"]});
    node.handle(0, packetFrom("b", alive("self", 1, {meta: new Uint8Array([9])})));
    expect(node.incarnation).toBe(2);
  });

  it("ignores an alive about itself that matches what it is", () => {
    const node = createTestNode({members: ["b"]});
    const fx = node.handle(0, packetFrom("b", alive("self", 1)));
    expect(node.incarnation).toBe(1);
    rejectNotified(fx, "refuted");
  });

  it("refutes a push-pull that says it is dead", () => {
    const node = createTestNode({members: ["b"]});
    const fx = node.handle(0, {
      type: "streamResponse",
      id: 999,
      message: {type: "pushPull", join: false, states: [], userState: new Uint8Array()},
    });
    expect(droppedReasons(fx)).toEqual(["unknownStream"]);
    const served = node.handle(0, {
      type: "streamRequest",
      id: 1,
      from: {host: "10.0.0.99", port: 7946},
      message: {
        type: "pushPull",
        join: false,
        userState: new Uint8Array(),
        states: [
          {
            name: "self",
            addr: node.member("self")!.addr,
            incarnation: 4,
            meta: new Uint8Array(),
            state: "dead",
            vsn: node.member("self")!.vsn,
          },
        ],
      },
    });
    expect(node.incarnation).toBe(5);
    expectNotified(served, "refuted");
  });

  it("does not refute after it has left", () => {
    const node = createTestNode({config: {leaveTimeoutMs: 0}});
    node.handle(0, {type: "leave"});
    expect(node.status).toBe("left");
    node.handle(0, packetFrom("b", alive("self", 7)));
    node.handle(0, packetFrom("b", suspect("self", 1, "b")));
    expect(node.incarnation).toBe(1);
  });

  it("a suspicion timer never fires on itself", () => {
    const node = createTestNode({members: ["b", "c", "d"]});
    const fx = node.handle(0, packetFrom("b", suspect("self", 1, "b")));
    expect(fx.some((e) => e.type === "setTimer" && e.timer.type === "suspicionTimeout")).toBe(false);
    expect(node.member("self")?.state).toBe("alive");
  });
});

describe("restart recovery (spec §7.6)", () => {
  it("a restarted node at incarnation 1 refutes the death its join reply shows", () => {
    const node = createTestNode();
    const fx = node.handle(0, {type: "join", seeds: [addrOf("seed")]});
    const stream = fx.find((e) => e.type === "sendStream");
    if (stream?.type !== "sendStream") throw new Error("no join stream");
    const reply = node.handle(5, {
      type: "streamResponse",
      id: stream.id,
      message: {
        type: "pushPull",
        join: true,
        userState: new Uint8Array(),
        states: [pushState("seed", "alive", 3), pushState("self", "dead", 7)],
      },
    });
    expect(node.incarnation).toBe(8);
    expectNotified(reply, "memberUp", "seed");
    expect(expectNotified(reply, "refuted").incarnation).toBe(8);
    const ack = node.handle(6, packetFrom("seed", {type: "ping", seqNo: 1, node: "self"}));
    expectSent(ack, {to: "seed", type: "alive", where: (m) => m.node === "self" && m.incarnation === 8});
  });
});
