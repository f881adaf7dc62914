/*
 * The virtual clock: "now" plus the shared (timeMs, seq) heap from src/runtime/scheduler.ts.
 * Time only moves when the simulation pops the next event; equal times come out in insertion
 * order, so the order of everything in a run depends only on the seed and the options.
 */
import {Scheduler} from "../src/runtime/index.ts";

/** Virtual time and the queue of future events. */
export class VirtualClock<T> {
  private readonly heap = new Scheduler<T>();
  /** Current virtual time in ms. Never decreases. */
  nowMs = 0;

  /** Events waiting. */
  get pending(): number {
    return this.heap.size;
  }

  /** Schedules `value` at absolute time `atMs` (clamped to now: the past is not reachable). */
  at(atMs: number, value: T): void {
    this.heap.push(Math.max(atMs, this.nowMs), value);
  }

  /** Schedules `value` `delayMs` from now. */
  after(delayMs: number, value: T): void {
    this.heap.push(this.nowMs + Math.max(delayMs, 0), value);
  }

  /** Pops the next event if it is due at or before `limitMs`, advancing now to its time. */
  next(limitMs: number): T | undefined {
    const heap = this.heap;
    const timeMs = heap.peekTimeMs();
    if (heap.size === 0 || timeMs > limitMs) return undefined;
    this.nowMs = timeMs;
    return heap.popValue();
  }

  /** Moves now forward to `timeMs` (when no event is due before it). */
  advanceTo(timeMs: number): void {
    if (timeMs > this.nowMs) this.nowMs = timeMs;
  }
}
