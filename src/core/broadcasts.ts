/*
 * The transmit-limited broadcast queue (memberlist's queue.go TransmitLimitedQueue, SWIM §4.1
 * "infection-style dissemination"). Every membership update we accept is queued once and then
 * piggybacked on outgoing packets (pings, acks, gossip rounds) until it has been put in
 * retransmitLimit(retransmitMult, n) = retransmitMult × ceil(log10(n + 1)) packets — enough for
 * it to reach every member with high probability, no more.
 *
 * Selection, per packet: fewest transmits first (tier by tier); within a tier, the newest entry
 * that still fits in the remaining byte budget. Each part costs its size plus 2 bytes of
 * compound overhead. A new update keyed by the same member name replaces (invalidates) the
 * older queued one, so the queue holds at most one update per member.
 *
 * memberlist orders a tier by (size desc, age asc) in a btree; we keep one doubly linked list
 * per tier (newest at the head) and look at most SCAN_LIMIT entries per tier, which makes a
 * packet's selection O(parts) instead of O(queue). Membership messages have nearly equal sizes,
 * so "newest that fits" and "largest that fits" pick almost the same parts.
 *
 * A packet is full long before the queue is empty: the bytes left are less than any queued
 * entry's size, and without more the selection would still scan up to SCAN_LIMIT entries in
 * every remaining tier to find that out. A count of queued entries per size gives the smallest
 * queued size, and the selection stops as soon as the bytes left are below it (which changes no
 * choice: nothing could have fitted).
 */
import {assert} from "./errors.ts";
import type {Message} from "./messages.ts";
import {COMPOUND_PART_OVERHEAD} from "./wire-limits.ts";

/** Entries examined per tier when looking for one that fits. */
const SCAN_LIMIT = 16;
/** Sizes counted one by one below this; larger entries share the last bucket (a lower bound is all take needs). */
const SIZE_BUCKETS = 2048;

/** How many times each update is transmitted: mult × ceil(log10(n + 1)) (memberlist's retransmitLimit). */
export function retransmitLimit(retransmitMult: number, n: number): number {
  const scale = Math.ceil(Math.log10(n + 1));
  return retransmitMult * scale;
}

/** One queued update. */
export class QueuedBroadcast {
  readonly key: string | undefined;
  readonly message: Message;
  /** Encoded size of `message` in bytes (without the per-part overhead). */
  readonly size: number;
  transmits = 0;
  /** False once sent retransmitLimit times, invalidated, or evicted. */
  queued = true;
  prev: QueuedBroadcast | undefined = undefined;
  next: QueuedBroadcast | undefined = undefined;

  constructor(key: string | undefined, message: Message, size: number) {
    this.key = key;
    this.message = message;
    this.size = size;
  }
}

interface Tier {
  head: QueuedBroadcast | undefined;
  tail: QueuedBroadcast | undefined;
}

/** A transmit-limited queue of messages to piggyback. */
export class BroadcastQueue {
  // BOUNDED: `maxEntries` (keyed entries are also bounded by the member table: one per name).
  private readonly tiers: Tier[] = [];
  // BOUNDED: one entry per key, a subset of the queued entries.
  private readonly byKey = new Map<string, QueuedBroadcast>();
  private count = 0;
  private readonly maxEntries: number;
  // BOUNDED: SIZE_BUCKETS counts, grown on demand. Queued entries by min(size, SIZE_BUCKETS - 1).
  private sizeCounts = new Int32Array(0);
  /** No queued entry is smaller than this (exact while entries are below SIZE_BUCKETS - 1 bytes). */
  private minSize = SIZE_BUCKETS - 1;

  /** `maxEntries`: beyond it, the entry with the most transmits (oldest among them) is evicted. */
  constructor(maxEntries: number) {
    assert(maxEntries >= 1, "broadcast queue bound must be positive");
    this.maxEntries = maxEntries;
  }

  /** Number of queued entries. */
  get size(): number {
    return this.count;
  }

  /**
   * Queues `message` (of encoded `size` bytes). With a `key`, an older queued entry under the
   * same key is invalidated (memberlist's NamedBroadcast.Invalidates). Returns the new entry.
   */
  enqueue(key: string | undefined, message: Message, size: number): QueuedBroadcast {
    if (key !== undefined) {
      const old = this.byKey.get(key);
      if (old !== undefined) this.unlink(old);
    }
    if (this.count >= this.maxEntries) this.evictOne();
    const entry = new QueuedBroadcast(key, message, size);
    if (key !== undefined) this.byKey.set(key, entry);
    this.pushHead(0, entry);
    return entry;
  }

