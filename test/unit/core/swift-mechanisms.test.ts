/*
 * The local mechanisms of the swift profile, each on its own over lan's timing: a member that
 * hears someone else's suspicion probes the suspect at once (beside the round-robin probe, never
 * delaying it), and a verdict from a timer that fired late because we were stalled waits for what
 * queued up meanwhile; a member that refuted lately waits longer and gets no suspect probe; a
 * probe whose TCP ping is refused (the process is gone) fails at once. With
 * the flags off (lan), nothing of this happens.
 */
import {describe, expect, it} from "vitest";
import {lanConfig, swiftConfig} from "../../../src/core/config.ts";
import {remainingSuspicionMs, suspicionTimeoutMs} from "../../../src/core/suspicion.ts";
import {
  expectNotified,
  expectTimer,
  findNotified,
  findSent,
  findStreams,
  findTimers,
  rejectNotified,
} from "../../helpers/core-expect.ts";
import {alive, createTestNodeWithEffects, dead, packetFrom, suspect, timerInput} from "../../helpers/core-harness.ts";

const MEMBERS = ["m0", "m1", "m2", "m3", "m4", "m5"];

describe("suspect probes", () => {
  it("probe a member at once when another member's suspicion of it arrives, with the suspicion piggybacked", () => {
    const {node} = createTestNodeWithEffects({members: MEMBERS, config: {suspectProbes: true}});
    const fx = node.handle(100, packetFrom("m0", suspect("m3", 1, "m0")));
    const pings = findSent(fx, {to: "m3", type: "ping"});
    expect(pings).toHaveLength(1);
    // Our own accusation rides with the ping, as when probing any suspect (memberlist probeNode).
    expect(findSent(fx, {to: "m3", type: "suspect"}).some((s) => s.message.from === "self")).toBe(true);
    expectTimer(fx, "probeTimeout", 500);
    expect(node.stats.suspectProbes).toBe(1);
  });

  it("do nothing with lan's timing (the flag off)", () => {
    const {node} = createTestNodeWithEffects({members: MEMBERS});
    const fx = node.handle(100, packetFrom("m0", suspect("m3", 1, "m0")));
    expect(findSent(fx, {to: "m3", type: "ping"})).toEqual([]);
    expect(node.stats.suspectProbes).toBe(0);
  });

  it("run beside the round-robin probe, and the failed one confirms the suspicion", () => {
    const {node, startEffects} = createTestNodeWithEffects({members: MEMBERS, config: {suspectProbes: true}});
    const tick = node.handle(1000, timerInput(expectTimer(startEffects, "probe")));
    const [regular] = findSent(tick, {toAny: true, type: "ping"});
    const target = MEMBERS.find((m) => m !== regular?.message.node) as string;
    // A suspicion of another member arrives while the round-robin probe is in flight.
    const heard = node.handle(1100, packetFrom(MEMBERS.find((m) => m !== target) as string, suspect(target, 1, "m9")));
    const [extra] = findSent(heard, {to: target, type: "ping"});
    expect(extra).toBeDefined();
    expect(extra?.message.seqNo).not.toBe(regular?.message.seqNo);
    expectTimer(heard, "suspicionTimeout", 24_000);
    // The round-robin probe ends; the next tick is not held up by the suspect probe still in flight.
    node.handle(
      1200,
      packetFrom(regular?.message.node as string, {
        type: "ack",
        seqNo: regular?.message.seqNo as number,
        payload: new Uint8Array(0),
      }),
    );
    const next = node.handle(2000, timerInput(expectTimer(tick, "probe")));
    expect(findSent(next, {toAny: true, type: "ping"}).length).toBeGreaterThanOrEqual(1);
    // Our suspect probe fails: its deadline makes us an independent accuser, shortening the timer.
    const timeout = node.handle(1600, timerInput(expectTimer(heard, "probeTimeout", 500)));
    const failed = node.handle(2100, timerInput(expectTimer(timeout, "probeDeadline")));
    const shorter = findTimers(failed, "suspicionTimeout");
    expect(shorter).toHaveLength(1);
    expect(shorter[0]?.delayMs).toBeLessThan(24_000 - 1000);
  });

  it("keep one waiting suspect probe while one is in flight, and drop it once the member is alive again", () => {
    const {node} = createTestNodeWithEffects({members: MEMBERS, config: {suspectProbes: true}});
    const first = node.handle(100, packetFrom("m0", suspect("m3", 1, "m0")));
    const second = node.handle(150, packetFrom("m0", suspect("m4", 1, "m0")));
    expect(findSent(second, {to: "m4", type: "ping"})).toEqual([]);
    // m4 refutes before our first suspect probe ends: the waiting probe of m4 is not run.
    node.handle(200, packetFrom("m4", alive("m4", 2)));
    const [ping] = findSent(first, {to: "m3", type: "ping"});
    const acked = node.handle(
      210,
      packetFrom("m3", {type: "ack", seqNo: ping?.message.seqNo as number, payload: new Uint8Array(0)}),
    );
    expect(findSent(acked, {to: "m4", type: "ping"})).toEqual([]);
    expect(node.stats.suspectProbes).toBe(1);
  });
});

