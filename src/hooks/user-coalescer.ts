/*
 * Coalescing of user events before the handlers see them, as serf does it (serf/coalesce.go's
 * loop with serf/coalesce_user.go's rule). Pure: time comes in as `nowMs`, and the caller arms
 * one timer for `dueMs`.
 *
 *   event (coalesce flag) ─▶ held: per name, only the latest LTime (every event of that LTime)
 *   event (no flag)       ─▶ passed through at once
 *   flush when now ≥ min(first held + coalescePeriodMs, last held + quiescentPeriodMs)
 *
 * So a burst of `deploy` events (v1, v2, v3 with rising LTimes) runs the handlers once, for v3;
 * a quiet second after the last one (or three seconds after the first, if the burst goes on)
 * lets it through. Serf flushes its map in Go's random order; here names leave in the order they
 * were first held. A period of 0 turns coalescing off (serf: both periods must be > 0).
 */

/** What the coalescer needs of an event. */
export interface CoalescibleEvent {
  readonly name: string;
  readonly lTime: number;
  readonly coalesce: boolean;
}

/** The two periods, in ms. */
export interface UserCoalesceConfig {
  /** Longest a held event waits (serf's UserCoalescePeriod; the serf agent uses 3 s). */
  readonly coalescePeriodMs: number;
  /** A flush happens once no event came for this long (serf's UserQuiescentPeriod; 1 s). */
  readonly quiescentPeriodMs: number;
}

/** Serf agent's defaults (cmd/serf/command/agent/command.go). */
export const USER_COALESCE_DEFAULTS: UserCoalesceConfig = {coalescePeriodMs: 3_000, quiescentPeriodMs: 1_000};

export class UserEventCoalescer<E extends CoalescibleEvent> {
  private readonly config: UserCoalesceConfig;
  // BOUNDED: one entry per event name held in the current window; each holds the events of one
  // LTime only (the caller's event source de-duplicates, so at most one per sender per LTime).
  private held = new Map<string, {lTime: number; events: E[]}>();
  private windowEndMs: number | undefined;
  private quietEndMs: number | undefined;
  /** Events dropped because a later LTime of the same name came in the window (monotonic). */
  superseded = 0;

  constructor(config: UserCoalesceConfig = USER_COALESCE_DEFAULTS) {
    this.config = config;
  }

  /** Whether coalescing is on (both periods > 0). */
  get enabled(): boolean {
    return this.config.coalescePeriodMs > 0 && this.config.quiescentPeriodMs > 0;
  }

  /** Events held now. */
  get size(): number {
    let n = 0;
    for (const entry of this.held.values()) n += entry.events.length;
    return n;
  }

  /** When the held events are due, or undefined when nothing is held. */
  get dueMs(): number | undefined {
    if (this.windowEndMs === undefined || this.quietEndMs === undefined) return undefined;
    return Math.min(this.windowEndMs, this.quietEndMs);
  }

  /**
   * Takes one event. Returns what to deliver now: the event itself when it passes through (no
   * coalesce flag, or coalescing off), else nothing (it is held, or older than what is held).
   */
  offer(nowMs: number, event: E): readonly E[] {
    if (!event.coalesce || !this.enabled) return [event];
    this.windowEndMs ??= nowMs + this.config.coalescePeriodMs;
    this.quietEndMs = nowMs + this.config.quiescentPeriodMs;
    const latest = this.held.get(event.name);
    if (latest === undefined || latest.lTime < event.lTime) {
      // Re-inserting keeps the name's first-held position (Map order): delete is not called.
      this.superseded += latest?.events.length ?? 0;
      this.held.set(event.name, {lTime: event.lTime, events: [event]});
    } else if (latest.lTime === event.lTime) {
      latest.events.push(event);
    } else {
      this.superseded++;
    }
    return [];
  }

  /** The held events when they are due at `nowMs` (else nothing); the window then starts afresh. */
  flushDue(nowMs: number): E[] {
    const due = this.dueMs;
    if (due === undefined || nowMs < due) return [];
    return this.flush();
  }

  /** Every held event, now, in the order their names were first held. */
  flush(): E[] {
    const out: E[] = [];
    for (const entry of this.held.values()) out.push(...entry.events);
    this.held = new Map();
    this.windowEndMs = undefined;
    this.quietEndMs = undefined;
    return out;
  }
}
