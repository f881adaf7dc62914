/*
 * Regression: a member that left is not resurrected by stale news after it was reaped.
 *
 * Found by the safety property (soak seeds 2350975446, 988291260, 3455589703): node n0 is paused
 * through n4's graceful leave; the others record n4 left and, gossipToTheDeadMs later, forget it;
 * then n0 resumes and gossips and push-pulls its stale alive(n4) — and the others insert n4 again
 * as a new member, alive, although its process is gone (memberlist issue #312 is the same). Fix
 * (src/core/node.ts, tombstones): a reaped member's name and incarnation are remembered; an alive
 * at or below it is refused and answered, at the member's address, with its death, so that a
 * real rejoin refutes to a higher incarnation.
 */
import {describe, expect, it} from "vitest";
import {expectTimer} from "../helpers/core-expect.ts";
import {alive, createTestNodeWithEffects, dead, packetFrom, timerInput} from "../helpers/core-harness.ts";
import {applySchedule, bootstrap, simulate, watchEvents} from "../helpers/property-cluster.ts";

describe("regression: resurrection of a reaped member (seed 988291260)", () => {
  it("a node paused through a leave does not bring the departed member back", () => {
    const sim = simulate({
      nodes: 8,
      profile: "local",
      seed: 4,
      lossRate: 0.071,
      latency: {minMs: 1, jitterMeanMs: 3},
      duplicateRate: 0.02,
      reorderRate: 0.001,
    });
    bootstrap(sim);
    const resurrections: string[] = [];
    watchEvents(sim, ({timeMs, observer, event}) => {
      if ((event.type === "memberUp" || event.type === "memberAlive") && event.member.name === "n4") {
        resurrections.push(`${timeMs} ms: ${observer} ${event.type} n4 alive(${event.member.incarnation})`);
      }
    });
    const end = applySchedule(
      sim,
      [
        {kind: "pause", at: 0, node: 0, duration: 388},
        {kind: "pause", at: 0, node: 3, duration: 70},
        {kind: "leave", at: 222, node: 4, rejoinAfter: null},
      ],
      600,
    );
    sim.runForMs(end - sim.nowMs + 60_000);
    expect(sim.isUp("n4")).toBe(false);
    expect(resurrections).toEqual([]);
  });

  it("refuses an alive at the incarnation of a reaped member and tells its address it left", () => {
    const {node, startEffects} = createTestNodeWithEffects({members: ["b", "c"], config: {gossipToTheDeadMs: 1_000}});
    node.handle(0, packetFrom("b", dead("c", 1, "c")));
    expect(node.member("c")?.state).toBe("left");
    // Run the node's own probe loop (answering its pings) until a round wrap reaps c.
    let probe = expectTimer(startEffects, "probe");
    for (let t = 1_000; t <= 20_000 && node.member("c") !== undefined; t += 1_000) {
      const fx = node.handle(t, timerInput(probe));
      probe = expectTimer(fx, "probe");
      for (const e of fx) {
        if (e.type !== "send") continue;
        for (const m of e.messages)
          if (m.type === "ping")
            node.handle(t + 1, packetFrom("b", {type: "ack", seqNo: m.seqNo, payload: new Uint8Array(0)}));
      }
    }
    expect(node.member("c")).toBeUndefined();
    const fx = node.handle(30_000, packetFrom("b", alive("c", 1)));
    expect(node.member("c"), "stale alive refused").toBeUndefined();
    const told = fx.flatMap((e) => (e.type === "send" ? e.messages : []));
    expect(told).toContainEqual({type: "dead", incarnation: 1, node: "c", from: "c"});
    // A real rejoin refutes above it and is accepted.
    node.handle(30_100, packetFrom("c", alive("c", 2)));
    expect(node.member("c")).toMatchObject({state: "alive", incarnation: 2});
  });
});
