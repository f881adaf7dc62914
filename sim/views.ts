/*
 * Every node's view of the cluster, kept from the member events the nodes emit, and the truth
 * (which processes are running), so that "do all live nodes agree?" is an O(1) question.
 *
 * A dense n × n byte matrix holds observer i's last known state of member j (unknown, alive,
 * suspect, dead, left). A member is "in" an observer's view when alive or suspect (memberlist
 * counts suspects as members). The pair (i, j) disagrees when i is running, i ≠ j and
 * in(i, j) ≠ running(j). `disagreements` is the number of such pairs, updated incrementally:
 * O(1) per event, O(n) per crash or restart. It is zero exactly when every live node sees
 * exactly the live nodes — the agreement the liveness checks wait for.
 * Memory: n² bytes (4 MB at 2,000 nodes, 100 MB at 10,000).
 */

/** Member state codes in the matrix. */
export const VIEW_UNKNOWN = 0;
export const VIEW_ALIVE = 1;
export const VIEW_SUSPECT = 2;
export const VIEW_DEAD = 3;
export const VIEW_LEFT = 4;

function isIn(code: number): number {
  return code === VIEW_ALIVE || code === VIEW_SUSPECT ? 1 : 0;
}

/** All nodes' views plus the ground truth, with an incremental agreement counter. */
export class ClusterViews {
  readonly n: number;
  private readonly matrix: Uint8Array;
  /** 1 while node i's process runs (paused counts as running). */
  readonly up: Uint8Array;
  private readonly rowMismatch: Int32Array;
  /** Cluster size as node i sees it: itself plus every member it holds alive or suspect. */
  readonly viewSize: Int32Array;
  /** Pairs (live observer, member) whose view differs from the truth. */
  disagreements = 0;
  /** Running processes. */
  live = 0;

  constructor(n: number) {
    this.n = n;
    this.matrix = new Uint8Array(n * n);
    this.up = new Uint8Array(n);
    this.rowMismatch = new Int32Array(n);
    this.viewSize = new Int32Array(n);
  }

  /** Do all running nodes see exactly the running nodes? (False when nothing runs.) */
  agree(): boolean {
    return this.live > 0 && this.disagreements === 0;
  }

  /** Observer i's state code for member j. */
  stateOf(i: number, j: number): number {
    return this.matrix[i * this.n + j] as number;
  }

  /** Records observer i's new state for member j; returns the previous code. */
  set(i: number, j: number, code: number): number {
    const k = i * this.n + j;
    const prev = this.matrix[k] as number;
    if (prev === code || i === j) {
      this.matrix[k] = code;
      return prev;
    }
    this.matrix[k] = code;
    const before = isIn(prev);
    const after = isIn(code);
    if (before !== after) {
      this.viewSize[i] = (this.viewSize[i] as number) + after - before;
      const truth = this.up[j] as number;
      const delta = (after !== truth ? 1 : 0) - (before !== truth ? 1 : 0);
      this.rowMismatch[i] = (this.rowMismatch[i] as number) + delta;
      if (this.up[i] === 1) this.disagreements += delta;
    }
    return prev;
  }

  /** Node i's process started (first time or after a crash): empty view, and it is now live. */
  nodeUp(i: number): void {
    if (this.up[i] === 1) this.nodeDown(i);
    const n = this.n;
    this.matrix.fill(VIEW_UNKNOWN, i * n, (i + 1) * n);
    this.up[i] = 1;
    this.live++;
    this.recomputeColumn(i);
    let mismatch = 0;
    for (let j = 0; j < n; j++) if (j !== i && this.up[j] === 1) mismatch++;
    this.rowMismatch[i] = mismatch;
    this.viewSize[i] = 1;
    this.disagreements += mismatch;
  }

  /** Node i's process stopped (crash or leave). */
  nodeDown(i: number): void {
    if (this.up[i] === 0) return;
    this.disagreements -= this.rowMismatch[i] as number;
    this.up[i] = 0;
    this.live--;
    this.recomputeColumn(i);
  }

  /** After up[j] flipped: fix the mismatch of every live observer about j. */
  private recomputeColumn(j: number): void {
    const n = this.n;
    const truth = this.up[j] as number;
    for (let i = 0; i < n; i++) {
      if (i === j || this.up[i] === 0) continue;
      const inView = isIn(this.matrix[i * n + j] as number);
      // Before the flip the truth was 1 - truth.
      const delta = (inView !== truth ? 1 : 0) - (inView !== 1 - truth ? 1 : 0);
      if (delta !== 0) {
        this.rowMismatch[i] = (this.rowMismatch[i] as number) + delta;
        this.disagreements += delta;
      }
    }
  }

  /** Pairs that disagree (for diagnoses), at most `limit`. */
  disagreeingPairs(limit: number): [number, number][] {
    const out: [number, number][] = [];
    const n = this.n;
    for (let i = 0; i < n && out.length < limit; i++) {
      if (this.up[i] === 0 || this.rowMismatch[i] === 0) continue;
      for (let j = 0; j < n && out.length < limit; j++) {
        if (j !== i && isIn(this.matrix[i * n + j] as number) !== this.up[j]) out.push([i, j]);
      }
    }
    return out;
  }
}
