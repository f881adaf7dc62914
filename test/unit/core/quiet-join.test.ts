/*
 * config.quietJoin (the swift profile's quiet join): a joiner merges its seed's view without
 * re-gossiping it, then catches up with push-pulls to random members after 2, 4, 8, 16 probe
 * intervals (each plus up to as much again) for as long as each brings a member it did not know.
 * A push-pull that heals (reconnect) or runs periodically is merged and re-gossiped as memberlist
 * does.
 */
import {describe, expect, it} from "vitest";
import type {Effect, PushNodeState, SwimNode} from "../../../src/core/index.ts";
import {expectNotified, findSent, findStreams, findTimers} from "../../helpers/core-expect.ts";
import {addrOf, createTestNodeWithEffects, pushState, runTimers, timerInput} from "../../helpers/core-harness.ts";

const VIEW = ["a", "b", "c", "d"];

/** Joins through "s" and answers the join with `states`; returns the answer's effects. */
function joinAnswered(node: SwimNode, states: PushNodeState[]): Effect[] {
  const [stream] = findStreams(node.handle(0, {type: "join", seeds: [addrOf("s")]}), "pushPull", "s");
  expect(stream?.message.type === "pushPull" && stream.message.join).toBe(true);
  return node.handle(10, {
    type: "streamResponse",
    id: stream!.id,
    message: {type: "pushPull", join: true, states, userState: new Uint8Array()},
  });
}

/** Answers the push-pull `stream` of `fx` with `states`. */
function answer(node: SwimNode, nowMs: number, fx: readonly Effect[], states: PushNodeState[]): Effect[] {
  const [stream] = findStreams(fx, "pushPull");
  expect(stream, "a push-pull was opened").toBeDefined();
  return node.handle(nowMs, {
    type: "streamResponse",
    id: stream!.id,
    message: {type: "pushPull", join: false, states, userState: new Uint8Array()},
  });
}

const seedView = () => [pushState("s", "alive", 1), ...VIEW.map((m) => pushState(m, "alive", 1))];

describe("quiet join", () => {
  it("takes the seed's view without re-gossiping it; lan re-gossips it", () => {
    for (const quietJoin of [true, false]) {
      const {node, startEffects} = createTestNodeWithEffects({config: {quietJoin}, members: []});
      const merged = joinAnswered(node, seedView());
      for (const m of VIEW) expectNotified(merged, "memberUp", m);
      const all = runTimers(node, 10, [...startEffects, ...merged], 40);
      const others = findSent(all, {type: "alive", toAny: true, where: (m) => m.node !== "self"});
      if (quietJoin) expect(others, "quiet").toEqual([]);
      else expect(others.length, "lan").toBeGreaterThan(0);
    }
  });

  it("catches up after 2, 4, 8 probe intervals while each push-pull brings news, then stops", () => {
    const {node} = createTestNodeWithEffects({config: {quietJoin: true}, members: []});
    let fx = joinAnswered(node, seedView());
    let now = 10;
    const waits: number[] = [];
    const view = seedView();
    for (let round = 0; round < 3; round++) {
      const [timer] = findTimers(fx, "catchUp");
      expect(timer, `catch-up ${round + 1}`).toBeDefined();
      waits.push(timer!.delayMs);
      now += timer!.delayMs;
      const opened = node.handle(now, timerInput(timer!.timer));
      const [stream] = findStreams(opened, "pushPull");
      expect(stream?.message.type === "pushPull" && stream.message.join).toBe(false);
      view.push(pushState(`late${round}`, "alive", 1));
      fx = answer(node, now + 5, opened, view);
      // A catch-up merge is quiet too: the news is the cluster's already.
      expect(
        findSent(
          runTimers(
            node,
            now + 5,
            fx.filter((e) => e.type !== "setTimer" || e.timer.type !== "catchUp"),
            30,
          ),
          {type: "alive", toAny: true, where: (m) => m.node.startsWith("late")},
        ),
      ).toEqual([]);
      expect(node.member(`late${round}`)?.state).toBe("alive");
    }
    expect(waits[0]).toBeGreaterThanOrEqual(2_000);
    expect(waits[0]).toBeLessThan(4_000);
    expect(waits[1]).toBeGreaterThanOrEqual(4_000);
    expect(waits[1]).toBeLessThan(8_000);
    expect(waits[2]).toBeGreaterThanOrEqual(8_000);
    expect(waits[2]).toBeLessThan(16_000);
    // A catch-up that brings nothing new ends the series.
    const [timer] = findTimers(fx, "catchUp");
    now += timer!.delayMs;
    const last = answer(node, now + 5, node.handle(now, timerInput(timer!.timer)), view);
    expect(findTimers(last, "catchUp")).toEqual([]);
  });

  it("stops after four catch-ups even if each brings news", () => {
    const {node} = createTestNodeWithEffects({config: {quietJoin: true}, members: []});
    let fx = joinAnswered(node, seedView());
    let now = 10;
    const view = seedView();
    let catchUps = 0;
    for (;;) {
      const [timer] = findTimers(fx, "catchUp");
      if (timer === undefined) break;
      catchUps++;
      now += timer.delayMs;
      view.push(pushState(`late${catchUps}`, "alive", 1));
      fx = answer(node, now + 5, node.handle(now, timerInput(timer.timer)), view);
    }
    expect(catchUps).toBe(4);
  });

  it("re-gossips what a periodic push-pull brings", () => {
    const {node, startEffects} = createTestNodeWithEffects({config: {quietJoin: true}, members: ["a"]});
    const [pushPull] = findTimers(startEffects, "pushPull");
    const opened = node.handle(pushPull!.delayMs, timerInput(pushPull!.timer));
    const merged = answer(node, pushPull!.delayMs + 5, opened, [
      pushState("a", "alive", 1),
      pushState("n", "alive", 2),
    ]);
    const all = runTimers(node, pushPull!.delayMs + 5, [...startEffects, ...merged], 40);
    expect(findSent(all, {type: "alive", toAny: true, where: (m) => m.node === "n"}).length).toBeGreaterThan(0);
  });
});