  /**
   * Takes entries for one packet: at most `maxParts`, with Σ(size + 2) ≤ `budgetBytes`, fewest
   * transmits first. Each taken entry's transmit count goes up; entries reaching `limit`
   * transmits leave the queue. Appends the taken entries to `out` and returns the bytes used.
   */
  take(budgetBytes: number, maxParts: number, limit: number, out: QueuedBroadcast[]): number {
    let used = 0;
    let parts = 0;
    const start = out.length;
    for (let t = 0; t < this.tiers.length && parts < maxParts; ) {
      const free = budgetBytes - used - COMPOUND_PART_OVERHEAD;
      // Nothing queued is that small (taken entries still count, so this is a lower bound).
      if (free <= 0 || free < this.minSize) break;
      const tier = this.tiers[t] as Tier;
      let pick: QueuedBroadcast | undefined;
      let scanned = 0;
      for (let e = tier.head; e !== undefined && scanned < SCAN_LIMIT; e = e.next, scanned++) {
        if (e.size <= free) {
          pick = e;
          break;
        }
      }
      if (pick === undefined) {
        t++;
        continue;
      }
      this.removeFromTier(pick);
      used += pick.size + COMPOUND_PART_OVERHEAD;
      parts++;
      out.push(pick);
    }
    // Reinsert after the selection, so that one packet never carries the same entry twice.
    for (let i = start; i < out.length; i++) {
      const e = out[i] as QueuedBroadcast;
      e.transmits++;
      if (e.transmits >= limit) {
        e.queued = false;
        this.count--;
        this.uncountSize(e.size);
        if (e.key !== undefined && this.byKey.get(e.key) === e) this.byKey.delete(e.key);
      } else {
        this.pushHead(e.transmits, e, false);
      }
    }
    return used;
  }

  /** Drops every entry. */
  clear(): void {
    this.tiers.length = 0;
    this.byKey.clear();
    this.count = 0;
    this.sizeCounts.fill(0);
    this.minSize = SIZE_BUCKETS - 1;
  }

  /** The queued entry under `key`, if any (for tests and diagnostics). */
  get(key: string): QueuedBroadcast | undefined {
    return this.byKey.get(key);
  }

  private pushHead(t: number, e: QueuedBroadcast, isNew = true): void {
    while (this.tiers.length <= t) this.tiers.push({head: undefined, tail: undefined});
    const tier = this.tiers[t] as Tier;
    e.prev = undefined;
    e.next = tier.head;
    if (tier.head !== undefined) tier.head.prev = e;
    else tier.tail = e;
    tier.head = e;
    if (isNew) {
      this.count++;
      this.countSize(e.size);
    }
  }

  /** Counts a newly queued entry of `size` bytes. */
  private countSize(size: number): void {
    const b = Math.min(size, SIZE_BUCKETS - 1);
    if (b >= this.sizeCounts.length) {
      const grown = new Int32Array(Math.min(SIZE_BUCKETS, Math.max(2 * this.sizeCounts.length, b + 1, 128)));
      grown.set(this.sizeCounts);
      this.sizeCounts = grown;
    }
    this.sizeCounts[b] = (this.sizeCounts[b] as number) + 1;
    if (b < this.minSize) this.minSize = b;
  }

  /** Uncounts an entry that left the queue, moving minSize up past emptied sizes. */
  private uncountSize(size: number): void {
    const counts = this.sizeCounts;
    const b = Math.min(size, SIZE_BUCKETS - 1);
    counts[b] = (counts[b] as number) - 1;
    if (b !== this.minSize || counts[b] !== 0) return;
    if (this.count === 0) {
      this.minSize = SIZE_BUCKETS - 1;
      return;
    }
    let m = b + 1;
    while (m < counts.length && counts[m] === 0) m++;
    this.minSize = Math.min(m, SIZE_BUCKETS - 1);
  }

  private removeFromTier(e: QueuedBroadcast): void {
    const tier = this.tiers[e.transmits] as Tier;
    if (e.prev !== undefined) e.prev.next = e.next;
    else tier.head = e.next;
    if (e.next !== undefined) e.next.prev = e.prev;
    else tier.tail = e.prev;
    e.prev = undefined;
    e.next = undefined;
  }

  private unlink(e: QueuedBroadcast): void {
    if (!e.queued) return;
    this.removeFromTier(e);
    e.queued = false;
    this.count--;
    this.uncountSize(e.size);
    if (e.key !== undefined && this.byKey.get(e.key) === e) this.byKey.delete(e.key);
  }

  private evictOne(): void {
    for (let t = this.tiers.length - 1; t >= 0; t--) {
      const tail = (this.tiers[t] as Tier).tail;
      if (tail !== undefined) {
        this.unlink(tail);
        return;
      }
    }
  }
}
