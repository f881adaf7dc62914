/*
 * config.userGossipSharePct: with membership updates queued (a join storm), memberlist's order
 * fills every packet with them and a user broadcast waits until the queue drains
 * (memberlist#299). With a share, the first packet already carries it.
 */
import {describe, expect, it} from "vitest";
import type {Effect} from "../../../src/core/index.ts";
import {findSent} from "../../helpers/core-expect.ts";
import {alive, createTestNodeWithEffects, packetFrom, runTimers} from "../../helpers/core-harness.ts";

/** The sends of a node that learned 120 members by gossip, then was asked to broadcast 100 bytes (more than a full packet has left). */
function stormThenBroadcast(userGossipSharePct: number): {sends: Effect[]; firstWithUser: number} {
  const {node, startEffects} = createTestNodeWithEffects({config: {userGossipSharePct}, members: ["a"]});
  const news = Array.from({length: 120}, (_, i) => alive(`m${i}`, 1));
  const learned = node.handle(1, packetFrom("a", ...news));
  const asked = node.handle(2, {type: "broadcast", payload: new Uint8Array(100).fill(7)});
  const all = runTimers(node, 2, [...startEffects, ...learned, ...asked], 12);
  const sends = all.filter((e) => e.type === "send" && e.messages.some((m) => m.type === "alive"));
  const firstWithUser = sends.findIndex((e) => e.type === "send" && e.messages.some((m) => m.type === "user"));
  return {sends, firstWithUser};
}

describe("user gossip share", () => {
  it("memberlist's order (0): packets full of membership updates carry no user message", () => {
    const {sends, firstWithUser} = stormThenBroadcast(0);
    expect(sends.length).toBeGreaterThan(3);
    expect(firstWithUser).toBe(-1);
  });

  it("with a share, the first packet carries the user message beside membership updates", () => {
    const {sends, firstWithUser} = stormThenBroadcast(30);
    expect(firstWithUser).toBe(0);
    const first = sends[0];
    expect(first?.type === "send" && first.messages.filter((m) => m.type === "alive").length).toBeGreaterThan(5);
    expect(findSent(sends, {type: "user", toAny: true}).length).toBeGreaterThan(0);
  });
});
