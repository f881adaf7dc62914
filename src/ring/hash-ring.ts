/*
 * A consistent-hash ring with virtual nodes (Karger et al. 1997; the "token ring" of Dynamo and
 * Cassandra, ringpop's 100 replica points).
 *
 * Each member is placed at `vnodes` pseudo-random positions on a circle of 2^53 points:
 *
 *     position(member, i) = ringHash(member + "#" + i)        i = 0 … vnodes−1
 *
 * A key is owned by the member at the first position clockwise from ringHash(key) (inclusive),
 * wrapping at 2^53. So each position p "owns" the arc (previous position, p]. When a member
 * leaves the ring only its arcs change hands — each to the next position clockwise, which belongs
 * to a random survivor — so only its keys move, and they spread over the survivors. When a member
 * joins, it takes arcs from the others and nothing else moves. With V vnodes per member the
 * share of each member has a relative standard deviation of about 1/√V (≈ 6 % at V = 256).
 *
 * Everything is a pure function of the member names and `vnodes`: two processes with the same
 * member set build identical rings. Ties between equal positions (2^-53 odds) break by name.
 *
 * Measured spread (10 members, 100k keys, `vnodes` = 256; see test/unit/ring): each member owns
 * 0.90–1.11 × its fair share; when one member dies, each survivor receives 0.50–1.64 × an equal
 * part of the dead member's keys (worst case over all ten removals). Raise `vnodes` for smoother
 * hand-overs (512: 0.68–1.52) at the cost of memory (8 bytes + one reference per position).
 *
 * `setMembers` returns a RingChange: the arcs whose owner changed (`from` → `to`), merged where
 * adjacent, so a listener can hand over exactly the affected keys.
 */
import {InvalidConfigError} from "../core/index.ts";
import {RING_SIZE, ringHash} from "./hash.ts";

/** Ring options. */
export interface HashRingInit {
  /** Positions per member. Default 256. Integer 1..4096. More = smoother spread, more memory. */
  readonly vnodes?: number;
}

/** Default positions per member. */
export const DEFAULT_VNODES = 256;

/** An arc of the ring, `(start, end]`, wrapping through 0 when `start >= end`. */
export interface RingRange {
  /** Exclusive start position. */
  readonly start: number;
  /** Inclusive end position. */
  readonly end: number;
}

/** An arc whose owner changed; `null` means no owner (an empty ring). */
export interface RingMove extends RingRange {
  readonly from: string | null;
  readonly to: string | null;
}

/** What one `setMembers` call changed. */
export interface RingChange {
  /** Members added to the ring, sorted. */
  readonly added: readonly string[];
  /** Members removed from the ring, sorted. */
  readonly removed: readonly string[];
  /** The members after the change, sorted. */
  readonly members: readonly string[];
  /** Arcs that changed owner, in ring order, adjacent arcs with the same from/to merged (computed on first read). */
  readonly moved: readonly RingMove[];
  /** Share of the key space (0..1) that changed owner. */
  readonly movedFraction: number;
}

/** The sorted token table of one ring state: parallel arrays, position ascending. */
interface Tokens {
  readonly positions: Float64Array;
  readonly owners: readonly string[];
}

const EMPTY_TOKENS: Tokens = {positions: new Float64Array(0), owners: []};

/** Index of the first token with position ≥ `hash`, wrapping to 0. Assumes a non-empty table. */
function successor(tokens: Tokens, hash: number): number {
  const positions = tokens.positions;
  let low = 0;
  let high = positions.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((positions[mid] as number) < hash) low = mid + 1;
    else high = mid;
  }
  return low === positions.length ? 0 : low;
}

function ownerAt(tokens: Tokens, hash: number): string | null {
  if (tokens.owners.length === 0) return null;
  return tokens.owners[successor(tokens, hash)] as string;
}