describe("late-timer grace", () => {
  const config = {lateTimerGraceMs: 100};

  it("defers a suspicion timeout that fired late, so the refutation queued behind it is read first", () => {
    const {node} = createTestNodeWithEffects({members: MEMBERS, config});
    const fx = node.handle(0, packetFrom("m0", suspect("m3", 1, "m0")));
    const timer = expectTimer(fx, "suspicionTimeout", 24_000);
    // We were stalled: the timer arrives 2 s late.
    const late = node.handle(26_000, timerInput(timer));
    rejectNotified(late, "memberDown");
    const again = expectTimer(late, "suspicionTimeout", 100);
    node.handle(26_001, packetFrom("m3", alive("m3", 2)));
    const after = node.handle(26_100, timerInput(again));
    rejectNotified(after, "memberDown");
    expect(node.member("m3")?.state).toBe("alive");
  });

  it("still declares the member dead after the grace when no refutation came", () => {
    const {node} = createTestNodeWithEffects({members: MEMBERS, config});
    const fx = node.handle(0, packetFrom("m0", suspect("m3", 1, "m0")));
    const late = node.handle(26_000, timerInput(expectTimer(fx, "suspicionTimeout", 24_000)));
    const down = node.handle(26_100, timerInput(expectTimer(late, "suspicionTimeout", 100)));
    expectNotified(down, "memberDown", "m3");
    expect(node.stats.lateTimers).toBe(1);
  });

  it("decides at once on a timer that is on time, and always at once with lan's 0", () => {
    for (const grace of [100, 0]) {
      const {node} = createTestNodeWithEffects({members: MEMBERS, config: {lateTimerGraceMs: grace}});
      const fx = node.handle(0, packetFrom("m0", suspect("m3", 1, "m0")));
      // The probe ticker keeps inputs coming every second (a stale gossip timer stands in for it).
      for (let t = 1000; t < 24_000; t += 1000) node.handle(t, {type: "timer", timer: {type: "gossip", token: -1}});
      const at = grace === 0 ? 26_000 : 24_050;
      const down = node.handle(at, timerInput(expectTimer(fx, "suspicionTimeout", 24_000)));
      expectNotified(down, "memberDown", "m3");
    }
  });

  it("after an input gap longer than a probe interval, a confirmation does not expire the suspicion at once", () => {
    const {node} = createTestNodeWithEffects({members: MEMBERS, config});
    node.handle(0, packetFrom("m0", suspect("m3", 1, "m0")));
    node.handle(0, packetFrom("m1", suspect("m3", 1, "m1")));
    // Two confirmations bring the timeout to min (4 s); then nothing for 5 s: we were stalled.
    const confirm = node.handle(5_000, packetFrom("m2", suspect("m3", 1, "m2")));
    expect(findNotified(confirm, "memberDown")).toEqual([]);
    const wait = expectTimer(confirm, "suspicionTimeout", 100);
    node.handle(5_010, packetFrom("m3", alive("m3", 2)));
    rejectNotified(node.handle(5_100, timerInput(wait)), "memberDown");
  });

  it("defers a probe deadline that fired late, so a queued ack still counts", () => {
    const {node, startEffects} = createTestNodeWithEffects({members: MEMBERS, config});
    const tick = node.handle(1000, timerInput(expectTimer(startEffects, "probe")));
    const [ping] = findSent(tick, {toAny: true, type: "ping"});
    const timeout = node.handle(1500, timerInput(expectTimer(tick, "probeTimeout", 500)));
    const late = node.handle(3_000, timerInput(expectTimer(timeout, "probeDeadline")));
    expect(node.stats.probeFailures).toBe(0);
    const wait = expectTimer(late, "probeDeadline", 100);
    node.handle(
      3_001,
      packetFrom(ping?.message.node as string, {
        type: "ack",
        seqNo: ping?.message.seqNo as number,
        payload: new Uint8Array(0),
      }),
    );
    node.handle(3_100, timerInput(wait));
    expect(node.stats.probeFailures).toBe(0);
    expect(node.member(ping?.message.node as string)?.state).toBe("alive");
  });
});

