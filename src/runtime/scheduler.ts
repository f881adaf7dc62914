/*
 * A deadline min-heap ordered by (timeMs, seq). Shared by the real driver (which arms a single
 * setTimeout for the earliest deadline) and the simulator (which pops events in virtual time).
 * The insertion sequence number breaks ties, so equal deadlines come out in the order they went
 * in — the property that makes a simulated run deterministic.
 */

export interface Scheduled<T> {
  readonly timeMs: number;
  readonly seq: number;
  readonly value: T;
}

export class Scheduler<T> {
  // UNBOUNDED: holds what the owner schedules; the core bounds its own timers (a fixed set of loops
  // plus one per pending probe and per suspicion, each bounded by the member table).
  private readonly heap: Scheduled<T>[] = [];
  private seqCounter = 0;

  get size(): number {
    return this.heap.length;
  }

  /** The sequence number the next push will get: items pushed from now on have seq ≥ it. */
  get nextSeq(): number {
    return this.seqCounter;
  }

  /** Adds `value` due at `timeMs`. */
  push(timeMs: number, value: T): void {
    const item: Scheduled<T> = {timeMs, seq: this.seqCounter++, value};
    const heap = this.heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as Scheduled<T>;
      if (!before(item, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = item;
  }

  /** The earliest item without removing it. */
  peek(): Scheduled<T> | undefined {
    return this.heap[0];
  }

  /** Removes and returns the earliest item. */
  pop(): Scheduled<T> | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop() as Scheduled<T>;
    if (heap.length > 0) {
      let i = 0;
      const n = heap.length;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        let smallestItem = last;
        if (l < n && before(heap[l] as Scheduled<T>, smallestItem)) {
          smallest = l;
          smallestItem = heap[l] as Scheduled<T>;
        }
        if (r < n && before(heap[r] as Scheduled<T>, smallestItem)) {
          smallest = r;
          smallestItem = heap[r] as Scheduled<T>;
        }
        if (smallest === i) break;
        heap[i] = smallestItem;
        i = smallest;
      }
      heap[i] = last;
    }
    return top;
  }

  /** Removes and returns every item due at or before `timeMs`, in order. */
  popDue(timeMs: number): Scheduled<T>[] {
    const out: Scheduled<T>[] = [];
    for (let top = this.peek(); top !== undefined && top.timeMs <= timeMs; top = this.peek()) {
      out.push(this.pop() as Scheduled<T>);
    }
    return out;
  }

  clear(): void {
    this.heap.length = 0;
  }
}

function before<T>(a: Scheduled<T>, b: Scheduled<T>): boolean {
  return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);
}