/** Length of the arc (start, end] on the ring. */
function arcLength(start: number, end: number): number {
  return end > start ? end - start : RING_SIZE - start + end;
}

/** A consistent-hash ring. Not thread-shared; rebuilds its token table on each membership change. */
export class HashRing {
  readonly vnodes: number;
  // BOUNDED: one entry per member of the ring (the caller's member set).
  private readonly positionsByMember = new Map<string, Float64Array>();
  private tokens: Tokens = EMPTY_TOKENS;

  constructor(init: HashRingInit = {}) {
    const vnodes = init.vnodes ?? DEFAULT_VNODES;
    if (!Number.isInteger(vnodes) || vnodes < 1 || vnodes > 4096) {
      throw new InvalidConfigError("vnodes", `must be an integer between 1 and 4096 (got ${vnodes})`);
    }
    this.vnodes = vnodes;
  }

  /** Members on the ring, sorted. */
  members(): string[] {
    return [...this.positionsByMember.keys()].sort();
  }

  /** Number of members on the ring. */
  get size(): number {
    return this.positionsByMember.size;
  }

  /** Whether `name` is on the ring. */
  has(name: string): boolean {
    return this.positionsByMember.has(name);
  }

  /** The member that owns `key`, or undefined on an empty ring. */
  owner(key: string | Uint8Array): string | undefined {
    return ownerAt(this.tokens, ringHash(key)) ?? undefined;
  }

  /**
   * Up to `n` distinct members for `key`: the owner first, then the next distinct members
   * clockwise (the replica set of Dynamo's preference list). Fewer when the ring is smaller.
   */
  owners(key: string | Uint8Array, n: number): string[] {
    if (!Number.isInteger(n) || n < 0) throw new InvalidConfigError("n", `must be an integer ≥ 0 (got ${n})`);
    const tokens = this.tokens;
    const result: string[] = [];
    const total = tokens.owners.length;
    if (total === 0 || n === 0) return result;
    const want = Math.min(n, this.positionsByMember.size);
    const start = successor(tokens, ringHash(key));
    for (let step = 0; step < total && result.length < want; step++) {
      const name = tokens.owners[(start + step) % total] as string;
      if (!result.includes(name)) result.push(name);
    }
    return result;
  }

  /** The ring position of `key` (for display and debugging). */
  position(key: string | Uint8Array): number {
    return ringHash(key);
  }

  /** Share of the key space (0..1) each member owns. Members sum to 1 (or the map is empty). */
  ownership(): Map<string, number> {
    const shares = new Map<string, number>();
    const {positions, owners} = this.tokens;
    for (let i = 0; i < positions.length; i++) {
      const previous = positions[(i - 1 + positions.length) % positions.length] as number;
      const current = positions[i] as number;
      // One position owns the whole circle; a duplicate position owns nothing.
      const length = positions.length === 1 ? RING_SIZE : previous === current ? 0 : arcLength(previous, current);
      const name = owners[i] as string;
      shares.set(name, (shares.get(name) ?? 0) + length / RING_SIZE);
    }
    return shares;
  }

  /** Add one member. Same as `setMembers([...members(), name])`. */
  add(name: string): RingChange {
    return this.setMembers([...this.positionsByMember.keys(), name]);
  }

  /** Remove one member. Same as `setMembers(members() without name)`. */
  remove(name: string): RingChange {
    return this.setMembers([...this.positionsByMember.keys()].filter((member) => member !== name));
  }