describe("the swift profile", () => {
  it("halves lan's minimum suspicion, keeps its maximum, and needs three confirmations to reach the minimum", () => {
    const swift = swiftConfig();
    expect(swift.suspicionMult * swift.suspicionMaxTimeoutMult).toBe(4 * 6);
    expect([swift.suspicionMult, swift.suspicionConfirmations]).toEqual([2, 3]);
    expect([swift.suspectProbes, swift.liveConfirmations, swift.lateTimerGraceMs, swift.refutedSuspicionMult]).toEqual([
      true,
      true,
      100,
      4,
    ]);
    // Every timing another member can observe stays lan's.
    const lan = lanConfig();
    for (const field of [
      "probeIntervalMs",
      "probeTimeoutMs",
      "gossipIntervalMs",
      "retransmitMult",
      "maxPacketBytes",
    ] as const)
      expect(swift[field], field).toBe(lan[field]);
  });
});

describe("refused probes", () => {
  /** A round-robin probe that found no direct ack: the TCP fallback ping is open. */
  const probeToFallback = (config: {refusedProbeFails?: boolean}) => {
    const {node, startEffects} = createTestNodeWithEffects({members: MEMBERS, config});
    const tick = node.handle(1000, timerInput(expectTimer(startEffects, "probe")));
    const [ping] = findSent(tick, {toAny: true, type: "ping"});
    const target = ping?.message.node as string;
    const timeout = node.handle(1500, timerInput(expectTimer(tick, "probeTimeout", 500)));
    const [stream] = findStreams(timeout, "ping", target);
    expect(stream).toBeDefined();
    return {node, target, timeout, streamId: stream?.id as number};
  };

  it("fail at once when the target's host refuses the TCP ping, with no local-health penalty", () => {
    const {node, target, streamId} = probeToFallback({refusedProbeFails: true});
    const fx = node.handle(1504, {type: "streamFailed", id: streamId, reason: "connection refused", refused: true});
    expectNotified(fx, "memberSuspect", target);
    expect(node.stats.probeFailures).toBe(1);
    expect(node.awarenessScore).toBe(0);
  });

  it("wait for the deadline when the TCP ping fails otherwise (a timeout, a reset), and with lan's timing", () => {
    for (const [config, refused] of [
      [{refusedProbeFails: true}, false],
      [{refusedProbeFails: false}, true],
    ] as const) {
      const {node, target, timeout, streamId} = probeToFallback(config);
      const fx = node.handle(1504, {type: "streamFailed", id: streamId, reason: "timeout", refused});
      rejectNotified(fx, "memberSuspect", target);
      const deadline = node.handle(2000, timerInput(expectTimer(timeout, "probeDeadline")));
      expectNotified(deadline, "memberSuspect", target);
      // No nack came back from the helpers: our own links may be at fault (Lifeguard).
      expect(node.awarenessScore).toBeGreaterThan(0);
    }
  });
});

