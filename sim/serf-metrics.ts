/*
 * What the report says about serf's user events and queries in a simulated run: for every event,
 * which node processes got it, when, and how many times; for every query, which nodes acked and
 * responded before its deadline. Eligibility is judged per process, so a node that crashed or
 * restarted during an event's life is left out rather than counted as a miss:
 *
 *   event e, sent by node s at t0     eligible(e) = nodes j ≠ s whose process at t0 is still the
 *                                                   one running when the report is built
 *                                     completeness(e) = |eligible nodes that got e| / |eligible(e)|
 *                                     duplicates(e)  = deliveries beyond the first, same process
 *                                     latency(e, j)  = first delivery at j − t0
 *   query q, sent by node s at t0     eligible(q) = nodes j ≠ s whose process at t0 is still
 *                                                   running at the deadline t0 + timeout
 *                                     acks / responses counted once per node, before the deadline
 *
 * Events are told apart by their payload: its first four bytes are the event's index here
 * (eventPayload), the rest is filler up to the scenario's payload size.
 */
import type {SerfStats} from "../src/serf/index.ts";
import type {SimSerfObserver} from "./serf-nodes.ts";
import {type Summary, summarize} from "./stats.ts";

/** Events and queries tracked per run (each kind); past it, see SerfReport.untracked. */
export const SERF_TRACKED_MAX = 10_000;
/**
 * Per-node cells (20 bytes each) all tracked events may hold: caps the events tracked to
 * SERF_TRACKED_CELLS / nodes (4,000 at 1,000 nodes, ≈ 80 MB), whichever is lower.
 */
export const SERF_TRACKED_CELLS = 4_000_000;
/** Per-event and per-query rows the report lists (the totals cover all tracked ones). */
const ROWS_MAX = 500;

/** Smallest event payload: the four bytes of the event's index. */
export const EVENT_PAYLOAD_MIN = 4;

/** The payload of tracked event `index`: the index as four big-endian bytes, then zeros up to `size`. */
export function eventPayload(index: number, size: number): Uint8Array {
  const bytes = new Uint8Array(Math.max(EVENT_PAYLOAD_MIN, size));
  new DataView(bytes.buffer).setUint32(0, index >>> 0);
  return bytes;
}

interface TrackedEvent {
  readonly name: string;
  readonly from: number;
  readonly atMs: number;
  /** Process of every node when the event was sent (0: down). */
  readonly processes: Int32Array;
  /** Process that got it (0: none yet). */
  readonly gotBy: Int32Array;
  /** How many times that process got it. */
  readonly count: Int32Array;
  readonly firstMs: Float64Array;
}

interface TrackedQuery {
  readonly name: string;
  readonly from: number;
  readonly atMs: number;
  readonly timeoutMs: number;
  readonly processes: Int32Array;
  /** Processes at the deadline; undefined while the query is open. */
  atDeadline: Int32Array | undefined;
  // BOUNDED: one entry per answering node.
  readonly acks: Map<string, number>;
  // BOUNDED: one entry per answering node.
  readonly responses: Map<string, number>;
}

/** One event's row in the report. */
export interface SerfEventRecord {
  readonly name: string;
  readonly from: string;
  readonly atMs: number;
  /** Nodes (other than the sender) alive throughout, by process. */
  readonly eligible: number;
  /** Eligible nodes that got it. */
  readonly delivered: number;
  /** delivered / eligible (1 when nobody was eligible). */
  readonly completeness: number;
  /** Deliveries beyond the first to one process (any node); must be 0. */
  readonly duplicates: number;
  /** Send → first delivery at each eligible node that got it. */
  readonly latencyMs: Summary;
}

/** One query's row in the report. */
export interface SerfQueryRecord {
  readonly name: string;
  readonly from: string;
  readonly atMs: number;
  readonly timeoutMs: number;
  /** Nodes (other than the querier) alive from the send to the deadline, by process. */
  readonly eligible: number;
  /** Eligible nodes whose ack / response reached the querier before the deadline. */
  readonly acks: number;
  readonly responses: number;
  /** Send → each response's arrival at the querier. */
  readonly responseLatencyMs: Summary;
}