  /** Replace the member set (duplicates ignored) and report which arcs changed owner. */
  setMembers(names: Iterable<string>): RingChange {
    const next = new Set(names);
    const added: string[] = [];
    const removed: string[] = [];
    for (const name of this.positionsByMember.keys()) if (!next.has(name)) removed.push(name);
    for (const name of next) if (!this.positionsByMember.has(name)) added.push(name);
    const members = [...next].sort();
    if (added.length === 0 && removed.length === 0) {
      return {added, removed, members, moved: [], movedFraction: 0};
    }
    for (const name of removed) this.positionsByMember.delete(name);
    for (const name of added) this.positionsByMember.set(name, this.positionsOf(name));
    const before = this.tokens;
    this.tokens = this.applyChange(removed, added);
    const after = this.tokens;
    // The diff is computed on first read: a large change (a join that brings in a thousand
    // members) has hundreds of thousands of arcs, and most callers only need who came and went.
    let moved: RingMove[] | undefined;
    let movedFraction: number | undefined;
    return {
      added: added.sort(),
      removed: removed.sort(),
      members,
      get moved() {
        moved ??= diffTokens(before, after);
        return moved;
      },
      get movedFraction() {
        if (movedFraction === undefined) {
          let movedLength = 0;
          for (const move of this.moved) movedLength += arcLength(move.start, move.end);
          movedFraction = movedLength / RING_SIZE;
        }
        return movedFraction;
      },
    };
  }

  private positionsOf(name: string): Float64Array {
    const positions = new Float64Array(this.vnodes);
    for (let i = 0; i < this.vnodes; i++) positions[i] = ringHash(`${name}#${i}`);
    return positions.sort(); // typed arrays sort numerically
  }

  /**
   * The token table without `removed` and with `added`, built incrementally: a filter, then a
   * merge with the new members' sorted positions — O(T + A·V·log(A·V)) for T tokens. Equal
   * positions (2^-53 odds) are all kept, ordered by name, and the lowest name owns the position
   * (`successor` finds the first), so the table is the same whatever order members came in.
   */
  private applyChange(removed: readonly string[], added: readonly string[]): Tokens {
    const gone = new Set(removed);
    const old = this.tokens;
    // The new members' positions (each member's already sorted), merged by (position, name).
    const freshCount = added.length * this.vnodes;
    const {positions: freshSorted, owners: freshSortedOwners} = mergeMembers(
      added.map((owner) => ({owner, positions: this.positionsByMember.get(owner) as Float64Array})),
    );
    let keptCount = 0;
    for (const owner of old.owners) if (!gone.has(owner)) keptCount++;
    const total = keptCount + freshCount;
    const positions = new Float64Array(total);
    const owners: string[] = new Array(total);
    let i = 0; // index into old (skipping removed owners)
    let j = 0; // index into the sorted new tokens
    const skipGone = (): void => {
      while (i < old.owners.length && gone.has(old.owners[i] as string)) i++;
    };
    skipGone();
    for (let k = 0; k < total; k++) {
      let takeOld = j >= freshCount;
      if (!takeOld && i < old.owners.length) {
        const oldPosition = old.positions[i] as number;
        const freshPosition = freshSorted[j] as number;
        takeOld =
          oldPosition < freshPosition ||
          (oldPosition === freshPosition && compareNames(old.owners[i] as string, freshSortedOwners[j] as string) < 0);
      }
      if (takeOld) {
        positions[k] = old.positions[i] as number;
        owners[k] = old.owners[i] as string;
        i++;
        skipGone();
      } else {
        positions[k] = freshSorted[j] as number;
        owners[k] = freshSortedOwners[j] as string;
        j++;
      }
    }
    return {positions, owners};
  }
}

/**
 * K-way merge of members' sorted positions into one table ordered by (position, owner name),
 * with a binary heap of member cursors: O(T log m) for T tokens of m members, and no per-token
 * allocation (a comparator sort of 256k tokens spent most of its time in the garbage collector).
 */