describe("refuted-suspicion memory", () => {
  const suspicionDelay = (fx: Parameters<typeof findTimers>[0]): number => {
    const timers = findTimers(fx, "suspicionTimeout");
    expect(timers).toHaveLength(1);
    return timers[0]?.delayMs as number;
  };
  const config = {suspicionMult: 2, refutedSuspicionMult: 4, suspicionConfirmations: 0, suspicionMaxTimeoutMult: 6};

  it("gives a member that just refuted a suspicion the longer minimum on its next one", () => {
    const {node} = createTestNodeWithEffects({members: MEMBERS, config});
    const first = suspicionDelay(node.handle(100, packetFrom("m0", suspect("m3", 1, "m0"))));
    node.handle(200, packetFrom("m3", alive("m3", 2)));
    const again = suspicionDelay(node.handle(300, packetFrom("m0", suspect("m3", 2, "m0"))));
    expect(again).toBe(first * 2);
    // A member that never refuted keeps the short minimum.
    const other = suspicionDelay(node.handle(400, packetFrom("m0", suspect("m4", 1, "m0"))));
    expect(other).toBe(first);
  });

  it("forgets the refutation after the maximum suspicion timeout", () => {
    const {node} = createTestNodeWithEffects({members: MEMBERS, config});
    const first = suspicionDelay(node.handle(100, packetFrom("m0", suspect("m3", 1, "m0"))));
    node.handle(200, packetFrom("m3", alive("m3", 2)));
    const later = 200 + first * 6 + 1;
    const again = suspicionDelay(node.handle(later, packetFrom("m0", suspect("m3", 2, "m0"))));
    expect(again).toBe(first);
  });

  it("tells a member that refuted lately of its new suspicion, but spends no suspect probe on it", () => {
    const {node} = createTestNodeWithEffects({members: MEMBERS, config: {...config, suspectProbes: true}});
    const probe = findSent(node.handle(100, packetFrom("m0", suspect("m3", 1, "m0"))), {to: "m3", type: "ping"});
    expect(probe).toHaveLength(1);
    const seqNo = (probe[0]?.message as {seqNo?: number} | undefined)?.seqNo ?? -1;
    node.handle(150, packetFrom("m3", alive("m3", 2), {type: "ack", seqNo, payload: new Uint8Array(0)}));
    const probesBefore = node.stats.suspectProbes;
    const fx = node.handle(200, packetFrom("m0", suspect("m3", 2, "m0")));
    expect(findSent(fx, {to: "m3", type: "ping"})).toEqual([]);
    expect(findSent(fx, {to: "m3", type: "suspect"}).some((s) => s.message.incarnation === 2)).toBe(true);
    expect(node.stats.suspectProbes).toBe(probesBefore);
    // The slot is free for a fresh suspicion, probed at once.
    const fresh = node.handle(250, packetFrom("m0", suspect("m4", 1, "m0")));
    expect(findSent(fresh, {to: "m4", type: "ping"})).toHaveLength(1);
  });

  it("is off with lan's 0", () => {
    const {node} = createTestNodeWithEffects({members: MEMBERS, config: {...config, refutedSuspicionMult: 0}});
    const first = suspicionDelay(node.handle(100, packetFrom("m0", suspect("m3", 1, "m0"))));
    node.handle(200, packetFrom("m3", alive("m3", 2)));
    const again = suspicionDelay(node.handle(300, packetFrom("m0", suspect("m3", 2, "m0"))));
    expect(again).toBe(first);
  });
});

describe("live confirmations", () => {
  // Six others, two of them dead: besides the accuser m0, only m1, m2 and we can confirm m3.
  const confirmTwice = (liveConfirmations: boolean) => {
    const {node} = createTestNodeWithEffects({
      members: MEMBERS,
      config: {suspicionMult: 2, suspicionMaxTimeoutMult: 12, suspicionConfirmations: 4, liveConfirmations},
    });
    node.handle(10, packetFrom("m0", dead("m4", 1, "m0")));
    node.handle(20, packetFrom("m0", dead("m5", 1, "m0")));
    node.handle(100, packetFrom("m0", suspect("m3", 1, "m0")));
    node.handle(110, packetFrom("m1", suspect("m3", 1, "m1")));
    const timers = findTimers(node.handle(120, packetFrom("m2", suspect("m3", 1, "m2"))), "suspicionTimeout");
    expect(timers).toHaveLength(1);
    return timers[0]?.delayMs as number;
  };
  const minMs = suspicionTimeoutMs(2, 7, 1000);
  const maxMs = 12 * minMs;

  it("expects no more confirmations than the live members can send", () => {
    expect(confirmTwice(true)).toBeCloseTo(remainingSuspicionMs(2, 3, 20, minMs, maxMs), 6);
  });

  it("counts the dead members too when off, as memberlist does, and so waits longer", () => {
    expect(confirmTwice(false)).toBeCloseTo(remainingSuspicionMs(2, 4, 20, minMs, maxMs), 6);
    expect(confirmTwice(false)).toBeGreaterThan(confirmTwice(true));
  });
});
