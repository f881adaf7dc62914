import {describe, expect, it} from "vitest";
import type {PushNodeState} from "../../../src/core/index.ts";
import {droppedReasons, expectNotified, expectTimer, findStreams, rejectNotified} from "../../helpers/core-expect.ts";
import {addrOf, createTestNode, createTestNodeWithEffects, pushState, timerInput} from "../../helpers/core-harness.ts";

function pushPullRequest(states: PushNodeState[], join = false) {
  return {
    type: "streamRequest" as const,
    id: 11,
    from: addrOf("peer"),
    message: {type: "pushPull" as const, join, states, userState: new Uint8Array([2, 0x80])},
  };
}

describe("serving a push-pull", () => {
  it("replies with every member, self and dead ones included, echoing join, before merging", () => {
    const node = createTestNode({members: ["a", "b"]});
    node.handle(0, {
      type: "packet",
      from: addrOf("c"),
      messages: [{type: "dead", incarnation: 1, node: "b", from: "c"}],
    });
    const fx = node.handle(5, pushPullRequest([pushState("peer", "alive", 1)], true));
    const reply = fx[0];
    expect(reply?.type).toBe("streamReply");
    if (reply?.type !== "streamReply" || reply.message.type !== "pushPull") throw new Error("no reply");
    expect(reply.id).toBe(11);
    expect(reply.message.join).toBe(true);
    expect(reply.message.userState).toEqual(new Uint8Array());
    const byName = Object.fromEntries(reply.message.states.map((s) => [s.name, s.state]));
    expect(byName).toEqual({self: "alive", a: "alive", b: "dead"});
    expectNotified(fx, "memberUp", "peer");
    expect(node.stats.pushPulls).toBe(1);
  });

  it("merges alive by the alive rules, left as left, and dead or suspect as our own suspicion", () => {
    const node = createTestNode({members: ["a", "b", "c", "d"]});
    const fx = node.handle(
      0,
      pushPullRequest([
        pushState("a", "alive", 3),
        pushState("b", "left", 1),
        pushState("c", "dead", 1),
        pushState("d", "suspect", 1),
        pushState("e", "dead", 4),
      ]),
    );
    expect(node.member("a")).toMatchObject({state: "alive", incarnation: 3});
    expect(node.member("b")?.state).toBe("left");
    expect(node.member("c")?.state).toBe("suspect");
    expect(node.member("d")?.state).toBe("suspect");
    expect(node.member("e")).toBeUndefined();
    rejectNotified(fx, "memberDown");
    expect(droppedReasons(fx)).toEqual([]);
  });

  it("merges nothing when protocol versions are incompatible", () => {
    const node = createTestNode({members: ["a"]});
    const fx = node.handle(
      0,
      pushPullRequest([pushState("x", "alive", 1, {vsn: [1, 5, 9, 2, 5, 5]}), pushState("a", "left", 1)]),
    );
    expect(fx[0]?.type).toBe("streamReply");
    expect(droppedReasons(fx)).toEqual(["incompatibleVersion"]);
    expect(node.member("x")).toBeUndefined();
    expect(node.member("a")?.state).toBe("alive");
  });
});

describe("initiating a push-pull", () => {
  it("runs periodically with one alive member (join = false) and reschedules", () => {
    const {node, startEffects} = createTestNodeWithEffects({members: ["a"]});
    const fx = node.handle(1000, timerInput(expectTimer(startEffects, "pushPull")));
    const [stream] = findStreams(fx, "pushPull", "a");
    expect(stream?.message.type === "pushPull" && stream.message.join).toBe(false);
    expectTimer(fx, "pushPull", 30_000);
  });

  it("merges the reply", () => {
    const {node, startEffects} = createTestNodeWithEffects({members: ["a"]});
    const fx = node.handle(1000, timerInput(expectTimer(startEffects, "pushPull")));
    const [stream] = findStreams(fx, "pushPull");
    const merged = node.handle(1010, {
      type: "streamResponse",
      id: stream!.id,
      message: {
        type: "pushPull",
        join: false,
        states: [pushState("a", "alive", 1), pushState("n", "alive", 2)],
        userState: new Uint8Array(),
      },
    });
    expectNotified(merged, "memberUp", "n");
    const again = node.handle(1020, {
      type: "streamResponse",
      id: stream!.id,
      message: {type: "pushPull", join: false, states: [], userState: new Uint8Array()},
    });
    expect(droppedReasons(again)).toEqual(["unknownStream"]);
  });

  it("counts a remote error reply and an unknown failed stream", () => {
    const node = createTestNode({members: []});
    const fx = node.handle(0, {type: "join", seeds: [addrOf("s")]});
    const [stream] = findStreams(fx, "pushPull");
    expect(
      droppedReasons(node.handle(1, {type: "streamResponse", id: stream!.id, message: {type: "err", error: "no"}})),
    ).toEqual(["unexpectedMessage"]);
    expect(droppedReasons(node.handle(1, {type: "streamFailed", id: 12345, reason: "x"}))).toEqual(["unknownStream"]);
  });
});
