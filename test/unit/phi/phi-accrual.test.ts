import {describe, expect, it} from "vitest";
import {InvalidConfigError} from "../../../src/core/index.ts";
import {
  PHI_ACCRUAL_DEFAULTS,
  PhiAccrualDetector,
  phiOf,
  resolvePhiConfig,
  silenceForPhi,
} from "../../../src/phi/index.ts";

/** P(next beat arrives by t) from φ: 1 − 10^−φ. */
const cdf = (phi: number) => 1 - 10 ** -phi;

describe("phiOf", () => {
  // Standard normal CDF values Φ(z) from a printed table; φ uses mean 0, σ 10, so Δt = 10·z.
  const rows = [
    {title: "a silence equal to the mean is a coin toss", dt: 0, cdf: 0.5, tol: 0.001},
    {title: "0.6 σ late matches Φ(0.6)", dt: 6, cdf: 0.7257, tol: 0.001},
    {title: "1.5 σ late matches Φ(1.5)", dt: 15, cdf: 0.9332, tol: 0.001},
    {title: "2 σ late matches Φ(2)", dt: 20, cdf: 0.97725, tol: 0.001},
    {title: "2.5 σ late matches Φ(2.5)", dt: 25, cdf: 0.99379, tol: 0.001},
    {title: "3.5 σ late matches Φ(3.5)", dt: 35, cdf: 0.99977, tol: 0.001},
    {title: "4 σ late matches Φ(4)", dt: 40, cdf: 0.99997, tol: 0.0001},
  ];
  for (const row of rows) {
    it(row.title, () => {
      expect(Math.abs(cdf(phiOf(row.dt, 0, 10)) - row.cdf)).toBeLessThan(row.tol);
    });
  }

  it("is monotonic in the silence and finite far past the mean", () => {
    let previous = -1;
    for (let dt = 0; dt <= 200; dt += 0.5) {
      const phi = phiOf(dt, 50, 10);
      expect(phi).toBeGreaterThanOrEqual(previous);
      expect(Number.isFinite(phi)).toBe(true);
      previous = phi;
    }
  });

  it("finds the silence that reaches a given phi by bisection", () => {
    const silence = silenceForPhi(8, 4000, 100);
    expect(phiOf(silence, 4000, 100)).toBeGreaterThanOrEqual(8);
    expect(phiOf(silence - 0.05, 4000, 100)).toBeLessThan(8);
  });
});

describe("resolvePhiConfig", () => {
  it("uses Pekko's defaults: threshold 8, window 1000, σ floor 100 ms, pause 3 s", () => {
    expect(resolvePhiConfig()).toEqual({
      threshold: 8,
      maxSampleSize: 1000,
      minStdDeviationMs: 100,
      acceptableHeartbeatPauseMs: 3000,
      firstHeartbeatEstimateMs: 1000,
    });
    expect(Object.isFrozen(resolvePhiConfig())).toBe(true);
  });

  const bad = [
    {field: "threshold", value: 0},
    {field: "threshold", value: Number.NaN},
    {field: "maxSampleSize", value: 0},
    {field: "maxSampleSize", value: 2.5},
    {field: "minStdDeviationMs", value: -1},
    {field: "acceptableHeartbeatPauseMs", value: -1},
    {field: "firstHeartbeatEstimateMs", value: 0},
  ] as const;
  for (const row of bad) {
    it(`rejects ${row.field} = ${row.value} with an error naming the field`, () => {
      try {
        resolvePhiConfig({[row.field]: row.value});
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidConfigError);
        expect((error as InvalidConfigError).field).toBe(row.field);
      }
    });
  }
});

