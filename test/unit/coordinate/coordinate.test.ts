/* The coordinate value: distance tables, forces, the coincident-point fallback, validity. */
import {describe, expect, it} from "vitest";
import {
  applyForce,
  type Coordinate,
  DimensionalityConflictError,
  distanceSeconds,
  estimateRttMs,
  isCompatible,
  isValidCoordinate,
  makeCoordinate,
  originCoordinate,
  rawDistanceSeconds,
  seededRandom,
  unitVectorAt,
} from "../../../src/coordinate/index.ts";

const at = (vec: number[], height = 0, adjustment = 0, error = 1): Coordinate =>
  makeCoordinate(vec, error, adjustment, height);
const never = (): number => {
  throw new Error("random must not be called when the points are apart");
};

describe("distance between coordinates", () => {
  const table: {name: string; a: Coordinate; b: Coordinate; raw: number; adjusted: number}[] = [
    {name: "3-4-5 triangle", a: at([0, 0]), b: at([3, 4]), raw: 5, adjusted: 5},
    {name: "same point", a: at([1, 1]), b: at([1, 1]), raw: 0, adjusted: 0},
    {name: "heights add", a: at([0, 0], 0.1), b: at([3, 4], 0.2), raw: 5.3, adjusted: 5.3},
    {name: "adjustments add", a: at([0, 0], 0.1, 0.5), b: at([3, 4], 0.2, -0.2), raw: 5.3, adjusted: 5.6},
    {
      name: "negative sum falls back to raw",
      a: at([0, 0], 0.001, -1),
      b: at([0, 0], 0.001, -1),
      raw: 0.002,
      adjusted: 0.002,
    },
    {name: "zero sum falls back to raw", a: at([1], 0, -0.5), b: at([0], 0, -0.5), raw: 1, adjusted: 1},
    {
      name: "8 dimensions",
      a: at([1, 1, 1, 1, 1, 1, 1, 1]),
      b: at([0, 0, 0, 0, 0, 0, 0, 0]),
      raw: Math.sqrt(8),
      adjusted: Math.sqrt(8),
    },
  ];
  for (const {name, a, b, raw, adjusted} of table) {
    it(name, () => {
      expect(rawDistanceSeconds(a, b)).toBeCloseTo(raw, 12);
      expect(distanceSeconds(a, b)).toBeCloseTo(adjusted, 12);
      expect(distanceSeconds(b, a)).toBeCloseTo(adjusted, 12);
      expect(estimateRttMs(a, b)).toBeCloseTo(adjusted * 1000, 9);
    });
  }

  it("throws on coordinates of different dimensionality", () => {
    expect(() => distanceSeconds(at([0, 0]), at([0, 0, 0]))).toThrow(DimensionalityConflictError);
    expect(isCompatible(at([0, 0]), at([0, 0, 0]))).toBe(false);
    expect(isCompatible(at([0, 0]), at([5, 6]))).toBe(true);
  });
});

describe("applyForce", () => {
  it("pushes away along the line from the other point, and grows the height with the move", () => {
    const c = applyForce(at([1, 0], 0.1), 2, at([0, 0], 0.1), 0.01, never);
    expect(c.vec[0]).toBeCloseTo(3, 12);
    expect(c.vec[1]).toBeCloseTo(0, 12);
    // (0.1 + 0.1) · 2 / 1 + 0.1
    expect(c.height).toBeCloseTo(0.5, 12);
  });

  it("pulls closer with a negative force, the height not dropping below the minimum", () => {
    const c = applyForce(at([0, 2], 0.1), -0.5, at([0, 0], 0.1), 0.01, never);
    expect(c.vec).toEqual([0, 1.5]);
    // (0.2 · -0.5) / 2 + 0.1 = 0.05
    expect(c.height).toBeCloseTo(0.05, 12);
    const floored = applyForce(at([1, 0], 0.1), -0.5, at([0, 0], 0.1), 0.01, never);
    // 0.2 · -0.5 / 1 + 0.1 = 0 → the minimum
    expect(floored.height).toBe(0.01);
  });

  it("keeps error and adjustment, and leaves its inputs untouched", () => {
    const before = makeCoordinate([1, 0], 0.7, 0.003, 0.1);
    const c = applyForce(before, 1, at([0, 0]), 0, never);
    expect(c.error).toBe(0.7);
    expect(c.adjustment).toBe(0.003);
    expect(before.vec).toEqual([1, 0]);
    expect(Object.isFrozen(c) && Object.isFrozen(c.vec)).toBe(true);
  });

  it("uses the injected direction for coincident points, and leaves the height alone", () => {
    const draws = [0.9, 0.5];
    const random = () => draws.shift() as number;
    const c = applyForce(at([2, 2], 0.1), 3, at([2, 2], 0.1), 0.01, random);
    // drawn (0.4, 0) → unit (1, 0)
    expect(c.vec[0]).toBeCloseTo(5, 12);
    expect(c.vec[1]).toBeCloseTo(2, 12);
    expect(c.height).toBe(0.1);
    expect(draws).toEqual([]);
  });
});

describe("unitVectorAt", () => {
  it("normalises the difference and reports the distance", () => {
    const {unit, magnitude} = unitVectorAt([3, 4], [0, 0], never);
    expect(unit[0]).toBeCloseTo(0.6, 12);
    expect(unit[1]).toBeCloseTo(0.8, 12);
    expect(magnitude).toBeCloseTo(5, 12);
  });

  it("draws a direction for points closer than 1 µs, with distance 0", () => {
    const {unit, magnitude} = unitVectorAt([1, 1], [1, 1 + 1e-7], () => 0.2);
    // drawn (-0.3, -0.3)
    expect(unit[0]).toBeCloseTo(-Math.SQRT1_2, 12);
    expect(unit[1]).toBeCloseTo(-Math.SQRT1_2, 12);
    expect(magnitude).toBe(0);
  });

  it("falls back to the first axis when the drawn direction is degenerate too", () => {
    expect(unitVectorAt([0, 0, 0], [0, 0, 0], () => 0.5)).toEqual({unit: [1, 0, 0], magnitude: 0});
    expect(unitVectorAt([], [], () => 0.5)).toEqual({unit: [], magnitude: 0});
  });
});

describe("validity", () => {
  it("accepts finite coordinates and refuses NaN and infinities anywhere", () => {
    expect(isValidCoordinate(originCoordinate(8, 1.5, 1e-5))).toBe(true);
    expect(isValidCoordinate(makeCoordinate([0, Number.NaN], 1, 0, 0))).toBe(false);
    expect(isValidCoordinate(makeCoordinate([Number.POSITIVE_INFINITY], 1, 0, 0))).toBe(false);
    expect(isValidCoordinate(makeCoordinate([0], Number.NaN, 0, 0))).toBe(false);
    expect(isValidCoordinate(makeCoordinate([0], 1, Number.NEGATIVE_INFINITY, 0))).toBe(false);
    expect(isValidCoordinate(makeCoordinate([0], 1, 0, Number.NaN))).toBe(false);
  });

  it("starts at the origin with maximal error and minimal height", () => {
    expect(originCoordinate(3, 1.5, 1e-5)).toEqual({vec: [0, 0, 0], error: 1.5, adjustment: 0, height: 1e-5});
  });
});

describe("seededRandom", () => {
  it("is deterministic per seed, in [0, 1), and differs between seeds", () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const c = seededRandom(8);
    const xs = Array.from({length: 1000}, () => a());
    expect(xs).toEqual(Array.from({length: 1000}, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(c()).not.toBe(xs[0]);
  });
});