function mergeMembers(groups: readonly {readonly owner: string; readonly positions: Float64Array}[]): Tokens {
  let total = 0;
  for (const group of groups) total += group.positions.length;
  const positions = new Float64Array(total);
  const owners: string[] = new Array(total);
  const cursor = new Int32Array(groups.length);
  const heap = new Int32Array(groups.length);
  let size = 0;
  const head = (g: number): number => (groups[g] as {positions: Float64Array}).positions[cursor[g] as number] as number;
  const less = (g: number, h: number): boolean => {
    const a = head(g);
    const b = head(h);
    return (
      a < b || (a === b && compareNames((groups[g] as {owner: string}).owner, (groups[h] as {owner: string}).owner) < 0)
    );
  };
  const siftDown = (from: number): void => {
    let i = from;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) return;
      const right = left + 1;
      let smallest = right < size && less(heap[right] as number, heap[left] as number) ? right : left;
      if (!less(heap[smallest] as number, heap[i] as number)) return;
      const swap = heap[i] as number;
      heap[i] = heap[smallest] as number;
      heap[smallest] = swap;
      i = smallest;
      smallest = 0;
    }
  };
  for (let g = 0; g < groups.length; g++)
    if ((groups[g] as {positions: Float64Array}).positions.length > 0) heap[size++] = g;
  for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(i);
  for (let k = 0; k < total; k++) {
    const g = heap[0] as number;
    positions[k] = head(g);
    owners[k] = (groups[g] as {owner: string}).owner;
    cursor[g] = (cursor[g] as number) + 1;
    if ((cursor[g] as number) >= (groups[g] as {positions: Float64Array}).positions.length)
      heap[0] = heap[--size] as number;
    siftDown(0);
  }
  return {positions, owners};
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The arcs whose owner differs between two token tables. Every boundary of either table cuts
 * the circle into elementary arcs; each is owned by one member in each table (its successor).
 */
function diffTokens(before: Tokens, after: Tokens): RingMove[] {
  const boundaries = mergeSorted(before.positions, after.positions);
  if (boundaries.length === 0) return [];
  const arcs: RingMove[] = [];
  // Boundaries ascend, so each table's successor index only moves forward: one pass, no search.
  let bi = 0;
  let ai = 0;
  for (let i = 0; i < boundaries.length; i++) {
    const end = boundaries[i] as number;
    const start = boundaries[(i - 1 + boundaries.length) % boundaries.length] as number;
    while (bi < before.positions.length && (before.positions[bi] as number) < end) bi++;
    while (ai < after.positions.length && (after.positions[ai] as number) < end) ai++;
    const from = before.owners.length === 0 ? null : (before.owners[bi % before.owners.length] as string);
    const to = after.owners.length === 0 ? null : (after.owners[ai % after.owners.length] as string);
    if (from === to) continue;
    const last = arcs[arcs.length - 1];
    if (last !== undefined && last.end === start && last.from === from && last.to === to) {
      arcs[arcs.length - 1] = {start: last.start, end, from, to};
    } else {
      arcs.push({start, end, from, to});
    }
  }
  // The first and last arcs may join through the wrap point.
  if (arcs.length > 1) {
    const first = arcs[0] as RingMove;
    const last = arcs[arcs.length - 1] as RingMove;
    if (last.end === first.start && last.from === first.from && last.to === first.to) {
      arcs[0] = {start: last.start, end: first.end, from: first.from, to: first.to};
      arcs.pop();
    }
  }
  return arcs;
}

/** Union of two ascending arrays, ascending, without duplicates. */
function mergeSorted(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  let n = 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = i < a.length ? (a[i] as number) : Number.POSITIVE_INFINITY;
    const y = j < b.length ? (b[j] as number) : Number.POSITIVE_INFINITY;
    const next = Math.min(x, y);
    if (x === next) i++;
    if (y === next) j++;
    if (n === 0 || out[n - 1] !== next) out[n++] = next;
  }
  return out.subarray(0, n);
}

/** Whether ring position `hash` lies in the arc `(start, end]` (wrapping when start ≥ end). */
export function inRange(range: RingRange, hash: number): boolean {
  if (range.start < range.end) return hash > range.start && hash <= range.end;
  return hash > range.start || hash <= range.end;
}
