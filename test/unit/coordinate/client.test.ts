/*
 * The Vivaldi client: the latency filter's moving median, one update worked out by hand, two
 * nodes settling at their RTT, gravity, resets, and every refused input.
 */
import {describe, expect, it} from "vitest";
import {
  type Coordinate,
  CoordinateClient,
  estimateRttMs,
  LatencyFilter,
  makeCoordinate,
  seededRandom,
} from "../../../src/coordinate/index.ts";

describe("LatencyFilter", () => {
  it("returns the median of the last three samples", () => {
    const f = new LatencyFilter(3);
    // sample → median of the window it ends up in
    const table: [number, number][] = [
      [201, 201], // [201]
      [200, 201], // [201, 200] → upper of two
      [207, 201], // [201, 200, 207]
      [1900, 207], // [200, 207, 1900]: the spike never reaches Vivaldi
      [203, 207], // [207, 1900, 203]
      [199, 203], // [1900, 203, 199]
      [211, 203], // [203, 199, 211]
    ];
    for (const [sample, median] of table) expect(f.add("alice", sample), `after ${sample}`).toBe(median);
  });

  it("keeps peers apart, forgets a peer, and honours other window sizes", () => {
    const f = new LatencyFilter(3);
    f.add("alice", 5);
    f.add("alice", 6);
    expect(f.add("bob", 310)).toBe(310);
    expect(f.peers).toBe(2);
    f.forget("alice");
    expect(f.peers).toBe(1);
    expect(f.add("alice", 888)).toBe(888);
    const one = new LatencyFilter(1);
    expect([one.add("x", 3), one.add("x", 9), one.add("x", 1)]).toEqual([3, 9, 1]);
    const four = new LatencyFilter(4);
    expect([four.add("x", 4), four.add("x", 1), four.add("x", 3), four.add("x", 2), four.add("x", 10)]).toEqual([
      4, 4, 3, 3, 3,
    ]);
  });
});

