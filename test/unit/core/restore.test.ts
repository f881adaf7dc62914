/*
 * The core's `restore` input: a node that starts from a known membership (the simulator's
 * converged start) holds every member alive, tells its host, and gossips none of them.
 */
import {describe, expect, it} from "vitest";
import {createRandom, InvalidStateError, lanConfig, SwimNode} from "../../../src/core/index.ts";
import {findNotified, findSent} from "../../helpers/core-expect.ts";
import {addrOf, alive, runTimers} from "../../helpers/core-harness.ts";

function idle(): SwimNode {
  return new SwimNode(lanConfig(), {name: "self", addr: addrOf("self")}, {random: createRandom(7)});
}

const OTHERS = ["r1", "r2", "r3", "r4", "r5"];

describe("restore", () => {
  it("takes every member alive before start and notifies memberUp once for each", () => {
    const node = idle();
    const fx = node.handle(0, {type: "restore", members: [alive("self", 9), ...OTHERS.map((m) => alive(m, 3))]});
    expect(findNotified(fx, "memberUp").map((n) => n.member.name)).toEqual(OTHERS);
    expect(node.member("r2")).toMatchObject({name: "r2", state: "alive", incarnation: 3});
    // Our own entry is ours: a restored "self" does not change it.
    expect(node.incarnation).toBe(1);
    expect(node.members()).toHaveLength(OTHERS.length + 1);
  });

  it("keeps the higher incarnation when a member is listed twice", () => {
    const node = idle();
    node.handle(0, {type: "restore", members: [alive("r1", 2), alive("r1", 5), alive("r1", 4)]});
    expect(node.member("r1")?.incarnation).toBe(5);
  });

  it("gossips none of the restored members, but probes them", () => {
    const node = idle();
    node.handle(0, {type: "restore", members: OTHERS.map((m) => alive(m, 1))});
    const all = runTimers(node, 0, node.handle(0, {type: "start"}), 60);
    expect(findSent(all, {type: "ping", toAny: true}).length).toBeGreaterThan(0);
    expect(findSent(all, {type: "alive", toAny: true}).length).toBeGreaterThan(0);
    expect(findSent(all, {type: "alive", toAny: true, where: (m) => m.node !== "self"})).toEqual([]);
  });

  it("is refused once started", () => {
    const node = idle();
    node.handle(0, {type: "start"});
    expect(() => node.handle(1, {type: "restore", members: [alive("r1", 1)]})).toThrow(InvalidStateError);
  });
});
