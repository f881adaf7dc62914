/*
 * Lifeguard local health awareness (Lifeguard §IV-A "Local Health Multiplier"; memberlist's
 * awareness.go). A node that misses acks it should have received, or that has to refute
 * suspicions about itself, is probably the slow one: its score rises, and every probe deadline
 * it sets is multiplied by (score + 1), so a struggling node waits longer before accusing
 * others. Successful probes lower the score again.
 *
 *   +1 per refutation, + (expected − received nacks) or +1 per failed probe, −1 per success.
 *   The score is clamped to [0, awarenessMaxMultiplier − 1].
 */

/** Scales `timeoutMs` by the health score: timeoutMs × (score + 1) (memberlist's ScaleTimeout). */
export function scaleTimeoutMs(timeoutMs: number, score: number): number {
  return timeoutMs * (score + 1);
}

/** The local health score. */
export class Awareness {
  private readonly maxScore: number;
  private value = 0;

  /** `maxMultiplier` is the config's awarenessMaxMultiplier (≥ 1; 1 disables awareness). */
  constructor(maxMultiplier: number) {
    this.maxScore = Math.max(0, maxMultiplier - 1);
  }

  /** The current score, 0 (healthy) .. awarenessMaxMultiplier − 1. */
  get score(): number {
    return this.value;
  }

  /** Adds `delta` (may be negative) and clamps; returns the new score. */
  applyDelta(delta: number): number {
    const next = this.value + delta;
    this.value = Math.max(0, Math.min(next, this.maxScore));
    return this.value;
  }

  /** `timeoutMs` × (score + 1). */
  scaleTimeoutMs(timeoutMs: number): number {
    return scaleTimeoutMs(timeoutMs, this.value);
  }
}
