/*
 * The φ accrual failure detector (Hayashibara, Défago, Yared, Katayama, SRDS 2004), in the form
 * Akka / Pekko use (`PhiAccrualFailureDetector`):
 *
 *   φ(t) = −log10(P_later(t − T_last))
 *
 * where P_later is the probability, under a normal distribution fitted to a sliding window of
 * inter-arrival times, that the next heartbeat arrives later than `t − T_last`. A threshold Φ
 * therefore means a mistaken suspicion has probability about 10^−Φ under the fitted model.
 *
 *   mean   = mean(window) + acceptableHeartbeatPauseMs      (tolerate a known pause, e.g. a GC)
 *   stdDev = max(stdDev(window), minStdDeviationMs)         (regular beats would give σ ≈ 0)
 *   y      = (Δt − mean) / stdDev
 *   e      = exp(−y · (1.5976 + 0.070566 · y²))              (logistic approximation of the normal CDF,
 *                                                            Bowling et al. 2009, as Akka uses)
 *   φ      = −log10(e / (1 + e))       if Δt > mean
 *            −log10(1 − 1 / (1 + e))   otherwise
 *
 * The first heartbeat seeds the window with two samples, `estimate ± estimate/4`, so that φ is
 * meaningful before any interval was observed. An interval is recorded only while the sender is
 * still judged available: the first beat after a failure would otherwise skew the statistics.
 *
 * One deviation from Akka: the first LEARNING_INTERVALS (3) intervals are always recorded. Akka
 * knows each sender's rhythm in advance (firstHeartbeatEstimate = heartbeat-interval); plain
 * heartbeat devices do not tell theirs, and a device beating every 10 s against the 1 s
 * estimate would otherwise be "unavailable" at every beat, never learn, and flap for ever.
 *
 * Pure: time is passed in (`nowMs`), nothing here reads a clock.
 */
import {InvalidConfigError} from "../core/index.ts";

/** Tunables of one detector. Defaults are Pekko Cluster's (`reference.conf`, anchors.md §"Phi accrual"). */
export interface PhiAccrualConfig {
  /** φ at or above which the sender is judged down. Default 8 (Akka, Cassandra). Must be > 0. */
  readonly threshold: number;
  /** Size of the sliding window of inter-arrival times. Default 1000. Integer ≥ 1. */
  readonly maxSampleSize: number;
  /** Floor of the standard deviation (ms), so regular beats do not make φ explode. Default 100. Must be > 0. */
  readonly minStdDeviationMs: number;
  /** Added to the mean interval (ms): a pause that is tolerated without φ rising. Default 3000. ≥ 0. */
  readonly acceptableHeartbeatPauseMs: number;
  /** Expected interval (ms) before any was measured; seeds the window. Default 1000. Must be > 0. */
  readonly firstHeartbeatEstimateMs: number;
}

/** Intervals always recorded, whatever φ said, before Akka's "skip the beat after a failure" rule applies. */
export const LEARNING_INTERVALS = 3;

/** Pekko Cluster's failure-detector defaults. */
export const PHI_ACCRUAL_DEFAULTS: PhiAccrualConfig = Object.freeze({
  threshold: 8,
  maxSampleSize: 1000,
  minStdDeviationMs: 100,
  acceptableHeartbeatPauseMs: 3000,
  firstHeartbeatEstimateMs: 1000,
});

/** Merge `init` over the defaults, validate, freeze. Throws InvalidConfigError. */
export function resolvePhiConfig(init: Partial<PhiAccrualConfig> = {}): PhiAccrualConfig {
  const config = {...PHI_ACCRUAL_DEFAULTS, ...init};
  const positive = (field: keyof PhiAccrualConfig) => {
    const value = config[field];
    if (!Number.isFinite(value) || value <= 0) {
      throw new InvalidConfigError(field, `must be a finite number > 0 (got ${value})`);
    }
  };
  positive("threshold");
  positive("minStdDeviationMs");
  positive("firstHeartbeatEstimateMs");
  if (!Number.isInteger(config.maxSampleSize) || config.maxSampleSize < 1) {
    throw new InvalidConfigError("maxSampleSize", `must be an integer ≥ 1 (got ${config.maxSampleSize})`);
  }
  if (!Number.isFinite(config.acceptableHeartbeatPauseMs) || config.acceptableHeartbeatPauseMs < 0) {
    throw new InvalidConfigError(
      "acceptableHeartbeatPauseMs",
      `must be a finite number ≥ 0 (got ${config.acceptableHeartbeatPauseMs})`,
    );
  }
  return Object.freeze(config);
}

/**
 * φ for a silence of `timeDiffMs`, given the (already adjusted) mean and standard deviation.
 * Exported for table tests and for agents that extrapolate a remote detector's φ.
 */
export function phiOf(timeDiffMs: number, meanMs: number, stdDeviationMs: number): number {
  const y = (timeDiffMs - meanMs) / stdDeviationMs;
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
  if (timeDiffMs > meanMs) return -Math.log10(e / (1 + e));
  return -Math.log10(1 - 1 / (1 + e));
}

/**
 * A sliding window of inter-arrival times with running sums, so mean and variance are O(1).
 * The buffer starts small and doubles up to `maxSampleSize`, so a detector that heard a few
 * beats costs a few hundred bytes, not 8 KB.
 * BOUNDED: at most `maxSampleSize` samples (a ring buffer).
 */
class IntervalWindow {
  private readonly maxSampleSize: number;
  private samples: Float64Array;
  private start = 0;
  private sampleCount = 0;
  private sum = 0;
  private squaredSum = 0;