/** The `serf` section of the run report (null in runs without serf's layer). */
export interface SerfReport {
  readonly events: {
    /** Events sent and tracked. */
    readonly count: number;
    /** Σ eligible over events: the (event, node) deliveries owed. */
    readonly expected: number;
    /** Σ delivered over events. */
    readonly delivered: number;
    /** delivered / expected (null without events). */
    readonly completeness: number | null;
    /** Events every eligible node got. */
    readonly complete: number;
    /** The lowest per-event completeness (null without events). */
    readonly minCompleteness: number | null;
    /** Σ duplicates over events; serf's de-duplication makes this 0. */
    readonly duplicates: number;
    /** Send → first delivery, over every (event, eligible node) delivered. */
    readonly latencyMs: Summary;
    readonly perEvent: SerfEventRecord[];
  };
  readonly queries: {
    readonly count: number;
    /** Σ eligible over closed queries. */
    readonly eligible: number;
    readonly acks: number;
    readonly responses: number;
    /** acks / eligible, responses / eligible (null without closed queries). */
    readonly ackRate: number | null;
    readonly responseRate: number | null;
    /** Send → response arrival at the querier, over every response. */
    readonly responseLatencyMs: Summary;
    readonly perQuery: SerfQueryRecord[];
  };
  /** Scheduled sends skipped because no node of the selector was running. */
  readonly skipped: number;
  /** Sends past the tracking cap (SERF_TRACKED_MAX, SERF_TRACKED_CELLS): events not sent, queries sent but left out. */
  readonly untracked: number;
  /**
   * The layers' own counters, summed over the processes running at the end. Their
   * `eventsDuplicate` / `queriesDuplicate` count redundant gossip copies the de-duplication
   * suppressed (the epidemic's normal overhead), not deliveries: those are `events.duplicates`.
   */
  readonly layer: SerfStats;
}

/** Collects deliveries and answers; the report reads it at the end. */
export class SerfMetrics implements SimSerfObserver {
  private readonly names: readonly string[];
  // BOUNDED: eventsMax (SERF_TRACKED_MAX, lower for large clusters).
  private readonly events: TrackedEvent[] = [];
  private readonly eventsMax: number;
  // BOUNDED: SERF_TRACKED_MAX.
  private readonly queries: TrackedQuery[] = [];
  // BOUNDED: one entry per tracked query.
  private readonly queryByKey = new Map<string, TrackedQuery>();
  /** Deliveries whose payload names no tracked event (none in simulator runs). */
  foreign = 0;
  skipped = 0;
  untracked = 0;

  constructor(names: readonly string[]) {
    this.names = names;
    this.eventsMax = Math.max(
      1,
      Math.min(SERF_TRACKED_MAX, Math.floor(SERF_TRACKED_CELLS / Math.max(1, names.length))),
    );
  }

  /** Registers an event about to be sent; returns its index for eventPayload, or undefined past the cap. */
  registerEvent(name: string, from: number, atMs: number, processes: Int32Array): number | undefined {
    if (this.events.length >= this.eventsMax) {
      this.untracked++;
      return undefined;
    }
    const n = this.names.length;
    this.events.push({
      name,
      from,
      atMs,
      processes,
      gotBy: new Int32Array(n),
      count: new Int32Array(n),
      firstMs: new Float64Array(n),
    });
    return this.events.length - 1;
  }

  /** Registers a query just sent by `from` (its own ack and response are not counted). */
  registerQuery(
    query: {name: string; from: number; atMs: number; timeoutMs: number; lTime: number; id: number},
    processes: Int32Array,
  ): TrackedQuery | undefined {
    if (this.queries.length >= SERF_TRACKED_MAX) {
      this.untracked++;
      return undefined;
    }
    const tracked: TrackedQuery = {
      name: query.name,
      from: query.from,
      atMs: query.atMs,
      timeoutMs: query.timeoutMs,
      processes,
      atDeadline: undefined,
      acks: new Map(),
      responses: new Map(),
    };
    this.queries.push(tracked);
    this.queryByKey.set(`${query.from}:${query.lTime}:${query.id}`, tracked);
    return tracked;
  }

  /** The query's deadline passed: judge eligibility against the processes running now. */
  closeQuery(query: TrackedQuery, processes: Int32Array): void {
    query.atDeadline = processes;
  }