describe("CoordinateClient.update", () => {
  it("starts at the origin with serf's initial error and height", () => {
    const c = new CoordinateClient().getCoordinate();
    expect(c).toEqual({vec: [0, 0, 0, 0, 0, 0, 0, 0], error: 1.5, adjustment: 0, height: 1e-5});
  });

  it("moves as worked out by hand for one observation", () => {
    // Fresh client at the origin (error 1.5, height 1e-5 s); the peer 5 ms away at (3, 4) ms, RTT 10 ms.
    const client = new CoordinateClient({config: {dimensionality: 2}});
    const peer = makeCoordinate([0.003, 0.004], 1.5, 0, 1e-5);
    const result = client.update("peer", peer, 10);
    expect(result.ok).toBe(true);
    const c = client.getCoordinate();
    // d = 0.005 + 2e-5 = 0.00502 s, but serf passes it through time.Duration, which truncates
    // 5019999.999… ns to 5019999 ns: d = 0.005019999 s. w = 0.5; ε = (0.01 − d) / 0.01 = 0.4980001
    // error = 0.25·0.5·ε + 1.5·(1 − 0.125) = 1.3747500125
    expect(c.error).toBeCloseTo(1.3747500125, 13);
    // force = 0.25·0.5·(0.01 − d) = 0.000622500125 s, away from the peer along (−0.6, −0.8)
    const force = 0.000622500125;
    // height = (1e-5 + 1e-5) · force / 0.005 + 1e-5
    const h1 = (2e-5 * force) / 0.005 + 1e-5;
    // the residual against the raw distance after the move, over 2 · 20 samples (19 still zero)
    const adjustment = (0.01 - (0.005 + force + h1 + 1e-5)) / 40;
    expect(c.adjustment).toBeCloseTo(adjustment, 15);
    // gravity: the distance to the origin (with the adjustment) over 150 s, squared (≈ 2.5e-11 s),
    // pulls back along the same line
    const g = ((force + 1e-5 + h1 + adjustment) / 150) ** 2;
    expect(c.vec[0]).toBeCloseTo(-0.6 * (force - g), 15);
    expect(c.vec[1]).toBeCloseTo(-0.8 * (force - g), 15);
    expect(c.height).toBeCloseTo(((h1 + 1e-5) * -g) / force + h1, 15);
    expect(result.ok && result.coordinate).toBe(c);
  });

  it("moves away from a peer that is further than it looks, and toward one that is closer", () => {
    const away = new CoordinateClient({config: {dimensionality: 3}});
    away.update("n", makeCoordinate([0, 0, 0.001], 1.5, 0, 1e-5), 2);
    expect(away.getCoordinate().vec[2]).toBeLessThan(0);
    const toward = new CoordinateClient({config: {dimensionality: 3}});
    toward.setCoordinate(makeCoordinate([0, 0, 0], 1.5, 0, 1e-5));
    toward.update("n", makeCoordinate([0, 0, 0.1], 1.5, 0, 1e-5), 20);
    expect(toward.getCoordinate().vec[2]).toBeGreaterThan(0);
  });

  it("settles two nodes at the RTT they observe", () => {
    for (const rttMs of [0.3, 5, 50, 250]) {
      const a = new CoordinateClient({random: seededRandom(1)});
      const b = new CoordinateClient({random: seededRandom(2)});
      for (let i = 0; i < 300; i++) {
        a.update("b", b.getCoordinate(), rttMs);
        b.update("a", a.getCoordinate(), rttMs);
      }
      expect(Math.abs(a.estimateRttMs(b.getCoordinate()) - rttMs) / rttMs, `rtt ${rttMs}`).toBeLessThan(0.02);
      expect(Math.abs(b.estimateRttMs(a.getCoordinate()) - rttMs) / rttMs, `rtt ${rttMs}`).toBeLessThan(0.02);
      expect(a.getCoordinate().error).toBeLessThan(0.2);
    }
  });

  it("gravity pulls a coordinate back toward the origin by (distance / rho)²", () => {
    // The peer sits exactly where the RTT says, so Vivaldi and the adjustment are (almost) idle.
    const client = new CoordinateClient({config: {dimensionality: 2, gravityRhoMs: 1000, adjustmentWindowSize: 0}});
    client.setCoordinate(makeCoordinate([0.05, 0], 0.5, 0, 1e-5));
    client.update("peer", makeCoordinate([0.05, 0.02], 0.5, 0, 1e-5), 20.02);
    const c = client.getCoordinate();
    const dist = 0.05 + 2e-5;
    expect(c.vec[0]).toBeCloseTo(0.05 - (dist / 1) ** 2, 9);
    expect(c.vec[1]).toBeCloseTo(0, 9);

    // With serf's rho (150 s) the pull at 50 ms is about a tenth of a microsecond.
    const serfDefaults = new CoordinateClient({config: {dimensionality: 2, adjustmentWindowSize: 0}});
    serfDefaults.setCoordinate(makeCoordinate([0.05, 0], 0.5, 0, 1e-5));
    serfDefaults.update("peer", makeCoordinate([0.05, 0.02], 0.5, 0, 1e-5), 20.02);
    expect(serfDefaults.getCoordinate().vec[0]).toBeCloseTo(0.05 - (dist / 150) ** 2, 13);
  });

  it("turns the adjustment off with a window of 0", () => {
    const client = new CoordinateClient({config: {adjustmentWindowSize: 0}});
    for (let i = 0; i < 10; i++) client.update("p", makeCoordinate(new Array(8).fill(0), 1.5, 0, 1e-5), 30);
    expect(client.getCoordinate().adjustment).toBe(0);
  });

  it("resets to the origin when the arithmetic overflows, and counts it", () => {
    const client = new CoordinateClient({config: {dimensionality: 2}});
    const huge = makeCoordinate([1e308, 1e308], 1.5, 0, 1e-5);
    const result = client.update("p", huge, 10);
    expect(result.ok).toBe(true);
    expect(client.getCoordinate()).toEqual({vec: [0, 0], error: 1.5, adjustment: 0, height: 1e-5});
    expect(client.stats()).toEqual({updates: 1, resets: 1, rejected: 0, zeroRtt: 0});
  });

  it("accepts a zero RTT (coarse clocks), counted and applied as 1 µs", () => {
    const client = new CoordinateClient();
    const result = client.update("p", new CoordinateClient().getCoordinate(), 0);
    expect(result.ok).toBe(true);
    expect(client.stats().zeroRtt).toBe(1);
    expect(client.stats().updates).toBe(1);
  });
});

