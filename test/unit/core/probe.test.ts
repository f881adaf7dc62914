import {describe, expect, it} from "vitest";
import {DEFAULT_VSN, type Effect, type PingMessage, type SwimNode, type Timer} from "../../../src/core/index.ts";
import {ProbeRing} from "../../../src/core/probe.ts";
import {createRandom} from "../../../src/core/random.ts";
import {
  droppedReasons,
  expectSent,
  expectTimer,
  findSent,
  findStreams,
  findTimers,
  rejectSent,
} from "../../helpers/core-expect.ts";
import {addrOf, alive, createTestNodeWithEffects, packetFrom, suspect, timerInput} from "../../helpers/core-harness.ts";

interface Probing {
  node: SwimNode;
  fx: Effect[];
  ping: PingMessage;
  target: string;
  now: number;
  /** Fires the probe timeout (once, at now + 500) and returns its effects. */
  timeout(): Effect[];
  /** The deadline timer, armed when the timeout found no ack. */
  deadline(): Timer;
}

/** Starts a node with `members`, fires its first probe tick, and returns the ping it sent. */
function firstProbe(members: string[], config = {}, vsn = DEFAULT_VSN): Probing {
  const {node, startEffects} = createTestNodeWithEffects({members: [], config});
  for (const m of members) node.handle(0, packetFrom(m, alive(m, 1, {vsn})));
  const tick = expectTimer(startEffects, "probe");
  const now = 1000;
  const fx = node.handle(now, timerInput(tick));
  const sent = findSent(fx, {toAny: true, type: "ping"});
  expect(sent).toHaveLength(1);
  const ping = sent[0]!.message;
  let timeoutFx: Effect[] | undefined;
  const timeout = (): Effect[] => {
    timeoutFx ??= node.handle(now + 500, timerInput(expectTimer(fx, "probeTimeout")));
    return timeoutFx;
  };
  return {node, fx, ping, target: ping.node, now, timeout, deadline: () => expectTimer(timeout(), "probeDeadline")};
}