  onEvent(i: number, process: number, _name: string, payload: Uint8Array, atMs: number): void {
    if (payload.length < EVENT_PAYLOAD_MIN) {
      this.foreign++;
      return;
    }
    const index = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0);
    const e = this.events[index];
    if (e === undefined) {
      this.foreign++;
      return;
    }
    if (e.gotBy[i] === process) {
      e.count[i] = (e.count[i] as number) + 1;
      return;
    }
    // First delivery to this process (a restarted node's new process starts over).
    e.gotBy[i] = process;
    e.count[i] = 1;
    e.firstMs[i] = atMs;
  }

  onAnswer(querier: number, lTime: number, id: number, from: string, ack: boolean, atMs: number): void {
    const q = this.queryByKey.get(`${querier}:${lTime}:${id}`);
    if (q === undefined) return;
    const into = ack ? q.acks : q.responses;
    if (!into.has(from)) into.set(from, atMs);
  }

  /** The report section, judged against the processes running now. */
  report(processes: Int32Array, layer: SerfStats): SerfReport {
    const name = (i: number): string => this.names[i] ?? `#${i}`;
    const perEvent: SerfEventRecord[] = [];
    const latencies: number[] = [];
    let expected = 0;
    let delivered = 0;
    let complete = 0;
    let duplicates = 0;
    let minCompleteness: number | null = null;
    for (const e of this.events) {
      let eligible = 0;
      let got = 0;
      let dup = 0;
      const lat: number[] = [];
      for (let j = 0; j < processes.length; j++) {
        if ((e.count[j] as number) > 1) dup += (e.count[j] as number) - 1;
        const p = e.processes[j] as number;
        if (j === e.from || p === 0 || p !== processes[j]) continue;
        eligible++;
        if (e.gotBy[j] === p) {
          got++;
          lat.push((e.firstMs[j] as number) - e.atMs);
        }
      }
      const completeness = eligible === 0 ? 1 : got / eligible;
      expected += eligible;
      delivered += got;
      duplicates += dup;
      if (got === eligible) complete++;
      minCompleteness = minCompleteness === null ? completeness : Math.min(minCompleteness, completeness);
      for (const v of lat) latencies.push(v);
      if (perEvent.length < ROWS_MAX) {
        perEvent.push({
          name: e.name,
          from: name(e.from),
          atMs: e.atMs,
          eligible,
          delivered: got,
          completeness,
          duplicates: dup,
          latencyMs: summarize(lat),
        });
      }
    }
    const perQuery: SerfQueryRecord[] = [];
    const responseLatencies: number[] = [];
    let qEligible = 0;
    let acks = 0;
    let responses = 0;
    let closed = 0;
    for (const q of this.queries) {
      const end = q.atDeadline;
      if (end === undefined) continue;
      closed++;
      let eligible = 0;
      let acked = 0;
      let responded = 0;
      const lat: number[] = [];
      for (let j = 0; j < end.length; j++) {
        const p = q.processes[j] as number;
        if (j === q.from || p === 0 || p !== end[j]) continue;
        eligible++;
        if (q.acks.has(name(j))) acked++;
        const at = q.responses.get(name(j));
        if (at !== undefined) {
          responded++;
          lat.push(at - q.atMs);
        }
      }
      qEligible += eligible;
      acks += acked;
      responses += responded;
      for (const v of lat) responseLatencies.push(v);
      if (perQuery.length < ROWS_MAX) {
        perQuery.push({
          name: q.name,
          from: name(q.from),
          atMs: q.atMs,
          timeoutMs: q.timeoutMs,
          eligible,
          acks: acked,
          responses: responded,
          responseLatencyMs: summarize(lat),
        });
      }
    }
    return {
      events: {
        count: this.events.length,
        expected,
        delivered,
        completeness: this.events.length === 0 ? null : expected === 0 ? 1 : delivered / expected,
        complete,
        minCompleteness,
        duplicates,
        latencyMs: summarize(latencies),
        perEvent,
      },
      queries: {
        count: this.queries.length,
        eligible: qEligible,
        acks,
        responses,
        ackRate: closed === 0 ? null : qEligible === 0 ? 1 : acks / qEligible,
        responseRate: closed === 0 ? null : qEligible === 0 ? 1 : responses / qEligible,
        responseLatencyMs: summarize(responseLatencies),
        perQuery,
      },
      skipped: this.skipped,
      untracked: this.untracked,
      layer,
    };
  }
}