describe("CoordinateClient refuses bad input without changing anything", () => {
  const fresh = (): Coordinate => new CoordinateClient().getCoordinate();
  const table: {name: string; other: () => Coordinate; rttMs: number; reason: string}[] = [
    {name: "negative RTT", other: fresh, rttMs: -35, reason: "invalidRtt"},
    {name: "RTT above 10 s", other: fresh, rttMs: 10_000.001, reason: "invalidRtt"},
    {name: "NaN RTT", other: fresh, rttMs: Number.NaN, reason: "invalidRtt"},
    {name: "infinite RTT", other: fresh, rttMs: Number.POSITIVE_INFINITY, reason: "invalidRtt"},
    {name: "fewer dimensions", other: () => makeCoordinate([0, 0], 1.5, 0, 1e-5), rttMs: 10, reason: "incompatible"},
    {
      name: "more dimensions",
      other: () => makeCoordinate(new Array(16).fill(0), 1.5, 0, 1e-5),
      rttMs: 10,
      reason: "incompatible",
    },
    {
      name: "NaN in the vector",
      other: () => makeCoordinate([Number.NaN, 0, 0, 0, 0, 0, 0, 0], 1.5, 0, 1e-5),
      rttMs: 10,
      reason: "invalidCoordinate",
    },
    {
      name: "infinite height",
      other: () => makeCoordinate(new Array(8).fill(0), 1.5, 0, Number.POSITIVE_INFINITY),
      rttMs: 10,
      reason: "invalidCoordinate",
    },
    {
      name: "NaN error",
      other: () => makeCoordinate(new Array(8).fill(0), Number.NaN, 0, 1e-5),
      rttMs: 10,
      reason: "invalidCoordinate",
    },
  ];
  for (const {name, other, rttMs, reason} of table) {
    it(name, () => {
      const client = new CoordinateClient();
      client.update("warm", makeCoordinate([0.01, 0, 0, 0, 0, 0, 0, 0], 1, 0, 1e-5), 12);
      const before = client.getCoordinate();
      const peer = makeCoordinate([0, 0.002, 0, 0, 0, 0, 0, 0], 1.5, 0, 1e-5);
      const estimate = estimateRttMs(before, peer);
      const result = client.update("node", other(), rttMs);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.reason).toBe(reason);
      expect(!result.ok && result.message.length).toBeGreaterThan(0);
      expect(client.getCoordinate()).toBe(before);
      expect(client.estimateRttMs(peer)).toBe(estimate);
      expect(client.stats()).toEqual({updates: 1, resets: 0, rejected: 1, zeroRtt: 0});
    });
  }

  it("setCoordinate refuses invalid and incompatible coordinates and accepts a good one", () => {
    const client = new CoordinateClient({config: {dimensionality: 3}});
    const before = client.getCoordinate();
    expect(client.setCoordinate(makeCoordinate([0, Number.NaN, 0], 1, 0, 0))).toMatchObject({
      ok: false,
      reason: "invalidCoordinate",
    });
    expect(client.setCoordinate(makeCoordinate([0, 0], 1, 0, 0))).toMatchObject({ok: false, reason: "incompatible"});
    expect(client.getCoordinate()).toBe(before);
    expect(client.setCoordinate(makeCoordinate([0, 0, 99], 1, 0, 0)).ok).toBe(true);
    expect(client.getCoordinate().vec[2]).toBe(99);
  });
});
