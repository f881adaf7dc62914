import {describe, expect, it} from "vitest";
import type {Message, SwimNode} from "../../../src/core/index.ts";
import {droppedReasons, expectNotified, findNotified, rejectNotified} from "../../helpers/core-expect.ts";
import {addrOf, alive, createTestNode, dead, packetFrom, suspect} from "../../helpers/core-harness.ts";

type State = "alive" | "suspect" | "dead" | "left";

/** A node that knows member x at incarnation 5 in `state`. */
function nodeWithX(state: State): SwimNode {
  const node = createTestNode({members: ["y", "z", "w"]});
  node.handle(0, packetFrom("y", alive("x", 5)));
  if (state === "suspect") node.handle(0, packetFrom("y", suspect("x", 5, "y")));
  if (state === "dead") node.handle(0, packetFrom("y", dead("x", 5, "y")));
  if (state === "left") node.handle(0, packetFrom("x", dead("x", 5, "x")));
  expect(node.member("x")?.state).toBe(state);
  return node;
}

interface Row {
  readonly title: string;
  readonly from: State;
  readonly msg: (inc: number) => Message;
  readonly inc: number;
  readonly want: [State, number];
}

const a = (i: number): Message => alive("x", i);
const s = (i: number): Message => suspect("x", i, "z");
const d = (i: number): Message => dead("x", i, "z");

// The merge precedence table (spec §7.4–§7.7): message kind × incarnation (lower 4 / equal 5 /
// higher 6, known is 5) × current state → resulting [state, incarnation].
const rows: Row[] = [
  {title: "alive(lower) leaves an alive member alone", from: "alive", msg: a, inc: 4, want: ["alive", 5]},
  {title: "alive(equal) leaves an alive member alone", from: "alive", msg: a, inc: 5, want: ["alive", 5]},
  {title: "alive(higher) updates an alive member", from: "alive", msg: a, inc: 6, want: ["alive", 6]},
  {title: "alive(lower) does not refute a suspicion", from: "suspect", msg: a, inc: 4, want: ["suspect", 5]},
  {title: "alive(equal) does not refute a suspicion", from: "suspect", msg: a, inc: 5, want: ["suspect", 5]},
  {title: "alive(higher) refutes a suspicion", from: "suspect", msg: a, inc: 6, want: ["alive", 6]},
  {title: "alive(lower) does not revive the dead", from: "dead", msg: a, inc: 4, want: ["dead", 5]},
  {title: "alive(equal) does not revive the dead", from: "dead", msg: a, inc: 5, want: ["dead", 5]},
  {title: "alive(higher) revives the dead", from: "dead", msg: a, inc: 6, want: ["alive", 6]},
  {title: "alive(lower) does not bring back a left member", from: "left", msg: a, inc: 4, want: ["left", 5]},
  {title: "alive(equal) does not bring back a left member", from: "left", msg: a, inc: 5, want: ["left", 5]},
  {title: "alive(higher) brings back a left member", from: "left", msg: a, inc: 6, want: ["alive", 6]},
  {title: "suspect(lower) is ignored by an alive member", from: "alive", msg: s, inc: 4, want: ["alive", 5]},
  {title: "suspect(equal) beats alive", from: "alive", msg: s, inc: 5, want: ["suspect", 5]},
  {title: "suspect(higher) beats alive and takes its incarnation", from: "alive", msg: s, inc: 6, want: ["suspect", 6]},
  {title: "suspect(lower) is ignored by a suspect", from: "suspect", msg: s, inc: 4, want: ["suspect", 5]},
  {title: "suspect(equal) only confirms a suspicion", from: "suspect", msg: s, inc: 5, want: ["suspect", 5]},
  {
    title: "suspect(higher) only confirms a running suspicion (memberlist keeps the incarnation)",
    from: "suspect",
    msg: s,
    inc: 6,
    want: ["suspect", 5],
  },
  {title: "suspect(lower) does not touch the dead", from: "dead", msg: s, inc: 4, want: ["dead", 5]},
  {title: "suspect(equal) does not touch the dead", from: "dead", msg: s, inc: 5, want: ["dead", 5]},
  {title: "suspect(higher) does not touch the dead", from: "dead", msg: s, inc: 6, want: ["dead", 5]},
  {title: "suspect(lower) does not touch a left member", from: "left", msg: s, inc: 4, want: ["left", 5]},
  {title: "suspect(equal) does not touch a left member", from: "left", msg: s, inc: 5, want: ["left", 5]},
  {title: "suspect(higher) does not touch a left member", from: "left", msg: s, inc: 6, want: ["left", 5]},
  {title: "dead(lower) is ignored by an alive member", from: "alive", msg: d, inc: 4, want: ["alive", 5]},
  {title: "dead(equal) beats alive", from: "alive", msg: d, inc: 5, want: ["dead", 5]},
  {title: "dead(higher) beats alive", from: "alive", msg: d, inc: 6, want: ["dead", 6]},
  {title: "dead(lower) is ignored by a suspect", from: "suspect", msg: d, inc: 4, want: ["suspect", 5]},
  {title: "dead(equal) beats suspect", from: "suspect", msg: d, inc: 5, want: ["dead", 5]},
  {title: "dead(higher) beats suspect", from: "suspect", msg: d, inc: 6, want: ["dead", 6]},
  {title: "dead(lower) changes nothing for the dead", from: "dead", msg: d, inc: 4, want: ["dead", 5]},
  {title: "dead(equal) changes nothing for the dead", from: "dead", msg: d, inc: 5, want: ["dead", 5]},
  {title: "dead(higher) changes nothing for the dead", from: "dead", msg: d, inc: 6, want: ["dead", 5]},
  {title: "dead(lower) changes nothing for a left member", from: "left", msg: d, inc: 4, want: ["left", 5]},
  {title: "dead(equal) changes nothing for a left member", from: "left", msg: d, inc: 5, want: ["left", 5]},
  {title: "dead(higher) does not turn left into dead", from: "left", msg: d, inc: 6, want: ["left", 5]},
];