describe("direct probe", () => {
  it("pings one member with our source address and arms the timeout and the deadline", () => {
    const {fx, ping, target} = firstProbe(["a", "b", "c"]);
    expect(ping.sourceNode).toBe("self");
    expect(ping.source).toEqual(addrOf("self"));
    expectSent(fx, {to: target, type: "ping"});
    expectTimer(fx, "probeTimeout", 500);
    // The deadline is armed only if the timeout finds no ack (fewer stale timers).
    expect(findTimers(fx, "probeDeadline")).toEqual([]);
    expectTimer(fx, "probe", 1000);
  });

  it("ends the probe on an ack with the same seqNo and lowers the awareness score", () => {
    const p = firstProbe(["a", "b", "c"]);
    const timeout = expectTimer(p.fx, "probeTimeout");
    const fx = p.node.handle(
      p.now + 5,
      packetFrom(p.target, {type: "ack", seqNo: p.ping.seqNo, payload: new Uint8Array()}),
    );
    expect(droppedReasons(fx)).toEqual([]);
    expect(p.node.stats.acksReceived).toBe(1);
    expect(p.node.handle(p.now + 500, timerInput(timeout))).toEqual([]);
  });

  it("matches acks by seqNo only and drops unknown ones", () => {
    const p = firstProbe(["a", "b", "c"]);
    const fx = p.node.handle(
      p.now,
      packetFrom("zz", {type: "ack", seqNo: p.ping.seqNo + 100, payload: new Uint8Array()}),
    );
    expect(droppedReasons(fx)).toEqual(["unknownSeqNo"]);
    p.node.handle(p.now, packetFrom("zz", {type: "ack", seqNo: p.ping.seqNo, payload: new Uint8Array()}));
    expect(p.node.stats.acksReceived).toBe(1);
  });

  it("visits every member once per round, in a shuffled order", () => {
    const {node, startEffects} = createTestNodeWithEffects({members: ["a", "b", "c", "d", "e"]});
    let tick = expectTimer(startEffects, "probe");
    const targets: string[] = [];
    for (let i = 0; i < 10; i++) {
      const now = 1000 * (i + 1);
      const fx = node.handle(now, timerInput(tick));
      const ping = findSent(fx, {toAny: true, type: "ping"})[0]!.message;
      targets.push(ping.node);
      node.handle(now + 1, packetFrom(ping.node, {type: "ack", seqNo: ping.seqNo, payload: new Uint8Array()}));
      tick = expectTimer(fx, "probe");
    }
    expect([...targets.slice(0, 5)].sort()).toEqual(["a", "b", "c", "d", "e"]);
    expect([...targets.slice(5)].sort()).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("sends a suspect target a compound of ping and suspect so it can refute", () => {
    const {node, startEffects} = createTestNodeWithEffects({members: ["a"]});
    node.handle(0, packetFrom("b", suspect("a", 1, "b")));
    const fx = node.handle(1000, timerInput(expectTimer(startEffects, "probe")));
    const send = fx.find((e) => e.type === "send" && e.messages[0]?.type === "ping");
    expect(send?.type === "send" && send.messages.slice(0, 2).map((m) => m.type)).toEqual(["ping", "suspect"]);
  });

  it("skips dead and left members", () => {
    const {node, startEffects} = createTestNodeWithEffects({members: ["a", "b", "c"]});
    node.handle(0, packetFrom("a", {type: "dead", incarnation: 1, node: "a", from: "a"}));
    node.handle(0, packetFrom("c", {type: "dead", incarnation: 1, node: "b", from: "c"}));
    let tick = expectTimer(startEffects, "probe");
    for (let i = 0; i < 4; i++) {
      const fx = node.handle(1000 * (i + 1), timerInput(tick));
      const ping = findSent(fx, {toAny: true, type: "ping"})[0]!.message;
      expect(ping.node).toBe("c");
      node.handle(1000 * (i + 1), packetFrom("c", {type: "ack", seqNo: ping.seqNo, payload: new Uint8Array()}));
      tick = expectTimer(fx, "probe");
    }
  });

  it("does not start a second probe while one is in flight, and starts it when the first ends", () => {
    const p = firstProbe(["a", "b", "c"]);
    const tick = expectTimer(p.fx, "probe");
    const during = p.node.handle(p.now + 1000 - 1, timerInput(tick));
    rejectSent(during, {toAny: true, type: "ping"});
    const after = p.node.handle(p.now + 1000, timerInput(p.deadline()));
    expect(findSent(after, {toAny: true, type: "ping"})).toHaveLength(1);
  });
});

describe("indirect probe", () => {
  it("asks indirectChecks alive members with nack requested from pMax ≥ 4 peers, and pings over TCP", () => {
    const p = firstProbe(["a", "b", "c", "d", "e"]);
    const fx = p.timeout();
    const reqs = findSent(fx, {toAny: true, type: "indirectPing"});
    expect(reqs).toHaveLength(3);
    for (const r of reqs) {
      expect(r.message.node).toBe(p.target);
      expect(r.message.target).toEqual(addrOf(p.target));
      expect(r.message.seqNo).toBe(p.ping.seqNo);
      expect(r.message.nack).toBe(true);
      expect(r.effect.to).not.toEqual(addrOf(p.target));
    }
    expect(new Set(reqs.map((r) => r.effect.to.host)).size).toBe(3);
    const tcp = findStreams(fx, "ping", p.target);
    expect(tcp).toHaveLength(1);
    expect(tcp[0]!.timeoutMs).toBe(500);
    expect(p.node.stats.indirectProbes).toBe(1);
  });

  it("succeeds on an indirect ack and does not suspect the target", () => {
    const p = firstProbe(["a", "b", "c", "d"]);
    p.timeout();
    const helper = ["a", "b", "c", "d"].find((n) => n !== p.target)!;
    p.node.handle(p.now + 700, packetFrom(helper, {type: "ack", seqNo: p.ping.seqNo, payload: new Uint8Array()}));
    const fx = p.node.handle(p.now + 1000, timerInput(p.deadline()));
    expect(findSent(fx, {toAny: true, type: "suspect"})).toEqual([]);
    expect(p.node.member(p.target)?.state).toBe("alive");
    expect(p.node.awarenessScore).toBe(0);
  });

  it("suspects the target at the deadline and raises awareness by the missing nacks", () => {
    const p = firstProbe(["a", "b", "c", "d", "e"]);
    const fx1 = p.timeout();
    const [first] = findSent(fx1, {toAny: true, type: "indirectPing"});
    p.node.handle(p.now + 900, {
      type: "packet",
      from: first!.effect.to,
      messages: [{type: "nack", seqNo: p.ping.seqNo}],
    });
    expect(p.node.stats.nacksReceived).toBe(1);
    p.node.handle(p.now + 1000, timerInput(p.deadline()));
    expect(p.node.member(p.target)?.state).toBe("suspect");
    expect(p.node.awarenessScore).toBe(2);
    expect(p.node.stats.probeFailures).toBe(1);
  });

  it("raises awareness by one when no helper would send nacks", () => {
    const p = firstProbe(["a", "b", "c"], {}, [1, 3, 2, 2, 5, 5]);
    const fx1 = p.timeout();
    for (const r of findSent(fx1, {toAny: true, type: "indirectPing"})) expect(r.message.nack).toBe(false);
    p.node.handle(p.now + 1000, timerInput(p.deadline()));
    expect(p.node.awarenessScore).toBe(1);
  });

  it("scales the next probe's deadline by the awareness score", () => {
    const p = firstProbe(["a", "b", "c"], {}, [1, 3, 2, 2, 5, 5]);
    p.timeout();
    const fx = p.node.handle(p.now + 1000, timerInput(p.deadline()));
    expect(p.node.awarenessScore).toBe(1);
    const tick = p.node.handle(p.now + 1000, timerInput(expectTimer(p.fx, "probe")));
    const next = [...fx, ...tick];
    const nextTimeout = p.node.handle(p.now + 1500, timerInput(expectTimer(next, "probeTimeout")));
    // Scaled interval 2000 from the probe's start at now + 1000, minus the 500 already waited.
    expect(expectTimer(nextTimeout, "probeDeadline").type).toBe("probeDeadline");
    expect(findTimers(nextTimeout, "probeDeadline")[0]?.delayMs).toBe(1500);
  });

  it("counts a TCP fallback ack as success", () => {
    const p = firstProbe(["a", "b", "c"]);
    const fx1 = p.timeout();
    const [tcp] = findStreams(fx1, "ping");
    expect(tcp!.message).toMatchObject({type: "ping", node: p.target, seqNo: p.ping.seqNo});
    p.node.handle(p.now + 600, {
      type: "streamResponse",
      id: tcp!.id,
      message: {type: "ack", seqNo: p.ping.seqNo, payload: new Uint8Array()},
    });
    p.node.handle(p.now + 1000, timerInput(p.deadline()));
    expect(p.node.member(p.target)?.state).toBe("alive");
  });

  it("skips the TCP fallback for peers with pMax < 3 and when disabled", () => {
    const old = firstProbe(["a", "b", "c"], {}, [1, 2, 2, 2, 5, 5]);
    expect(findStreams(old.timeout(), "ping")).toEqual([]);
    const off = firstProbe(["a", "b", "c"], {disableTcpPings: true});
    expect(findStreams(off.timeout(), "ping")).toEqual([]);
  });
});

describe("answering probes", () => {
  const {node} = createTestNodeWithEffects({members: ["a", "b"]});

  it("acks a ping to its source address", () => {
    const fx = node.handle(
      0,
      packetFrom("a", {type: "ping", seqNo: 42, node: "self", source: addrOf("b"), sourceNode: "b"}),
    );
    expect(expectSent(fx, {to: "b", type: "ack"}).seqNo).toBe(42);
  });

  it("acks a ping without source to the packet sender, and an empty node name too", () => {
    const fx = node.handle(0, packetFrom("a", {type: "ping", seqNo: 43, node: ""}));
    expect(expectSent(fx, {to: "a", type: "ack"}).seqNo).toBe(43);
  });

  it("ignores a ping meant for another node", () => {
    const fx = node.handle(0, packetFrom("a", {type: "ping", seqNo: 44, node: "other"}));
    expect(droppedReasons(fx)).toEqual(["wrongNode"]);
    rejectSent(fx, {toAny: true, type: "ack"});
  });

  it("answers a TCP ping with an ack, and closes one meant for another node", () => {
    const ok = node.handle(0, {
      type: "streamRequest",
      id: 5,
      from: addrOf("a"),
      message: {type: "ping", seqNo: 7, node: "self"},
    });
    expect(ok).toContainEqual({
      type: "streamReply",
      id: 5,
      message: {type: "ack", seqNo: 7, payload: new Uint8Array()},
    });
    const wrong = node.handle(0, {
      type: "streamRequest",
      id: 6,
      from: addrOf("a"),
      message: {type: "ping", seqNo: 7, node: "x"},
    });
    expect(wrong).toContainEqual({type: "streamClose", id: 6});
  });
});

describe("serving an indirect probe", () => {
  it("pings the target with a fresh seqNo and relays its ack with the requester's seqNo", () => {
    const {node} = createTestNodeWithEffects({members: ["a", "b"]});
    const fx = node.handle(
      0,
      packetFrom("a", {
        type: "indirectPing",
        seqNo: 77,
        target: addrOf("b"),
        node: "b",
        nack: true,
        source: addrOf("a"),
        sourceNode: "a",
      }),
    );
    const ping = expectSent(fx, {to: "b", type: "ping"});
    expect(ping.node).toBe("b");
    expect(ping.seqNo).not.toBe(77);
    const timeout = expectTimer(fx, "indirectTimeout", 500);
    const relay = node.handle(100, packetFrom("b", {type: "ack", seqNo: ping.seqNo, payload: new Uint8Array([1, 2])}));
    const ack = expectSent(relay, {to: "a", type: "ack"});
    expect(ack.seqNo).toBe(77);
    expect(ack.payload).toEqual(new Uint8Array());
    expect(node.handle(500, timerInput(timeout))).toEqual([]);
  });

  it("sends a nack at the timeout when asked and the target stayed silent", () => {
    const {node} = createTestNodeWithEffects({members: ["a", "b"]});
    const fx = node.handle(
      0,
      packetFrom("a", {type: "indirectPing", seqNo: 78, target: addrOf("b"), node: "b", nack: true}),
    );
    const nack = node.handle(500, timerInput(expectTimer(fx, "indirectTimeout")));
    expect(expectSent(nack, {to: "a", type: "nack"}).seqNo).toBe(78);
  });

  it("stays silent at the timeout when no nack was asked for", () => {
    const {node} = createTestNodeWithEffects({members: ["a", "b"]});
    const fx = node.handle(
      0,
      packetFrom("a", {type: "indirectPing", seqNo: 79, target: addrOf("b"), node: "b", nack: false}),
    );
    const out = node.handle(500, timerInput(expectTimer(fx, "indirectTimeout")));
    rejectSent(out, {toAny: true, type: "nack"});
  });

  it("drops an ack that arrives after the indirect timeout", () => {
    const {node} = createTestNodeWithEffects({members: ["a", "b"]});
    const fx = node.handle(
      0,
      packetFrom("a", {type: "indirectPing", seqNo: 80, target: addrOf("b"), node: "b", nack: true}),
    );
    const ping = expectSent(fx, {to: "b", type: "ping"});
    node.handle(500, timerInput(expectTimer(fx, "indirectTimeout")));
    expect(
      droppedReasons(node.handle(600, packetFrom("b", {type: "ack", seqNo: ping.seqNo, payload: new Uint8Array()}))),
    ).toEqual(["unknownSeqNo"]);
  });
});

describe("ProbeRing", () => {
  it("always finds the one eligible member, wherever the reshuffle puts it", () => {
    const members = [1, 2, 3];
    for (let seed = 0; seed < 50; seed++) {
      const ring = new ProbeRing();
      const random = createRandom(seed);
      for (let i = 0; i < 10; i++) {
        expect(
          ring.next(
            (e) => e === 3,
            () => members.slice(),
            random,
          ),
          `seed ${seed} call ${i}`,
        ).toBe(3);
      }
    }
  });

  it("calls onWrap once per round and returns undefined when nobody is eligible", () => {
    const ring = new ProbeRing();
    const random = createRandom(3);
    const members = [1, 2];
    let wraps = 0;
    const onWrap = () => {
      wraps++;
      return members.slice();
    };
    expect(ring.next(() => true, onWrap, random)).toBeDefined();
    expect(ring.next(() => true, onWrap, random)).toBeDefined();
    expect(wraps).toBe(1);
    ring.next(() => true, onWrap, random);
    expect(wraps).toBe(2);
    expect(ring.next(() => false, onWrap, random)).toBeUndefined();
  });
});

describe("probe failure and bounds", () => {
  it("gossips suspect{from: self} about a target that stayed silent", () => {
    const p = firstProbe(["a", "b", "c"]);
    p.timeout();
    p.node.handle(p.now + 1000, timerInput(p.deadline()));
    const ack = p.node.handle(p.now + 1001, packetFrom("a", {type: "ping", seqNo: 5, node: "self"}));
    const s = expectSent(ack, {to: "a", type: "suspect", where: (m) => m.node === p.target});
    expect(s).toMatchObject({from: "self", incarnation: 1});
  });

  it("refuses indirect ping requests beyond its bound and reports overload", () => {
    const {node} = createTestNodeWithEffects({members: ["a", "b"]});
    const reasons: string[] = [];
    for (let i = 0; i < 1_030; i++) {
      const fx = node.handle(
        0,
        packetFrom("a", {type: "indirectPing", seqNo: i, target: addrOf("b"), node: "b", nack: false}),
      );
      reasons.push(...droppedReasons(fx));
    }
    expect(reasons).toEqual(Array(6).fill("overloaded"));
  });
});