describe("PhiAccrualDetector", () => {
  /** Beats every `intervalMs` from `fromMs`, `count` times; returns the time of the last beat. */
  function beat(detector: PhiAccrualDetector, fromMs: number, intervalMs: number, count: number): number {
    let t = fromMs;
    for (let i = 0; i < count; i++) {
      detector.heartbeat(t);
      if (i < count - 1) t += intervalMs;
    }
    return t;
  }

  it("reports phi 0 and available before the first heartbeat", () => {
    const detector = new PhiAccrualDetector();
    expect(detector.phi(123_456)).toBe(0);
    expect(detector.isAvailable(123_456)).toBe(true);
  });

  it("seeds the window from the first-heartbeat estimate", () => {
    const detector = new PhiAccrualDetector({firstHeartbeatEstimateMs: 1000, acceptableHeartbeatPauseMs: 0});
    detector.heartbeat(0);
    const snapshot = detector.snapshot();
    expect(snapshot.samples).toBe(2);
    expect(snapshot.meanMs).toBe(1000);
    expect(snapshot.stdDeviationMs).toBe(250);
  });

  it("goes down within the phi bound after the sender stops, and up again when it resumes", () => {
    const detector = new PhiAccrualDetector(); // Pekko defaults
    const last = beat(detector, 0, 1000, 60);
    // Regular 1 s beats: mean 1000 (+3000 pause), σ floored at 100 ms.
    const bound = detector.silenceToThresholdMs();
    expect(bound).toBeGreaterThan(4000);
    expect(bound).toBeLessThan(5000);
    expect(detector.isAvailable(last + 3000)).toBe(true);
    expect(detector.isAvailable(last + Math.floor(bound) - 1)).toBe(true);
    expect(detector.isAvailable(last + Math.ceil(bound) + 1)).toBe(false);
    expect(detector.phi(last + 10_000)).toBeGreaterThan(8);

    // The sender resumes after 20 s: up at once; the 20 s gap is not learned.
    const resumed = last + 20_000;
    detector.heartbeat(resumed);
    expect(detector.isAvailable(resumed)).toBe(true);
    expect(detector.snapshot().meanMs).toBeCloseTo(4000, 6);
  });

  it("learns a sender much slower than the first-beat estimate instead of flapping at every beat", () => {
    const detector = new PhiAccrualDetector(); // estimate 1 s; the device beats every 10 s
    for (let i = 0; i <= 20; i++) {
      const t = i * 10_000;
      if (i >= 2) expect(detector.isAvailable(t - 1)).toBe(true); // still up just before each beat
      detector.heartbeat(t);
    }
    expect(detector.snapshot().meanMs).toBeGreaterThan(9_000 + 3_000);
    // …and still judges it down when it stops: the bound follows the learned 10 s rhythm.
    expect(detector.isAvailable(200_000 + 60_000)).toBe(false);
  });

  it("does not learn the gap of an outage once it knows the rhythm", () => {
    const detector = new PhiAccrualDetector({acceptableHeartbeatPauseMs: 0});
    for (let i = 0; i <= 10; i++) detector.heartbeat(i * 1000);
    const before = detector.snapshot();
    detector.heartbeat(10_000 + 60_000); // back after a minute
    expect(detector.snapshot().samples).toBe(before.samples);
    expect(detector.snapshot().meanMs).toBe(before.meanMs);
  });

  it("tolerates jittery senders more than regular ones", () => {
    const regular = new PhiAccrualDetector({acceptableHeartbeatPauseMs: 0});
    const jittery = new PhiAccrualDetector({acceptableHeartbeatPauseMs: 0});
    let t = 0;
    for (let i = 0; i < 200; i++) {
      regular.heartbeat(i * 1000);
      jittery.heartbeat(t);
      t += i % 2 === 0 ? 500 : 1500; // same mean, σ = 500
    }
    expect(jittery.silenceToThresholdMs()).toBeGreaterThan(regular.silenceToThresholdMs() + 1000);
  });

  it("keeps at most maxSampleSize intervals, forgetting the oldest", () => {
    const detector = new PhiAccrualDetector({maxSampleSize: 10, acceptableHeartbeatPauseMs: 0, minStdDeviationMs: 1});
    const last = beat(detector, 0, 100, 50); // slow start
    beat(detector, last + 20, 20, 11); // 10 intervals of 20 ms replace everything
    const snapshot = detector.snapshot();
    expect(snapshot.samples).toBe(10);
    expect(snapshot.meanMs).toBeCloseTo(20, 6);
  });

  it("grows its buffer past the first 16 samples and still slides correctly", () => {
    const detector = new PhiAccrualDetector({maxSampleSize: 40, acceptableHeartbeatPauseMs: 0, minStdDeviationMs: 1});
    const last = beat(detector, 0, 100, 30);
    expect(detector.snapshot().samples).toBe(31); // 2 seeds + 29 intervals
    const end = beat(detector, last + 20, 20, 40);
    expect(detector.snapshot().samples).toBe(40);
    expect(detector.snapshot().meanMs).toBeCloseTo(20, 6);
    expect(end).toBe(last + 800);
  });

  it("ignores a heartbeat stamped before the last one", () => {
    const detector = new PhiAccrualDetector();
    detector.heartbeat(1000);
    detector.heartbeat(500);
    expect(detector.snapshot().lastHeartbeatMs).toBe(1000);
    expect(detector.snapshot().samples).toBe(2);
  });

  it("exports the defaults it documents", () => {
    expect(new PhiAccrualDetector().config).toEqual(PHI_ACCRUAL_DEFAULTS);
  });
});
