/*
 * The Vivaldi client of one node (serf/coordinate/client.go): it owns the node's coordinate and
 * moves it with every RTT observed to a peer whose coordinate came with the ack.
 *
 * One update, in seconds as serf computes:
 *   1. latency filter — the RTT becomes the median of the last `latencyFilterSize` samples
 *      from that peer, so one slow ping does not throw the coordinate around;
 *   2. Vivaldi — with w = e_local / (e_local + e_peer) and relative error ε = |d − rtt| / rtt,
 *      e_local ← min(c_e·w·ε + e_local·(1 − c_e·w), errorMax), then the point is pushed along
 *      the line to the peer by c_c·w·(rtt − d) (away when the estimate d is too short);
 *   3. adjustment — the mean of the last `adjustmentWindowSize` residuals (rtt − raw distance),
 *      halved, since both ends of a pair add theirs;
 *   4. gravity — a pull toward the origin of (d_origin / ρ)², which stops the whole cluster
 *      drifting away together;
 *   5. a coordinate gone non-finite is reset to the origin and counted.
 *
 * Distances used for the updates are truncated to whole nanoseconds first, as serf's are (it
 * passes them through time.Duration), so the same inputs give serf's numbers to the last bit.
 *
 * Bad input — an incompatible or non-finite peer coordinate, an RTT that is negative, NaN or
 * above 10 s — is refused with a result value and changes nothing. A zero RTT is accepted (coarse
 * clocks produce them; serf takes them too) and counted. Pure: no clock, no global randomness.
 */

import {type CoordinateConfig, MAX_RTT_MS, resolveCoordinateConfig} from "./config.ts";
import {
  applyForce,
  type Coordinate,
  distanceSeconds,
  estimateRttMs,
  isCompatible,
  isValidCoordinate,
  makeCoordinate,
  originCoordinate,
  rawDistanceSeconds,
  seededRandom,
} from "./coordinate.ts";

/** Options of a CoordinateClient. */
export interface CoordinateClientOptions {
  /** Overrides of serf's defaults. */
  readonly config?: Partial<CoordinateConfig>;
  /**
   * Uniform [0, 1) source for the direction between coincident points. Default: a fixed-seed
   * generator; give each node its own (e.g. seededRandom of a per-node seed).
   */
  readonly random?: () => number;
}

/** Why an update or setCoordinate was refused. */
export type CoordinateRejection =
  /** The peer's coordinate has another dimensionality. */
  | "incompatible"
  /** The peer's coordinate holds NaN or an infinity. */
  | "invalidCoordinate"
  /** The RTT is not a number in [0, 10 000] ms. */
  | "invalidRtt";

/** The outcome of an update: the new coordinate, or why nothing changed. */
export type CoordinateUpdateResult =
  | {readonly ok: true; readonly coordinate: Coordinate}
  | {readonly ok: false; readonly reason: CoordinateRejection; readonly message: string};

/** Counters of one client. */
export interface CoordinateClientStats {
  /** Updates applied. */
  readonly updates: number;
  /** Times the coordinate went non-finite and was put back at the origin. */
  readonly resets: number;
  /** Updates refused (bad coordinate or RTT). */
  readonly rejected: number;
  /** Updates that carried an RTT of exactly 0 (applied as 1 µs). */
  readonly zeroRtt: number;
}

/** Seconds of a float-seconds value after Go's time.Duration round trip (truncated to ns). */
function durationSeconds(seconds: number): number {
  return nanosToSeconds(Math.trunc(seconds * 1e9));
}

/** Go's Duration.Seconds(): whole seconds plus the remaining nanoseconds. */
function nanosToSeconds(ns: number): number {
  const whole = Math.trunc(ns / 1e9);
  return whole + (ns - whole * 1e9) / 1e9;
}

/** A moving median over the last `size` samples of each peer, kept apart per peer name. */
export class LatencyFilter {
  readonly size: number;
  // BOUNDED: one entry per peer that sent a coordinate, each at most `size` samples; the owner
  // forgets a peer when the member is removed.
  private readonly samples = new Map<string, number[]>();

  constructor(size: number) {
    this.size = size;
  }

  /** Records a sample for `node` and returns the median of its window (the upper one of an even count). */
  add(node: string, sample: number): number {
    const window = this.samples.get(node) ?? [];
    window.push(sample);
    if (window.length > this.size) window.shift();
    this.samples.set(node, window);
    const sorted = [...window].sort((a, b) => a - b);
    return sorted[sorted.length >> 1] as number;
  }

  /** Forgets every sample of `node`. */
  forget(node: string): void {
    this.samples.delete(node);
  }

  /** Peers with samples. */
  get peers(): number {
    return this.samples.size;
  }
}

export class CoordinateClient {
  readonly config: CoordinateConfig;
  private readonly random: () => number;
  private readonly heightMinSeconds: number;
  private readonly gravityRhoSeconds: number;
  private readonly origin: Coordinate;
  private coord: Coordinate;
  // BOUNDED: adjustmentWindowSize samples (a ring buffer).
  private readonly adjustmentSamples: Float64Array;
  private adjustmentIndex = 0;
  private readonly latency: LatencyFilter;
  private counters = {updates: 0, resets: 0, rejected: 0, zeroRtt: 0};

