/*
 * AgentCoordinates, the agent's half of serf's ping delegate: peers' coordinates from ack payloads
 * move ours and are cached (bounded, forgotten when reaped or left); bad payloads are dropped and
 * counted, never thrown; our ack payload carries our current coordinate with ping version 1.
 */
import {describe, expect, it} from "vitest";
import {AgentCoordinates} from "../../../src/agent/coordinates.ts";
import {decodeCoordinatePayload, encodeCoordinatePayload} from "../../../src/codec/index.ts";
import {type Coordinate, estimateRttMs, makeCoordinate, seededRandom} from "../../../src/coordinate/index.ts";

const MS = 1e-3;

/** A peer 8-D coordinate `x` seconds out on the first axis, with serf's starting error. */
function peerAt(x: number, error = 1.5): Coordinate {
  return makeCoordinate([x, 0, 0, 0, 0, 0, 0, 0], error, 0, 10e-6);
}

function create(options: {maxEntries?: number; members?: Set<string>} = {}): AgentCoordinates {
  const members = options.members;
  return new AgentCoordinates({
    self: "self",
    maxEntries: options.maxEntries ?? 16,
    random: seededRandom(7),
    isMember: (name) => members === undefined || members.has(name),
  });
}

describe("AgentCoordinates: updates from ack payloads", () => {
  it("moves our coordinate away from the origin, caches the peer's, and puts the new one in our ack payload", () => {
    const c = create();
    const origin = c.coordinate;
    const peer = peerAt(5 * MS);
    expect(c.handlePingComplete("a", 10, encodeCoordinatePayload(peer))).toBe("updated");
    expect(c.coordinate).not.toEqual(origin);
    expect(c.coordinateOf("a")).toEqual(peer);
    const payload = c.ackPayload();
    expect(payload[0]).toBe(1); // serf's PingVersion
    expect(decodeCoordinatePayload(payload)).toEqual(c.coordinate);
    expect(c.stats).toMatchObject({updates: 1, badPayloads: 0, rejected: 0, cached: 1});
  });

  it("converges toward the observed RTT with repeated samples", () => {
    const c = create();
    const peer = peerAt(0, 0.1); // a confident peer at the origin
    for (let i = 0; i < 200; i++) c.handlePingComplete("a", 20, encodeCoordinatePayload(peer));
    expect(c.rttMs("self", "a")).toBeGreaterThan(15);
    expect(c.rttMs("self", "a")).toBeLessThan(25);
  });

  it("ignores an empty payload (a peer without coordinates) without counting it as bad", () => {
    const c = create();
    const before = c.coordinate;
    expect(c.handlePingComplete("a", 10, new Uint8Array())).toBe("empty");
    expect(c.coordinate).toBe(before);
    expect(c.coordinateOf("a")).toBeUndefined();
    expect(c.stats).toMatchObject({updates: 0, emptyPayloads: 1, badPayloads: 0});
  });

  it("drops and counts payloads that do not decode, never throwing", () => {
    const c = create();
    const before = c.coordinate;
    const good = encodeCoordinatePayload(peerAt(1 * MS));
    const bad = [
      Uint8Array.of(2, ...good.subarray(1)), // another ping version
      good.subarray(0, 20), // cut off
      Uint8Array.of(1, 0xc1), // a byte msgpack never uses
      Uint8Array.of(1, 0x81, 0xa5, 0x45, 0x72, 0x72, 0x6f, 0x72, 0xa1, 0x78), // Error: "x"
    ];
    for (const payload of bad) expect(c.handlePingComplete("a", 10, payload)).toBe("badPayload");
    expect(c.coordinate).toBe(before);
    expect(c.coordinateOf("a")).toBeUndefined();
    expect(c.stats.badPayloads).toBe(bad.length);
  });

  it("counts as rejected a coordinate of another dimensionality and an RTT over 10 s", () => {
    const c = create();
    const threeD = makeCoordinate([0.001, 0, 0], 1.5, 0, 10e-6);
    expect(c.handlePingComplete("a", 10, encodeCoordinatePayload(threeD))).toBe("rejected");
    expect(c.handlePingComplete("b", 10_001, encodeCoordinatePayload(peerAt(0)))).toBe("rejected");
    expect(c.stats).toMatchObject({updates: 0, rejected: 2, cached: 0});
    expect(c.coordinateOf("a")).toBeUndefined();
  });
});

describe("AgentCoordinates: the cache", () => {
  it("answers rtt between two members, a member and us, and undefined for an unknown name", () => {
    const c = create();
    c.handlePingComplete("a", 10, encodeCoordinatePayload(peerAt(4 * MS)));
    c.handlePingComplete("b", 10, encodeCoordinatePayload(peerAt(-3 * MS)));
    expect(c.rttMs("a", "b")).toBeCloseTo(estimateRttMs(peerAt(4 * MS), peerAt(-3 * MS)), 9);
    expect(c.rttMs("a", "b")).toBe(c.rttMs("b", "a"));
    expect(c.rttMs("a", "self")).toBeCloseTo(estimateRttMs(peerAt(4 * MS), c.coordinate), 9);
    expect(c.rttMs("a", "nobody")).toBeUndefined();
    expect(c.entries().map((e) => e.node)).toEqual(["self", "a", "b"]);
  });

  it("forgets a member that left, and hides and drops one the core has reaped", () => {
    const members = new Set(["a", "b"]);
    const c = create({members});
    c.handlePingComplete("a", 10, encodeCoordinatePayload(peerAt(1 * MS)));
    c.handlePingComplete("b", 10, encodeCoordinatePayload(peerAt(2 * MS)));
    c.forget("a");
    expect(c.coordinateOf("a")).toBeUndefined();
    members.delete("b"); // reaped
    expect(c.entries().map((e) => e.node)).toEqual(["self"]);
    expect(c.stats.cached).toBe(0);
  });

  it("keeps at most maxEntries: reaped members are swept first, then the oldest update is forgotten", () => {
    const members = new Set(["a", "b", "c", "d"]);
    const c = create({maxEntries: 2, members});
    const send = (name: string): void => {
      c.handlePingComplete(name, 10, encodeCoordinatePayload(peerAt(1 * MS)));
    };
    send("a");
    send("b");
    members.delete("a");
    send("c"); // a (reaped) goes, b stays
    expect(c.entries().map((e) => e.node)).toEqual(["self", "b", "c"]);
    send("b"); // b is now the latest
    send("d"); // c, the oldest, goes
    expect(c.entries().map((e) => e.node)).toEqual(["self", "b", "d"]);
    expect(c.stats.cached).toBe(2);
  });
});