  constructor(maxSampleSize: number) {
    this.maxSampleSize = maxSampleSize;
    this.samples = new Float64Array(Math.min(16, maxSampleSize));
  }

  get count(): number {
    return this.sampleCount;
  }

  add(intervalMs: number): void {
    if (this.sampleCount === this.samples.length && this.sampleCount < this.maxSampleSize) this.grow();
    const capacity = this.samples.length;
    if (this.sampleCount === capacity) {
      const oldest = this.samples[this.start] as number;
      this.sum -= oldest;
      this.squaredSum -= oldest * oldest;
      this.samples[this.start] = intervalMs;
      this.start = (this.start + 1) % capacity;
    } else {
      this.samples[(this.start + this.sampleCount) % capacity] = intervalMs;
      this.sampleCount++;
    }
    this.sum += intervalMs;
    this.squaredSum += intervalMs * intervalMs;
  }

  private grow(): void {
    const next = new Float64Array(Math.min(this.samples.length * 2, this.maxSampleSize));
    for (let i = 0; i < this.sampleCount; i++) next[i] = this.samples[(this.start + i) % this.samples.length] as number;
    this.samples = next;
    this.start = 0;
  }

  mean(): number {
    return this.sampleCount === 0 ? 0 : this.sum / this.sampleCount;
  }

  stdDeviation(): number {
    if (this.sampleCount === 0) return 0;
    const mean = this.mean();
    // Running sums can drift a hair below zero through rounding; clamp.
    return Math.sqrt(Math.max(0, this.squaredSum / this.sampleCount - mean * mean));
  }
}

/** What a detector knows, enough to recompute φ elsewhere (see `phiOf`). */
export interface PhiSnapshot {
  /** Time of the last heartbeat, or undefined before the first. */
  readonly lastHeartbeatMs: number | undefined;
  /** Mean interval plus the acceptable pause (ms): the `mean` that `phiOf` takes. */
  readonly meanMs: number;
  /** Standard deviation after the floor (ms): the `stdDeviation` that `phiOf` takes. */
  readonly stdDeviationMs: number;
  /** Intervals in the window (including the two seed samples). */
  readonly samples: number;
}

/**
 * One monitored sender. Call `heartbeat(nowMs)` on each beat and `phi(nowMs)` to judge it.
 * Times must not go backwards (a monotonic clock); a beat earlier than the last is ignored.
 */
export class PhiAccrualDetector {
  readonly config: PhiAccrualConfig;
  private readonly window: IntervalWindow;
  private lastBeatMs: number | undefined;
  private intervalsLearned = 0;

  constructor(init: Partial<PhiAccrualConfig> = {}) {
    this.config = resolvePhiConfig(init);
    this.window = new IntervalWindow(this.config.maxSampleSize);
  }

  /** Record a heartbeat received at `nowMs`. */
  heartbeat(nowMs: number): void {
    const last = this.lastBeatMs;
    if (last === undefined) {
      const estimate = this.config.firstHeartbeatEstimateMs;
      this.window.add(estimate - estimate / 4);
      this.window.add(estimate + estimate / 4);
    } else {
      if (nowMs < last) return;
      // Akka: do not learn from the first beat after a failure; it would skew the window. But
      // always learn the first few intervals: the first-beat estimate may be far off.
      if (this.intervalsLearned < LEARNING_INTERVALS || this.isAvailable(nowMs)) {
        this.window.add(nowMs - last);
        this.intervalsLearned++;
      }
    }
    this.lastBeatMs = nowMs;
  }

  /** φ at `nowMs`; 0 before the first heartbeat. */
  phi(nowMs: number): number {
    const last = this.lastBeatMs;
    if (last === undefined) return 0;
    const {meanMs, stdDeviationMs} = this.snapshot();
    return phiOf(Math.max(0, nowMs - last), meanMs, stdDeviationMs);
  }

  /** φ below the threshold: the sender is judged up. True before the first heartbeat. */
  isAvailable(nowMs: number): boolean {
    return this.phi(nowMs) < this.config.threshold;
  }

  /** The fitted parameters, for reporting or for recomputing φ on another agent. */
  snapshot(): PhiSnapshot {
    return {
      lastHeartbeatMs: this.lastBeatMs,
      meanMs: this.window.mean() + this.config.acceptableHeartbeatPauseMs,
      stdDeviationMs: Math.max(this.window.stdDeviation(), this.config.minStdDeviationMs),
      samples: this.window.count,
    };
  }

  /**
   * The silence (ms after the last beat) at which φ reaches the threshold, found by bisection
   * on the current fit. Useful for documentation, tests and "down within" bounds.
   */
  silenceToThresholdMs(): number {
    const {meanMs, stdDeviationMs} = this.snapshot();
    return silenceForPhi(this.config.threshold, meanMs, stdDeviationMs);
  }
}

/** The smallest silence (ms, to 0.01 ms) at which `phiOf` reaches `phi`. φ is monotonic in the silence. */
export function silenceForPhi(phi: number, meanMs: number, stdDeviationMs: number): number {
  let low = 0;
  let high = meanMs + stdDeviationMs;
  while (phiOf(high, meanMs, stdDeviationMs) < phi) high *= 2;
  while (high - low > 0.01) {
    const mid = (low + high) / 2;
    if (phiOf(mid, meanMs, stdDeviationMs) < phi) low = mid;
    else high = mid;
  }
  return high;
}