  /** Throws InvalidConfigError for a bad config. */
  constructor(options: CoordinateClientOptions = {}) {
    this.config = resolveCoordinateConfig(options.config);
    this.random = options.random ?? seededRandom(1);
    this.heightMinSeconds = this.config.heightMinMs / 1000;
    this.gravityRhoSeconds = this.config.gravityRhoMs / 1000;
    this.origin = originCoordinate(this.config.dimensionality, this.config.vivaldiErrorMax, this.heightMinSeconds);
    this.coord = this.origin;
    this.adjustmentSamples = new Float64Array(this.config.adjustmentWindowSize);
    this.latency = new LatencyFilter(this.config.latencyFilterSize);
  }

  /** This node's current coordinate (an immutable value). */
  getCoordinate(): Coordinate {
    return this.coord;
  }

  /** Replaces this node's coordinate (e.g. one restored from disk); refused if invalid or incompatible. */
  setCoordinate(c: Coordinate): CoordinateUpdateResult {
    const refusal = this.check(c);
    if (refusal !== undefined) return refusal;
    this.coord = makeCoordinate(c.vec, c.error, c.adjustment, c.height);
    return {ok: true, coordinate: this.coord};
  }

  /** Drops what the latency filter remembers of `node` (call when the member leaves the cluster). */
  forgetNode(node: string): void {
    this.latency.forget(node);
  }

  /** A copy of the counters. */
  stats(): CoordinateClientStats {
    return {...this.counters};
  }

  /** Estimated RTT from this node to a peer at `other`, in ms. Throws DimensionalityConflictError. */
  estimateRttMs(other: Coordinate): number {
    return estimateRttMs(this.coord, other);
  }

  /**
   * Takes one observation — `other` is the coordinate `node` sent in its ack, `rttMs` the ping's
   * round trip — and moves this node's coordinate. Never throws; bad input is refused.
   */
  update(node: string, other: Coordinate, rttMs: number): CoordinateUpdateResult {
    const refusal = this.check(other);
    if (refusal !== undefined) return refusal;
    if (typeof rttMs !== "number" || !(rttMs >= 0 && rttMs <= MAX_RTT_MS)) {
      this.counters.rejected++;
      return {ok: false, reason: "invalidRtt", message: `round trip time ${rttMs} ms is not in [0, ${MAX_RTT_MS}] ms`};
    }
    if (rttMs === 0) this.counters.zeroRtt++;

    const rttSeconds = this.latency.add(node, nanosToSeconds(Math.trunc(rttMs * 1e6)));
    this.updateVivaldi(other, rttSeconds);
    this.updateAdjustment(other, rttSeconds);
    this.updateGravity();
    if (!isValidCoordinate(this.coord)) {
      this.counters.resets++;
      this.coord = this.origin;
    }
    this.counters.updates++;
    return {ok: true, coordinate: this.coord};
  }

  private check(c: Coordinate): CoordinateUpdateResult | undefined {
    if (!Array.isArray(c.vec) || !isCompatible(this.coord, c)) {
      this.counters.rejected++;
      const got = Array.isArray(c.vec) ? c.vec.length : "no";
      return {
        ok: false,
        reason: "incompatible",
        message: `coordinate has ${got} dimensions, expected ${this.config.dimensionality}`,
      };
    }
    if (!isValidCoordinate(c)) {
      this.counters.rejected++;
      return {ok: false, reason: "invalidCoordinate", message: "coordinate has a non-finite component"};
    }
    return undefined;
  }

  private updateVivaldi(other: Coordinate, rttSeconds: number): void {
    const {vivaldiCE: ce, vivaldiCC: cc, vivaldiErrorMax} = this.config;
    const dist = durationSeconds(distanceSeconds(this.coord, other));
    const rtt = Math.max(rttSeconds, 1.0e-6);
    const wrongness = Math.abs(dist - rtt) / rtt;
    const totalError = Math.max(this.coord.error + other.error, 1.0e-6);
    const weight = this.coord.error / totalError;
    const error = Math.min(ce * weight * wrongness + this.coord.error * (1 - ce * weight), vivaldiErrorMax);
    const force = cc * weight * (rtt - dist);
    const withError = makeCoordinate(this.coord.vec, error, this.coord.adjustment, this.coord.height);
    this.coord = applyForce(withError, force, other, this.heightMinSeconds, this.random);
  }

  private updateAdjustment(other: Coordinate, rttSeconds: number): void {
    const size = this.config.adjustmentWindowSize;
    if (size === 0) return;
    // The raw distance: the current adjustment must not feed back into its own estimate.
    this.adjustmentSamples[this.adjustmentIndex] = rttSeconds - rawDistanceSeconds(this.coord, other);
    this.adjustmentIndex = (this.adjustmentIndex + 1) % size;
    let sum = 0;
    for (const s of this.adjustmentSamples) sum += s;
    const c = this.coord;
    this.coord = makeCoordinate(c.vec, c.error, sum / (2 * size), c.height);
  }

  private updateGravity(): void {
    const dist = durationSeconds(distanceSeconds(this.origin, this.coord));
    const ratio = dist / this.gravityRhoSeconds;
    const force = -(ratio * ratio);
    this.coord = applyForce(this.coord, force, this.origin, this.heightMinSeconds, this.random);
  }
}
