import {describe, expect, it} from "vitest";
import {BroadcastQueue, type QueuedBroadcast, retransmitLimit} from "../../../src/core/broadcasts.ts";
import type {Message} from "../../../src/core/index.ts";

function user(tag: number, size = 10): {message: Message; size: number} {
  return {message: {type: "user", payload: new Uint8Array([tag])}, size};
}

function tags(items: QueuedBroadcast[]): number[] {
  return items.map((i) => (i.message.type === "user" ? (i.message.payload[0] as number) : -1));
}

function takeAll(q: BroadcastQueue, budget: number, parts: number, limit: number): number[] {
  const out: QueuedBroadcast[] = [];
  q.take(budget, parts, limit, out);
  return tags(out);
}

describe("retransmitLimit", () => {
  const rows = [
    {title: "one member: 4 × ceil(log10 2) = 4", mult: 4, n: 1, want: 4},
    {title: "nine members: still 4", mult: 4, n: 9, want: 4},
    {title: "ten members: 8", mult: 4, n: 10, want: 8},
    {title: "99 members: 8", mult: 4, n: 99, want: 8},
    {title: "100 members: 12", mult: 4, n: 100, want: 12},
    {title: "2000 members: 16", mult: 4, n: 2000, want: 16},
    {title: "local profile mult 2, 5 members: 2", mult: 2, n: 5, want: 2},
  ];
  for (const r of rows) {
    it(r.title, () => {
      expect(retransmitLimit(r.mult, r.n)).toBe(r.want);
    });
  }
});

describe("BroadcastQueue", () => {
  it("transmits each entry exactly `limit` times, then drops it", () => {
    const q = new BroadcastQueue(100);
    const {message, size} = user(1);
    q.enqueue("a", message, size);
    const counts: number[] = [];
    for (let i = 0; i < 6; i++) counts.push(takeAll(q, 1000, 64, 3).length);
    expect(counts).toEqual([1, 1, 1, 0, 0, 0]);
    expect(q.size).toBe(0);
    expect(q.get("a")).toBeUndefined();
  });

  it("never puts the same entry twice into one packet", () => {
    const q = new BroadcastQueue(100);
    q.enqueue("a", user(1).message, 10);
    expect(takeAll(q, 10_000, 64, 10)).toEqual([1]);
  });

  it("invalidates an older entry with the same key", () => {
    const q = new BroadcastQueue(100);
    q.enqueue("a", user(1).message, 10);
    q.enqueue("b", user(2).message, 10);
    q.enqueue("a", user(3).message, 10);
    expect(q.size).toBe(2);
    expect(takeAll(q, 1000, 64, 4).sort()).toEqual([2, 3]);
  });

  it("keeps unkeyed entries side by side", () => {
    const q = new BroadcastQueue(100);
    q.enqueue(undefined, user(1).message, 10);
    q.enqueue(undefined, user(2).message, 10);
    expect(q.size).toBe(2);
  });

  it("sends the entries with the fewest transmits first", () => {
    const q = new BroadcastQueue(100);
    q.enqueue("old", user(1).message, 10);
    expect(takeAll(q, 1000, 64, 5)).toEqual([1]);
    expect(takeAll(q, 1000, 64, 5)).toEqual([1]);
    q.enqueue("mid", user(2).message, 10);
    expect(takeAll(q, 1000, 64, 5)).toEqual([2, 1]);
    q.enqueue("new", user(3).message, 10);
    // Budget for one part at a time: transmits are old 3, mid 1, new 0.
    expect(takeAll(q, 12, 64, 5)).toEqual([3]);
    expect(takeAll(q, 12, 64, 5)).toEqual([3]);
    expect(takeAll(q, 12, 64, 5)).toEqual([2]);
  });

  it("prefers the newest entry within a tier", () => {
    const q = new BroadcastQueue(100);
    for (let i = 1; i <= 3; i++) q.enqueue(`k${i}`, user(i).message, 10);
    expect(takeAll(q, 1000, 64, 5)).toEqual([3, 2, 1]);
  });

  it("respects the byte budget with 2 bytes of overhead per part", () => {
    const q = new BroadcastQueue(100);
    for (let i = 1; i <= 5; i++) q.enqueue(`k${i}`, user(i).message, 10);
    // 3 parts × (10 + 2) = 36 bytes fit in 36; a fourth would need 48.
    expect(takeAll(q, 36, 64, 5)).toHaveLength(3);
    expect(takeAll(q, 35, 64, 5)).toHaveLength(2);
  });

  it("skips an entry too big for the remaining space and takes a smaller one", () => {
    const q = new BroadcastQueue(100);
    q.enqueue("small", user(1).message, 10);
    q.enqueue("big", user(2).message, 100);
    expect(takeAll(q, 50, 64, 5)).toEqual([1]);
    expect(q.get("big")?.transmits).toBe(0);
  });

  it("stops at maxParts", () => {
    const q = new BroadcastQueue(1000);
    for (let i = 0; i < 100; i++) q.enqueue(`k${i}`, user(i).message, 1);
    expect(takeAll(q, 100_000, 64, 5)).toHaveLength(64);
  });

  it("evicts the most-transmitted entry when full", () => {
    const q = new BroadcastQueue(2);
    q.enqueue(undefined, user(1).message, 10);
    takeAll(q, 1000, 64, 5); // entry 1 now has one transmit
    q.enqueue(undefined, user(2).message, 10);
    q.enqueue(undefined, user(3).message, 10);
    expect(q.size).toBe(2);
    expect(takeAll(q, 1000, 64, 5).sort()).toEqual([2, 3]);
  });

  it("drops an entry already at or above a lowered limit after one more send", () => {
    const q = new BroadcastQueue(10);
    q.enqueue("a", user(1).message, 10);
    takeAll(q, 1000, 64, 10);
    takeAll(q, 1000, 64, 10);
    expect(takeAll(q, 1000, 64, 2)).toEqual([1]);
    expect(q.size).toBe(0);
  });

  it("still finds the smallest entry, in any tier, after the smaller ones left the queue", () => {
    const q = new BroadcastQueue(100);
    q.enqueue("tiny", user(1).message, 5);
    q.enqueue("mid", user(2).message, 30);
    q.enqueue("big", user(3).message, 60);
    // Room for 30 + 2 only: "mid" goes (one transmit), "tiny" does not fit after it.
    expect(takeAll(q, 34, 64, 2)).toEqual([2]);
    // "tiny" (5) sends twice and leaves; the smallest queued is now "mid" (30), in tier 1.
    expect(takeAll(q, 8, 64, 2)).toEqual([1]);
    expect(takeAll(q, 8, 64, 2)).toEqual([1]);
    expect(q.get("tiny")).toBeUndefined();
    expect(takeAll(q, 31, 64, 2)).toEqual([]);
    expect(takeAll(q, 32, 64, 2)).toEqual([2]);
    expect(takeAll(q, 62, 64, 2)).toEqual([3]);
    expect(q.size).toBe(1);
    q.clear();
    q.enqueue("huge", user(4).message, 5000);
    expect(takeAll(q, 6000, 64, 2)).toEqual([4]);
  });
});
