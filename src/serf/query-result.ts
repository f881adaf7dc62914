/*
 * One outgoing query's answers (serf's QueryResponse): acks and responses arrive as they come,
 * each member counted once, until the deadline closes the query. Readable two ways: as an async
 * iterable of answers (for streaming to a CLI or an HTTP client) and as the final result.
 */

/** One answer to a query. */
export type QueryAnswer =
  | {readonly type: "ack"; readonly from: string}
  | {readonly type: "response"; readonly from: string; readonly payload: Uint8Array};

/** Everything a query collected by its deadline. */
export interface QueryOutcome {
  readonly name: string;
  readonly acks: readonly string[];
  readonly responses: readonly {readonly from: string; readonly payload: Uint8Array}[];
  /** Members the query reached when it was sent (serf's NumNodes). */
  readonly members: number;
}

export class QueryResult implements AsyncIterable<QueryAnswer> {
  readonly name: string;
  readonly lTime: number;
  readonly id: number;
  readonly deadlineMs: number;
  readonly members: number;
  // BOUNDED: one entry per answering member (at most the cluster size).
  private readonly ackFrom = new Set<string>();
  // BOUNDED: one entry per answering member.
  private readonly responseFrom = new Map<string, Uint8Array>();
  // BOUNDED: answers not yet read by an iterator (at most two per member).
  private readonly queue: QueryAnswer[] = [];
  // BOUNDED: one per iterator currently waiting.
  private waiters: (() => void)[] = [];
  private closed = false;
  private readonly settled: Promise<QueryOutcome>;
  private settle!: (outcome: QueryOutcome) => void;

  constructor(init: {name: string; lTime: number; id: number; deadlineMs: number; members: number}) {
    this.name = init.name;
    this.lTime = init.lTime;
    this.id = init.id;
    this.deadlineMs = init.deadlineMs;
    this.members = init.members;
    this.settled = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  /** Whether the deadline has passed (or close() was called). */
  get finished(): boolean {
    return this.closed;
  }

  /** Resolves at the deadline with every ack and response. */
  result(): Promise<QueryOutcome> {
    return this.settled;
  }

  /** Records an ack; false if this member already acked or the query is closed. */
  addAck(from: string): boolean {
    if (this.closed || this.ackFrom.has(from)) return false;
    this.ackFrom.add(from);
    this.push({type: "ack", from});
    return true;
  }

  /** Records a response; false if this member already responded or the query is closed. */
  addResponse(from: string, payload: Uint8Array): boolean {
    if (this.closed || this.responseFrom.has(from)) return false;
    this.responseFrom.set(from, payload);
    this.push({type: "response", from, payload});
    return true;
  }

  /** Ends the query: iterators finish once drained, result() resolves. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    this.settle({
      name: this.name,
      acks: [...this.ackFrom],
      responses: [...this.responseFrom].map(([from, payload]) => ({from, payload})),
      members: this.members,
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<QueryAnswer> {
    let read = 0;
    for (;;) {
      if (read < this.queue.length) {
        yield this.queue[read++] as QueryAnswer;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
      });
    }
  }

  private push(answer: QueryAnswer): void {
    this.queue.push(answer);
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
