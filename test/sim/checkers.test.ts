import {describe, expect, it} from "vitest";
import {SafetyChecker} from "../../sim/index.ts";
import type {MemberEvent, MemberView} from "../../src/core/index.ts";

function view(name: string, state: MemberView["state"], incarnation: number): MemberView {
  return {
    name,
    addr: {host: "10.0.0.1", port: 7946},
    state,
    incarnation,
    meta: new Uint8Array(),
    vsn: [1, 5, 2, 2, 5, 5],
    stateChangeMs: 0,
  };
}

function ev(type: MemberEvent["type"], state: MemberView["state"], incarnation: number, name = "b"): MemberEvent {
  return {type, member: view(name, state, incarnation)} as MemberEvent;
}

describe("SafetyChecker", () => {
  it("accepts the legal life of a member: up, suspect, refuted, down, back with a higher incarnation", () => {
    const c = new SafetyChecker();
    c.observe(0, "a", ev("memberUp", "alive", 1));
    c.observe(1, "a", ev("memberSuspect", "suspect", 1));
    c.observe(2, "a", ev("memberAlive", "alive", 2));
    c.observe(3, "a", ev("memberUpdated", "alive", 3));
    c.observe(4, "a", ev("memberSuspect", "suspect", 3));
    c.observe(5, "a", ev("memberDown", "dead", 3));
    c.observe(6, "a", ev("memberUp", "alive", 4));
    c.observe(7, "a", ev("memberLeft", "left", 4));
    expect(c.violations).toEqual([]);
    expect(c.ok).toBe(true);
    expect(c.viewOf("a", "b")).toEqual({state: "left", incarnation: 4});
  });

  it("flags an incarnation that goes down for one observer", () => {
    const c = new SafetyChecker();
    c.observe(0, "a", ev("memberUp", "alive", 5));
    c.observe(1, "a", ev("memberSuspect", "suspect", 4));
    expect(c.violations.map((v) => v.rule)).toContain("incarnationDecreased");
  });

  it("flags a revival at the same incarnation (dead beats alive at equal incarnation)", () => {
    const c = new SafetyChecker();
    c.observe(0, "a", ev("memberUp", "alive", 1));
    c.observe(1, "a", ev("memberDown", "dead", 1));
    c.observe(2, "a", ev("memberUp", "alive", 1));
    expect(c.violations.map((v) => v.rule)).toEqual(["illegalTransition"]);
  });

  it("allows that revival once the member may have been reaped", () => {
    const c = new SafetyChecker({reapAfterMs: 30_000});
    c.observe(0, "a", ev("memberUp", "alive", 3));
    c.observe(1_000, "a", ev("memberDown", "dead", 3));
    c.observe(40_000, "a", ev("memberUp", "alive", 1));
    expect(c.ok).toBe(true);
    c.observe(41_000, "a", ev("memberDown", "dead", 1));
    c.observe(42_000, "a", ev("memberUp", "alive", 1));
    expect(c.ok).toBe(false);
  });

  it("flags transitions that skip a state and events whose member state contradicts their type", () => {
    const c = new SafetyChecker();
    c.observe(0, "a", ev("memberDown", "dead", 1));
    c.observe(1, "a", ev("memberAlive", "alive", 2, "c"));
    c.observe(2, "a", ev("memberUp", "suspect", 1, "d"));
    expect(c.violations.map((v) => `${v.member}:${v.rule}`)).toEqual([
      "b:illegalTransition",
      "c:illegalTransition",
      "d:stateMismatch",
    ]);
  });

  it("keeps observers apart and forgets a restarted observer's view", () => {
    const c = new SafetyChecker();
    c.observe(0, "a", ev("memberUp", "alive", 7));
    c.observe(0, "x", ev("memberUp", "alive", 2));
    c.resetObserver("a");
    c.observe(1, "a", ev("memberUp", "alive", 1));
    expect(c.ok).toBe(true);
  });

  it("flags a node whose own incarnation goes down, and counts past the kept examples", () => {
    const c = new SafetyChecker({maxViolations: 1});
    c.observeSelf(0, "a", 3);
    c.observe(1, "a", {type: "refuted", incarnation: 2, accusedBy: "b"});
    c.observeSelf(2, "a", 1);
    expect(c.violationCount).toBe(2);
    expect(c.violations).toHaveLength(1);
    expect(c.violations[0]?.rule).toBe("selfIncarnationDecreased");
  });
});
