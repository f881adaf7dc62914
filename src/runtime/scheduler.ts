/*
 * A deadline min-heap ordered by (timeMs, seq). Shared by the real driver (which arms a single
 * wake-up for the earliest deadline) and the simulator (which pops events in virtual time).
 * The insertion sequence number breaks ties, so equal deadlines come out in the order they went
 * in — the property that makes a simulated run deterministic.
 *
 * The keys live in one typed array beside the values, so sifting compares contiguous numbers
 * instead of chasing one object per entry, and a push allocates nothing once the arrays have
 * grown: the simulator runs a thousand drivers' heaps and one big event heap in one process.
 * peekTimeMs / peekSeq / popValue are the allocation-free forms of peek / pop.
 */

export interface Scheduled<T> {
  readonly timeMs: number;
  readonly seq: number;
  readonly value: T;
}

const INITIAL_CAPACITY = 8;

export class Scheduler<T> {
  // UNBOUNDED: holds what the owner schedules; the core bounds its own timers (a fixed set of loops
  // plus one per pending probe and per suspicion, each bounded by the member table).
  /** Entry i's deadline at 2i and its seq at 2i + 1: one entry's keys share a cache line. */
  private keys = new Float64Array(2 * INITIAL_CAPACITY);
  private values: (T | undefined)[] = [];
  private count = 0;
  private seqCounter = 0;

  get size(): number {
    return this.count;
  }

  /** The sequence number the next push will get: items pushed from now on have seq ≥ it. */
  get nextSeq(): number {
    return this.seqCounter;
  }

  /** Adds `value` due at `timeMs`. */
  push(timeMs: number, value: T): void {
    if (2 * this.count === this.keys.length) this.grow();
    const keys = this.keys;
    const values = this.values;
    const seq = this.seqCounter++;
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = keys[2 * parent] as number;
      const ps = keys[2 * parent + 1] as number;
      if (pt < timeMs || (pt === timeMs && ps < seq)) break;
      keys[2 * i] = pt;
      keys[2 * i + 1] = ps;
      values[i] = values[parent];
      i = parent;
    }
    keys[2 * i] = timeMs;
    keys[2 * i + 1] = seq;
    values[i] = value;
  }

  /** Deadline of the earliest item; +Infinity when empty. */
  peekTimeMs(): number {
    return this.count > 0 ? (this.keys[0] as number) : Number.POSITIVE_INFINITY;
  }

  /** Sequence number of the earliest item; +Infinity when empty. */
  peekSeq(): number {
    return this.count > 0 ? (this.keys[1] as number) : Number.POSITIVE_INFINITY;
  }

  /** The earliest item without removing it. */
  peek(): Scheduled<T> | undefined {
    if (this.count === 0) return undefined;
    return {timeMs: this.keys[0] as number, seq: this.keys[1] as number, value: this.values[0] as T};
  }

  /** Removes and returns the earliest item. */
  pop(): Scheduled<T> | undefined {
    const top = this.peek();
    if (top !== undefined) this.popValue();
    return top;
  }

  /** Removes the earliest item and returns its value (undefined when empty). */
  popValue(): T | undefined {
    const n = this.count;
    if (n === 0) return undefined;
    const keys = this.keys;
    const values = this.values;
    const top = values[0];
    const last = n - 1;
    this.count = last;
    const lt = keys[2 * last] as number;
    const ls = keys[2 * last + 1] as number;
    const lv = values[last];
    values[last] = undefined;
    if (last > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= last) break;
        const r = l + 1;
        let c = l;
        let ct = keys[2 * l] as number;
        let cs = keys[2 * l + 1] as number;
        if (r < last) {
          const rt = keys[2 * r] as number;
          const rs = keys[2 * r + 1] as number;
          if (rt < ct || (rt === ct && rs < cs)) {
            c = r;
            ct = rt;
            cs = rs;
          }
        }
        if (lt < ct || (lt === ct && ls < cs)) break;
        keys[2 * i] = ct;
        keys[2 * i + 1] = cs;
        values[i] = values[c];
        i = c;
      }
      keys[2 * i] = lt;
      keys[2 * i + 1] = ls;
      values[i] = lv;
    }
    return top;
  }

  /** Removes and returns every item due at or before `timeMs`, in order. */
  popDue(timeMs: number): Scheduled<T>[] {
    const out: Scheduled<T>[] = [];
    while (this.count > 0 && (this.keys[0] as number) <= timeMs) out.push(this.pop() as Scheduled<T>);
    return out;
  }

  clear(): void {
    this.values.fill(undefined, 0, this.count);
    this.count = 0;
  }

  private grow(): void {
    const keys = new Float64Array(this.keys.length * 2);
    keys.set(this.keys);
    this.keys = keys;
  }
}
