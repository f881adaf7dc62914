/*
 * The trace hash: a running 64-bit FNV-1a-style hash (two independent 32-bit lanes) over compact
 * numeric records of everything that happens in a run — every event handled, every datagram and
 * stream sent (with its length and a sample of its bytes), every member event. Two runs with the
 * same seed and options must end with the same hash; any divergence (a different random draw,
 * a different packet, a different timer) changes it. Nothing is kept in memory but the two
 * lanes, so it costs the same for a ten-second run and a ten-hour one.
 */

const FNV_OFFSET_A = 0x811c9dc5;
const FNV_OFFSET_B = 0x01000193 ^ 0x5bd1e995;
const FNV_PRIME = 0x01000193;

/** A running hash over numeric event records. */
export class TraceHash {
  private a = FNV_OFFSET_A;
  private b = FNV_OFFSET_B;
  /** Records folded in so far. */
  records = 0;

  /** Folds one 32-bit word into both lanes (lane b sees it rotated, so the lanes stay independent). */
  word(value: number): void {
    let a = this.a;
    let b = this.b;
    let v = value | 0;
    for (let i = 0; i < 4; i++) {
      a = Math.imul(a ^ (v & 0xff), FNV_PRIME);
      b = Math.imul(b ^ ((v >>> 3) & 0xff), 0x5bd1e995) ^ (b >>> 15);
      v >>>= 8;
    }
    this.a = a;
    this.b = b;
  }

  /** Folds a record of up to four numbers (times are non-negative; fractions are kept to 1/1024 ms). */
  record(kind: number, x: number, y = 0, z = 0): void {
    this.records++;
    this.word(kind);
    this.word(x);
    this.word(y);
    this.word(z);
  }

  /** Folds a time in ms (kept to 1/1024 ms). */
  time(ms: number): void {
    const scaled = Math.round(ms * 1024);
    this.word(scaled % 0x1_0000_0000);
    this.word(Math.floor(scaled / 0x1_0000_0000));
  }

  /** Folds a byte string's length and up to 16 of its bytes (first 8, last 8): cheap and sensitive enough. */
  bytes(data: Uint8Array): void {
    const n = data.length;
    this.word(n);
    const head = Math.min(8, n);
    for (let i = 0; i < head; i++) this.word(data[i] as number);
    for (let i = Math.max(head, n - 8); i < n; i++) this.word(data[i] as number);
  }

  /** The hash as 16 hex digits. */
  digest(): string {
    return (this.a >>> 0).toString(16).padStart(8, "0") + (this.b >>> 0).toString(16).padStart(8, "0");
  }
}