describe("membership precedence table", () => {
  for (const r of rows) {
    it(r.title, () => {
      const node = nodeWithX(r.from);
      node.handle(10, packetFrom("z", r.msg(r.inc)));
      const m = node.member("x");
      expect([m?.state, m?.incarnation]).toEqual(r.want);
    });
  }
});

describe("membership messages", () => {
  it("inserts an unknown alive member and announces it once", () => {
    const node = createTestNode();
    const fx = node.handle(0, packetFrom("a", alive("a", 1)));
    expectNotified(fx, "memberUp", "a");
    expect(node.member("a")?.state).toBe("alive");
    const again = node.handle(0, packetFrom("a", alive("a", 1)));
    rejectNotified(again, "memberUp");
  });

  it("accepts an alive with incarnation 0 about an unknown member (Go would swallow it)", () => {
    const node = createTestNode();
    node.handle(0, packetFrom("a", alive("a", 0)));
    expect(node.member("a")?.incarnation).toBe(0);
  });

  it("ignores suspect and dead about unknown members", () => {
    const node = createTestNode();
    const fx = node.handle(0, packetFrom("a", suspect("q", 1, "a"), dead("r", 1, "a")));
    expect(node.member("q")).toBeUndefined();
    expect(node.member("r")).toBeUndefined();
    expect(droppedReasons(fx)).toEqual(["unknownMember", "unknownMember"]);
  });

  it("drops an alive with a nonsensical vsn", () => {
    const node = createTestNode();
    const fx = node.handle(
      0,
      packetFrom("a", alive("a", 1, {vsn: [0, 5, 2, 2, 5, 5]}), alive("b", 1, {vsn: [3, 2, 2, 2, 5, 5]})),
    );
    expect(droppedReasons(fx)).toEqual(["badVsn", "badVsn"]);
    expect(node.members()).toHaveLength(1);
  });

  it("refuses an address change of an alive member as a conflict", () => {
    const node = createTestNode({members: ["a"]});
    const fx = node.handle(0, packetFrom("a", alive("a", 9, {addr: {host: "10.9.9.9", port: 1}})));
    expect(droppedReasons(fx)).toEqual(["addressConflict"]);
    expect(node.member("a")?.addr).toEqual(addrOf("a"));
    const conflicts = fx.flatMap((e) => (e.type === "notify" && e.event.type === "nameConflict" ? [e.event] : []));
    expect(conflicts).toEqual([
      {type: "nameConflict", name: "a", existing: addrOf("a"), other: {host: "10.9.9.9", port: 1}},
    ]);
  });

  it("reports another address claiming our own name as a name conflict, not as news to refute", () => {
    const node = createTestNode({members: ["a"]});
    const incarnation = node.incarnation;
    const fx = node.handle(0, packetFrom("a", alive("self", 7, {addr: {host: "10.9.9.9", port: 1}})));
    expect(droppedReasons(fx)).toEqual(["addressConflict"]);
    expect(node.incarnation).toBe(incarnation);
    const conflicts = fx.flatMap((e) => (e.type === "notify" && e.event.type === "nameConflict" ? [e.event] : []));
    expect(conflicts).toEqual([
      {type: "nameConflict", name: "self", existing: addrOf("self"), other: {host: "10.9.9.9", port: 1}},
    ]);
  });

  it("lets a left member come back at a new address, even with a lower incarnation", () => {
    const node = createTestNode({members: ["a"]});
    node.handle(0, packetFrom("a", dead("a", 3, "a")));
    const fx = node.handle(0, packetFrom("a", alive("a", 1, {addr: {host: "10.9.9.9", port: 1}})));
    expectNotified(fx, "memberUp", "a");
    expect(node.member("a")?.addr).toEqual({host: "10.9.9.9", port: 1});
  });

  it("lets a dead member change address only after deadNodeReclaimMs", () => {
    const node = createTestNode({members: ["a"], config: {deadNodeReclaimMs: 10_000}});
    node.handle(0, packetFrom("b", dead("a", 1, "b")));
    const moved = alive("a", 2, {addr: {host: "10.9.9.9", port: 1}});
    expect(droppedReasons(node.handle(5_000, packetFrom("a", moved)))).toEqual(["addressConflict"]);
    node.handle(10_001, packetFrom("a", moved));
    expect(node.member("a")?.state).toBe("alive");
  });

  it("substitutes our own port for a zero port (memberlist's rule)", () => {
    const node = createTestNode();
    node.handle(0, packetFrom("a", alive("a", 1, {addr: {host: "10.1.1.1", port: 0}})));
    expect(node.member("a")?.addr).toEqual({host: "10.1.1.1", port: addrOf("self").port});
  });

  it("records dead from the member itself as left, and from another as failed", () => {
    const node = createTestNode({members: ["a", "b"]});
    const left = node.handle(0, packetFrom("a", dead("a", 1, "a")));
    expectNotified(left, "memberLeft", "a");
    rejectNotified(left, "memberDown");
    const failed = node.handle(0, packetFrom("a", dead("b", 1, "a")));
    expectNotified(failed, "memberDown", "b");
    expect(node.member("a")?.state).toBe("left");
    expect(node.member("b")?.state).toBe("dead");
  });

  it("emits memberSuspect, then memberAlive on refutation, then memberUpdated on a meta change", () => {
    const node = createTestNode({members: ["a"]});
    expectNotified(node.handle(0, packetFrom("b", suspect("a", 1, "b"))), "memberSuspect", "a");
    const back = node.handle(0, packetFrom("a", alive("a", 2)));
    expectNotified(back, "memberAlive", "a");
    rejectNotified(back, "memberUp");
    const meta = node.handle(0, packetFrom("a", alive("a", 3, {meta: new Uint8Array([1])})));
    expectNotified(meta, "memberUpdated", "a");
    const same = node.handle(0, packetFrom("a", alive("a", 4, {meta: new Uint8Array([1])})));
    expect(findNotified(same, "memberUpdated")).toEqual([]);
  });

  it("emits memberUp when a dead member comes back", () => {
    const node = createTestNode({members: ["a"]});
    node.handle(0, packetFrom("b", dead("a", 1, "b")));
    expectNotified(node.handle(0, packetFrom("a", alive("a", 2))), "memberUp", "a");
  });

  it("refuses new members beyond maxMembers", () => {
    const node = createTestNode({config: {maxMembers: 2}});
    node.handle(0, packetFrom("a", alive("a", 1)));
    const fx = node.handle(0, packetFrom("b", alive("b", 1)));
    expect(droppedReasons(fx)).toEqual(["membersFull"]);
    expect(node.members()).toHaveLength(2);
  });

  it("reports an old incarnation as dropped", () => {
    const node = createTestNode();
    node.handle(0, packetFrom("a", alive("a", 5)));
    expect(droppedReasons(node.handle(0, packetFrom("a", alive("a", 4))))).toEqual(["oldIncarnation"]);
  });
});
