/*
 * Model-based test (fast-check commands) of the transmit-limited broadcast queue against a
 * reference model written from its specification (broadcasts.ts header, memberlist's queue.go):
 *
 *   - enqueue(key): an older entry under the same key is invalidated; beyond maxEntries the entry
 *     with the most transmits is evicted, the least recently (re)queued one among them;
 *   - take(budget, parts, limit): tier by tier from the fewest transmits; within a tier the most
 *     recently (re)queued entry that fits the remaining budget (each part costs size + 2 bytes);
 *     taken entries count one more transmit, leave the queue at `limit`, and are re-queued as the
 *     newest of their new tier in the order they were taken.
 *
 * The model keeps entries in one plain array with a logical clock; it is slow and obviously
 * right. Besides the exact selection, every step checks the properties memberlist relies on:
 * the budget and part limits hold, no entry is ever sent more than `limit` times, an invalidated
 * entry is never sent again, and at most one entry per key is queued.
 */
import fc from "fast-check";
import {describe, expect, it} from "vitest";
import {BroadcastQueue, type QueuedBroadcast} from "../../src/core/broadcasts.ts";
import type {Message} from "../../src/core/index.ts";
import {checkProperty} from "../helpers/property-run.ts";

const OVERHEAD = 2;
/** The queue scans this many entries per tier; the model's tiers stay below it so selection is exact. */
const MAX_ENTRIES = 12;

interface ModelEntry {
  readonly id: number;
  readonly key: string | undefined;
  readonly size: number;
  transmits: number;
  /** Logical time it entered its current tier. */
  stamp: number;
}

class Model {
  entries: ModelEntry[] = [];
  clock = 0;
  /** Times each entry id was sent, over its whole life. */
  readonly sent = new Map<number, number>();
  readonly dead = new Set<number>();

  enqueue(id: number, key: string | undefined, size: number): void {
    if (key !== undefined) {
      const old = this.entries.find((e) => e.key === key);
      if (old !== undefined) this.remove(old);
    }
    if (this.entries.length >= MAX_ENTRIES) {
      const most = Math.max(...this.entries.map((e) => e.transmits));
      const victims = this.entries.filter((e) => e.transmits === most);
      const oldest = victims.reduce((a, b) => (b.stamp < a.stamp ? b : a));
      this.remove(oldest);
    }
    this.entries.push({id, key, size, transmits: 0, stamp: this.clock++});
  }

  take(budget: number, parts: number, limit: number): number[] {
    const picked: ModelEntry[] = [];
    let used = 0;
    const tiers = [...new Set(this.entries.map((e) => e.transmits))].sort((a, b) => a - b);
    for (const t of tiers) {
      for (;;) {
        if (picked.length >= parts) break;
        const free = budget - used - OVERHEAD;
        if (free <= 0) break;
        const pick = this.entries
          .filter((e) => e.transmits === t && !picked.includes(e) && e.size <= free)
          .sort((a, b) => b.stamp - a.stamp)[0];
        if (pick === undefined) break;
        picked.push(pick);
        used += pick.size + OVERHEAD;
      }
    }
    for (const e of picked) {
      e.transmits++;
      this.sent.set(e.id, (this.sent.get(e.id) ?? 0) + 1);
      if (e.transmits >= limit) this.remove(e);
      else e.stamp = this.clock++;
    }
    return picked.map((e) => e.id);
  }

  private remove(e: ModelEntry): void {
    this.entries = this.entries.filter((x) => x !== e);
    this.dead.add(e.id);
  }
}

interface Real {
  queue: BroadcastQueue;
  nextId: number;
  /** Limit of every take in this run (the node uses one limit for a given cluster size). */
  readonly limit: number;
}

const idOf = (b: QueuedBroadcast): number => ((b.message as {payload: Uint8Array}).payload[0] as number) | 0;

function message(id: number): Message {
  return {type: "user", payload: Uint8Array.of(id)};
}

class EnqueueCommand implements fc.Command<Model, Real> {
  readonly key: string | undefined;
  readonly size: number;
  constructor(key: string | undefined, size: number) {
    this.key = key;
    this.size = size;
  }
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    const id = real.nextId++ & 255;
    model.enqueue(id, this.key, this.size);
    real.queue.enqueue(this.key, message(id), this.size);
    expect(real.queue.size).toBe(model.entries.length);
    if (this.key !== undefined)
      expect(real.queue.get(this.key) && idOf(real.queue.get(this.key) as QueuedBroadcast)).toBe(id);
  }
  toString(): string {
    return `enqueue(${this.key ?? "-"}, ${this.size})`;
  }
}

class TakeCommand implements fc.Command<Model, Real> {
  readonly budget: number;
  readonly parts: number;
  constructor(budget: number, parts: number) {
    this.budget = budget;
    this.parts = parts;
  }
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    const deadBefore = new Set(model.dead);
    const want = model.take(this.budget, this.parts, real.limit);
    const out: QueuedBroadcast[] = [];
    const used = real.queue.take(this.budget, this.parts, real.limit, out);
    const got = out.map(idOf);
    expect(got).toEqual(want);
    expect(out.length).toBeLessThanOrEqual(this.parts);
    expect(used).toBe(out.reduce((s, b) => s + b.size + OVERHEAD, 0));
    expect(used).toBeLessThanOrEqual(this.budget);
    for (const id of got) {
      expect(deadBefore.has(id), `entry ${id} sent after it was invalidated or retired`).toBe(false);
      expect(model.sent.get(id) ?? 0).toBeLessThanOrEqual(real.limit);
    }
    expect(real.queue.size).toBe(model.entries.length);
  }
  toString(): string {
    return `take(${this.budget}, ${this.parts})`;
  }
}

const commands = [
  fc
    .tuple(fc.option(fc.constantFrom("a", "b", "c", "d", "e"), {nil: undefined}), fc.integer({min: 1, max: 120}))
    .map(([key, size]) => new EnqueueCommand(key, size)),
  fc
    .tuple(fc.integer({min: 0, max: 400}), fc.integer({min: 1, max: 6}))
    .map(([budget, parts]) => new TakeCommand(budget, parts)),
];

describe("broadcast queue model", () => {
  it("the broadcast queue selects, retires and invalidates exactly as the reference model", () => {
    checkProperty(
      "the broadcast queue selects, retires and invalidates exactly as the reference model",
      fc.record({limit: fc.integer({min: 1, max: 6}), cmds: fc.commands(commands, {maxCommands: 60})}),
      ({limit, cmds}) => {
        fc.modelRun(
          () => ({model: new Model(), real: {queue: new BroadcastQueue(MAX_ENTRIES), nextId: 1, limit}}),
          cmds,
        );
        return true;
      },
      {numRuns: 150, file: import.meta.url, maxShrinks: 500},
    );
  });
});
