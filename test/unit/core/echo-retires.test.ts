/*
 * config.echoRetires: gossip repeating an alive or dead we have queued counts as one of its
 * transmits, so an update that others already spread leaves our queue sooner; any other
 * update (a higher incarnation, another kind, another address) is not an echo.
 */
import {describe, expect, it} from "vitest";
import type {Effect, SwimNode} from "../../../src/core/index.ts";
import {addrOf, alive, createTestNodeWithEffects, dead, packetFrom, runTimers} from "../../helpers/core-harness.ts";

/** Sends carrying `node`'s alive (or dead) at `incarnation` among `effects`. */
function carrying(effects: readonly Effect[], type: "alive" | "dead", node: string, incarnation: number): number {
  return effects.filter(
    (e) =>
      e.type === "send" && e.messages.some((m) => m.type === type && m.node === node && m.incarnation === incarnation),
  ).length;
}

/** Thirteen members besides us: each update is transmitted retransmitLimit(4, 14) = 8 times. */
const MEMBERS = ["a", "b", "c", ...Array.from({length: 10}, (_, i) => `x${i}`)];

/** A node knowing MEMBERS that learned `news` from a, then heard `echoes` packets from b; its sends over 40 timer steps. */
function learnThenHear(
  echoRetires: boolean,
  news: Parameters<typeof packetFrom>[1],
  echoes: number,
): {node: SwimNode; sends: Effect[]} {
  const {node, startEffects} = createTestNodeWithEffects({config: {echoRetires}, members: MEMBERS});
  const learned = node.handle(1, packetFrom("a", news));
  const heard: Effect[] = [];
  for (let k = 0; k < echoes; k++) heard.push(...node.handle(2 + k, packetFrom("b", news)));
  return {node, sends: runTimers(node, 2 + echoes, [...startEffects, ...learned, ...heard], 40)};
}

describe("echoRetires", () => {
  it("an alive heard again is sent fewer times; without the option, as often as memberlist", () => {
    const news = alive("m", 3);
    const plain = learnThenHear(false, news, 3);
    const echoed = learnThenHear(true, news, 3);
    const full = carrying(plain.sends, "alive", "m", 3);
    expect(full).toBe(8);
    expect(carrying(echoed.sends, "alive", "m", 3)).toBe(full - 3);
  });

  it("enough echoes retire the update before we send it at all", () => {
    const {sends} = learnThenHear(true, alive("m", 3), 40);
    expect(carrying(sends, "alive", "m", 3)).toBe(0);
  });

  it("a dead heard again counts too", () => {
    const news = dead("b", 1, "c");
    const plain = learnThenHear(false, news, 3);
    const echoed = learnThenHear(true, news, 3);
    const full = carrying(plain.sends, "dead", "b", 1);
    expect(full).toBe(8);
    expect(carrying(echoed.sends, "dead", "b", 1)).toBe(full - 3);
  });

  it("an older incarnation or another address is not an echo of the queued update", () => {
    const {node, startEffects} = createTestNodeWithEffects({config: {echoRetires: true}, members: MEMBERS});
    const learned = node.handle(1, packetFrom("a", alive("m", 3)));
    const heard = [
      ...node.handle(2, packetFrom("b", alive("m", 2))),
      ...node.handle(3, packetFrom("b", {...alive("m", 3), addr: {...addrOf("m"), port: addrOf("m").port + 1}})),
    ];
    const sends = runTimers(node, 3, [...startEffects, ...learned, ...heard], 40);
    const plainNode = createTestNodeWithEffects({config: {echoRetires: false}, members: MEMBERS});
    const plainLearned = plainNode.node.handle(1, packetFrom("a", alive("m", 3)));
    const plainSends = runTimers(plainNode.node, 3, [...plainNode.startEffects, ...plainLearned], 40);
    expect(carrying(plainSends, "alive", "m", 3)).toBe(8);
    expect(carrying(sends, "alive", "m", 3)).toBe(8);
  });
});
