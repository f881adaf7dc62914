/*
 * A Vivaldi network coordinate as serf keeps it (serf/coordinate/coordinate.go): a point in a
 * Euclidean space, a height modelling a node's access link, an adjustment term learnt from
 * recent observations, and an error estimate saying how much to trust the rest.
 *
 * Units: `vec`, `height` and `adjustment` are seconds and `error` is dimensionless — exactly the
 * numbers serf puts in its ack payload, so coordinates cross the wire unconverted. Functions that
 * hand out a time say so in their name (`…Ms`, `…Seconds`).
 *
 * Coordinates are immutable values: every operation returns a new frozen one. The module is pure;
 * the one place serf reaches for randomness (two nodes at the same point have no direction
 * between them) takes the random source as an argument.
 */
import {createRandom} from "../core/index.ts";

/** A network coordinate. All lengths in seconds. */
export interface Coordinate {
  /** The Euclidean part. */
  readonly vec: readonly number[];
  /** Confidence in this coordinate: small is good. Dimensionless. */
  readonly error: number;
  /** Offset added to every distance from this node (may be negative). Seconds. */
  readonly adjustment: number;
  /** Non-Euclidean offset for the node's own link into the network (> 0). Seconds. */
  readonly height: number;
}

/** Two coordinates closer than this (seconds) are treated as being at the same point. */
export const ZERO_THRESHOLD_SECONDS = 1.0e-6;

/** An operation was given two coordinates of different dimensionality (a caller bug). */
export class DimensionalityConflictError extends Error {
  static override name = "DimensionalityConflictError";
  constructor(a: number, b: number) {
    super(`coordinate dimensionality does not match (${a} and ${b})`);
    this.name = "DimensionalityConflictError";
  }
}

/** Builds a frozen coordinate (the vector is copied). */
export function makeCoordinate(vec: readonly number[], error: number, adjustment: number, height: number): Coordinate {
  return Object.freeze({vec: Object.freeze([...vec]), error, adjustment, height});
}

/** The coordinate a node starts from: the origin, maximal error, no adjustment, minimal height. */
export function originCoordinate(dimensionality: number, errorMax: number, heightMinSeconds: number): Coordinate {
  return makeCoordinate(new Array<number>(dimensionality).fill(0), errorMax, 0, heightMinSeconds);
}

/** True when every component is a finite number (no NaN, no ±Infinity). */
export function isValidCoordinate(c: Coordinate): boolean {
  for (const x of c.vec) if (!Number.isFinite(x)) return false;
  return Number.isFinite(c.error) && Number.isFinite(c.adjustment) && Number.isFinite(c.height);
}

/** True when the two coordinates have the same number of dimensions. */
export function isCompatible(a: Coordinate, b: Coordinate): boolean {
  return a.vec.length === b.vec.length;
}

function checkCompatible(a: Coordinate, b: Coordinate): void {
  if (!isCompatible(a, b)) throw new DimensionalityConflictError(a.vec.length, b.vec.length);
}

function magnitude(v: readonly number[]): number {
  let sum = 0;
  for (const x of v) sum += x * x;
  return Math.sqrt(sum);
}

function difference(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) - (b[i] as number);
  return out;
}

function scaled(v: readonly number[], factor: number): number[] {
  return v.map((x) => x * factor);
}

/**
 * The Vivaldi distance in seconds without adjustments: the length between the two points plus
 * both heights. Throws DimensionalityConflictError.
 */
export function rawDistanceSeconds(a: Coordinate, b: Coordinate): number {
  checkCompatible(a, b);
  return magnitude(difference(a.vec, b.vec)) + a.height + b.height;
}

/**
 * The estimated RTT in seconds: the raw distance plus both adjustments — unless that sum is not
 * positive, in which case the raw distance stands (adjustments may be negative, an RTT may not).
 * Throws DimensionalityConflictError.
 */
export function distanceSeconds(a: Coordinate, b: Coordinate): number {
  const raw = rawDistanceSeconds(a, b);
  const adjusted = raw + a.adjustment + b.adjustment;
  return adjusted > 0 ? adjusted : raw;
}

/** The estimated RTT between two nodes, in milliseconds (see distanceSeconds). */
export function estimateRttMs(a: Coordinate, b: Coordinate): number {
  return distanceSeconds(a, b) * 1000;
}

/** A direction and the distance it was measured over. */
export interface UnitVector {
  readonly unit: number[];
  /** Distance between the two points, or 0 when the direction had to be made up. */
  readonly magnitude: number;
}

/**
 * The unit vector pointing from `to` toward `from`, and the distance between them. When the two
 * points coincide there is no such direction: one is drawn from `random` (uniform in [0, 1), one
 * call per dimension) and the distance reported is 0; should even that come out degenerate, the
 * first axis is used.
 */
export function unitVectorAt(from: readonly number[], to: readonly number[], random: () => number): UnitVector {
  const d = difference(from, to);
  const mag = magnitude(d);
  // Scaled by the reciprocal rather than divided, as serf does, so the results match bit for bit.
  if (mag > ZERO_THRESHOLD_SECONDS) return {unit: scaled(d, 1 / mag), magnitude: mag};
  const drawn = d.map(() => random() - 0.5);
  const drawnMag = magnitude(drawn);
  if (drawnMag > ZERO_THRESHOLD_SECONDS) return {unit: scaled(drawn, 1 / drawnMag), magnitude: 0};
  const axis = new Array<number>(d.length).fill(0);
  if (axis.length > 0) axis[0] = 1;
  return {unit: axis, magnitude: 0};
}

/**
 * Moves `c` by `forceSeconds` along the line from `other` (a positive force pushes it away, a
 * negative one pulls it closer). When the points are apart the height takes its share of the
 * move too, never dropping below `heightMinSeconds`. Error and adjustment are kept.
 * Throws DimensionalityConflictError.
 */
export function applyForce(
  c: Coordinate,
  forceSeconds: number,
  other: Coordinate,
  heightMinSeconds: number,
  random: () => number,
): Coordinate {
  checkCompatible(c, other);
  const {unit, magnitude: mag} = unitVectorAt(c.vec, other.vec, random);
  const vec = c.vec.map((x, i) => x + (unit[i] as number) * forceSeconds);
  let height = c.height;
  if (mag > ZERO_THRESHOLD_SECONDS) {
    height = Math.max(((c.height + other.height) * forceSeconds) / mag + c.height, heightMinSeconds);
  }
  return makeCoordinate(vec, c.error, c.adjustment, height);
}

/**
 * A deterministic random source for callers that have no better one (the core's seeded PRNG):
 * the direction drawn for coincident points only needs to differ between nodes, so seed it per node.
 */
export function seededRandom(seed: number): () => number {
  const random = createRandom(seed);
  return () => random.nextFloat();
}
