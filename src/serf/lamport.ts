/*
 * Serf's Lamport clock (serf/lamport.go): a counter that only moves forward. `increment` returns
 * the new time; `witness(v)` moves the clock past a value seen from another member, so the next
 * local event orders after it (a value ≥ ours makes ours value + 1; an older value changes nothing).
 */
export class LamportClock {
  private counter: number;

  constructor(start = 0) {
    this.counter = start;
  }

  /** The current time. */
  get time(): number {
    return this.counter;
  }

  /** Advances by one and returns the new time. */
  increment(): number {
    this.counter += 1;
    return this.counter;
  }

  /** Records a time seen elsewhere. */
  witness(value: number): void {
    if (value >= this.counter) this.counter = value + 1;
  }
}
