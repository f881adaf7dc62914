/*
 * Serf's de-duplication buffers for user events and queries: a ring of `size` slots indexed by
 * LTime % size, each slot holding what was seen at one Lamport time. Anything older than
 * `clock − size` is refused as too old to tell apart from a duplicate (serf's default size is 512).
 *
 *   accept(lTime, item):  too old ─▶ "old"   same (lTime, item) seen ─▶ "duplicate"   else ─▶ "new"
 */
export type RecentVerdict = "new" | "duplicate" | "old";

interface Slot<T> {
  readonly lTime: number;
  readonly items: T[];
}

export class RecentBuffer<T> {
  // BOUNDED: `size` slots; a slot holds the items of one Lamport time (each a distinct message).
  private readonly slots: (Slot<T> | undefined)[];
  readonly size: number;
  private readonly same: (a: T, b: T) => boolean;

  constructor(size: number, same: (a: T, b: T) => boolean) {
    this.size = size;
    this.same = same;
    this.slots = new Array(size).fill(undefined);
  }

  /** Records `item` at `lTime` unless it is old or already seen; `clock` is the current time after witnessing. */
  accept(lTime: number, item: T, clock: number): RecentVerdict {
    if (clock > this.size && lTime < clock - this.size) return "old";
    const index = lTime % this.size;
    const slot = this.slots[index];
    if (slot !== undefined && slot.lTime === lTime) {
      if (slot.items.some((seen) => this.same(seen, item))) return "duplicate";
      slot.items.push(item);
    } else {
      this.slots[index] = {lTime, items: [item]};
    }
    return "new";
  }

  /** Every slot, in index order (undefined where empty): serf's push-pull sends the whole ring. */
  snapshot(): readonly ({readonly lTime: number; readonly items: readonly T[]} | undefined)[] {
    return this.slots;
  }
}
