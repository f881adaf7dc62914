/*
 * Lifeguard suspicion (Lifeguard §IV-B "Dynamic Suspicion Timeouts"; memberlist's suspicion.go
 * and util.go suspicionTimeout). A fresh suspicion of a member starts with a long timeout
 * (max); each independent confirmation — a suspect message about the same member from a new
 * accuser — shrinks it logarithmically toward min, so that a suspicion many members agree on
 * becomes a death quickly, while a lone (possibly unhealthy) accuser gives the suspect plenty of
 * time to refute.
 *
 *   min = suspicionMult × max(1, log10(max(1, n))) × probeInterval   (scale kept to 3 decimals)
 *   max = suspicionMaxTimeoutMult × min
 *   k   = suspicionConfirmations (memberlist: suspicionMult − 2), 0 if n − 2 < k
 *   after c confirmations: timeout = max(min, floor(max − ln(c+1)/ln(k+1) × (max − min)))
 *
 * The timer is a value ({node, incarnation, token}); every confirmation issues a new timer with a
 * new token, and the older ones are ignored when they fire.
 */
import {assert} from "./errors.ts";

/** The minimum suspicion timeout (ms) for a table of `n` members (self and dead ones included). */
export function suspicionTimeoutMs(suspicionMult: number, n: number, probeIntervalMs: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  // memberlist multiplies by 1000 and truncates to keep three decimals in a time.Duration.
  return Math.floor((suspicionMult * Math.floor(nodeScale * 1000) * probeIntervalMs) / 1000);
}

/** Expected independent confirmations: `k` (suspicionConfirmations), or 0 when the cluster is too small (n − 2 < k). */
export function expectedConfirmations(k: number, n: number): number {
  return n - 2 < k || k < 0 ? 0 : k;
}

/**
 * Time left (ms) on a suspicion after `confirmations` of `k` expected, `elapsedMs` after it
 * started; ≤ 0 means it should fire now (memberlist's remainingSuspicionTime).
 */
export function remainingSuspicionMs(
  confirmations: number,
  k: number,
  elapsedMs: number,
  minMs: number,
  maxMs: number,
): number {
  const frac = k < 1 ? 1 : Math.log(confirmations + 1) / Math.log(k + 1);
  const raw = maxMs - frac * (maxMs - minMs);
  const timeout = Math.max(minMs, Math.floor(raw));
  return timeout - elapsedMs;
}

/** One member's pending suspicion: when it started, its bounds, and who confirmed it. */
export class Suspicion {
  readonly node: string;
  readonly incarnation: number;
  readonly startMs: number;
  readonly k: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** Generation of the current timer; a fired timer with another token is stale. */
  token: number;
  /** When the current timer is due (core time). */
  dueMs = 0;
  /** The verdict was already deferred once for a late timer (config.lateTimerGraceMs). */
  graced = false;
  // BOUNDED: at most k + 1 names (the first accuser plus k confirmations; k ≤ 100).
  private readonly accusers = new Set<string>();

  constructor(
    node: string,
    incarnation: number,
    from: string,
    startMs: number,
    k: number,
    minMs: number,
    maxMs: number,
    token: number,
  ) {
    assert(minMs <= maxMs, "suspicion min must not exceed max");
    this.node = node;
    this.incarnation = incarnation;
    this.startMs = startMs;
    this.k = k;
    this.minMs = minMs;
    this.maxMs = maxMs;
    this.token = token;
    this.accusers.add(from);
  }

  /** Confirmations counted so far (the first accuser does not count). */
  get confirmations(): number {
    return this.accusers.size - 1;
  }

  /** The timeout a fresh suspicion starts with: max, or min when no confirmations are expected. */
  initialTimeoutMs(): number {
    return this.k < 1 ? this.minMs : this.maxMs;
  }

  /**
   * Records an accusation from `from`. Returns the new remaining time (ms, may be ≤ 0) when it
   * counted as a new confirmation, or undefined when it did not (already seen, or k reached).
   */
  confirm(from: string, nowMs: number): number | undefined {
    if (this.confirmations >= this.k) return undefined;
    if (this.accusers.has(from)) return undefined;
    this.accusers.add(from);
    return remainingSuspicionMs(this.confirmations, this.k, nowMs - this.startMs, this.minMs, this.maxMs);
  }
}
