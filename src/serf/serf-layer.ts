/*
 * Serf's layer above memberlist, as a Lifeline agent speaks it (docs/memberlist-wire.md §13): the
 * three Lamport clocks (member status, events, queries), de-duplication of user events and
 * queries, serf's push-pull user state, user events, queries with acks, responses and relays, and
 * the internal `_serf_*` queries (internal-queries.ts). It owns no socket and no timer of its own:
 * the agent gives it a way to broadcast, to send to one address, a clock, timers and randomness.
 *
 *   user message ─▶ handleMessage ─▶ leave/join intent ─▶ status clock, rebroadcast if new
 *                                 ├▶ user event ─▶ dedupe ─▶ onUserEvent, rebroadcast
 *                                 ├▶ query ─▶ dedupe ─▶ filters ─▶ ack, onQuery / internal, rebroadcast
 *                                 ├▶ query response ─▶ the pending QueryResult (by LTime and ID)
 *                                 └▶ relay ─▶ forwarded to the member it names
 *   push-pull ─▶ localState() / mergeState(bytes, join)
 */
import {
  bytesToHost,
  decodeSerfMessage,
  encodeSerfLeaveIntent,
  encodeSerfMessage,
  hostToBytes,
  QUERY_FLAG_ACK,
  QUERY_FLAG_NO_BROADCAST,
  type SerfMessage,
  type SerfPushPull,
  type SerfQuery,
  type SerfQueryResponse,
  type SerfUserEvent,
  serfLeaveLTime,
} from "../codec/index.ts";
import {type Address, bytesEqual, InvalidConfigError, type MemberState} from "../core/index.ts";
import {encodeQueryFilters, passesFilters, type QuerySelection} from "./filters.ts";
import {LamportClock} from "./lamport.ts";
import {QueryResult} from "./query-result.ts";
import {RecentBuffer} from "./recent-buffer.ts";

/** Serf's limits and tunables (serf/config.go defaults). */
export interface SerfLimits {
  /** Largest user event: name + payload before encoding, and the encoded message. Default 512. */
  readonly userEventSizeLimit: number;
  /** Largest encoded query. Default 1024. */
  readonly querySizeLimit: number;
  /** Largest encoded query response. Default 1024. */
  readonly queryResponseSizeLimit: number;
  /** De-duplication window, in Lamport times, for events and queries. Default 512. */
  readonly recentBufferSize: number;
  /** Default query timeout = gossipIntervalMs × this × ceil(log10(members + 1)). Default 16. */
  readonly queryTimeoutMult: number;
}

export const DEFAULT_SERF_LIMITS: SerfLimits = {
  userEventSizeLimit: 512,
  querySizeLimit: 1024,
  queryResponseSizeLimit: 1024,
  recentBufferSize: 512,
  queryTimeoutMult: 16,
};

/** Serf's hard ceiling on a user event (serf.UserEventSizeLimit). */
export const USER_EVENT_SIZE_MAX = 9 * 1024;

/** A member as the layer needs it. */
export interface SerfMember {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly state: MemberState;
  readonly tags: Readonly<Record<string, string>>;
}

/** A user event as delivered to the application. */
export interface UserEvent {
  readonly name: string;
  readonly payload: Uint8Array;
  readonly lTime: number;
  readonly coalesce: boolean;
}

/** A query this member should answer. */
export interface IncomingQuery {
  readonly name: string;
  readonly payload: Uint8Array;
  readonly lTime: number;
  /** The querying member. */
  readonly from: string;
  /** Monotonic ms after which a response is refused. */
  readonly deadlineMs: number;
  /** Sends the one response (throws QueryResponseError when late, twice, or too large). */
  respond(payload: Uint8Array): void;
}

/** Why a response could not be sent: already answered, past the deadline, or over queryResponseSizeLimit. */
export type QueryResponseRefusal = "answered" | "late" | "tooLarge";

/** Why a response could not be sent. Nothing was sent; the query can still be answered unless `answered`/`late`. */
export class QueryResponseError extends Error {
  static override name = "QueryResponseError";
  readonly code = "ERR_QUERY_RESPONSE";
  readonly reason: QueryResponseRefusal;
  constructor(reason: QueryResponseRefusal, message: string) {
    super(message);
    this.name = "QueryResponseError";
    this.reason = reason;
  }
}

/** Options of an outgoing query. */
export interface QueryOptions extends QuerySelection {
  /** Ms until the query closes; default serf's formula (see SerfLimits.queryTimeoutMult). */
  readonly timeoutMs?: number | undefined;
  /** Ask every member that passes the filters to ack on receipt. Default true. */
  readonly requestAck?: boolean | undefined;
  /** Each responder also sends its answer through this many other members (0–5). Default 0. */
  readonly relayFactor?: number | undefined;
}

/** What the layer uses from the agent. */
export interface SerfLayerComponents {
  readonly name: string;
  /** Our advertised address (where query responses should come). */
  self(): Address;
  members(): readonly SerfMember[];
  /** Whether `name` is in the member table (any state). */
  isMember(name: string): boolean;
  tags(): Readonly<Record<string, string>>;
  /** Queue a serf message for gossip (a memberlist user broadcast). */
  broadcast(payload: Uint8Array): void;
  /** Send a serf message to one address at once (a memberlist user message in a datagram). */
  sendTo(to: Address, payload: Uint8Array): void;
  /** Monotonic ms. */
  now(): number;
  /** Runs `fn` after `ms`; returns a cancel function. */
  setTimer(fn: () => void, ms: number): () => void;
  /** Uniform in [0, 1). */
  random(): number;
  readonly gossipIntervalMs: number;
}

/** Where the layer reports. */
export interface SerfLayerListener {
  onUserEvent?(event: UserEvent): void;
  /** A user query (not `_serf_*`) that passed the filters. */
  onQuery?(query: IncomingQuery): void;
  /** An internal `_serf_*` query that passed the filters. */
  onInternalQuery?(query: IncomingQuery): void;
  /** A serf message that did not decode or was refused (already counted). */
  onDropped?(reason: SerfDropReason, detail: string): void;
}

export type SerfDropReason = "undecodable" | "oldEvent" | "oldQuery" | "unknownQuery" | "relayRefused";

/** Counters for metrics. */
export interface SerfStats {
  eventsReceived: number;
  eventsDuplicate: number;
  eventsSent: number;
  queriesReceived: number;
  queriesDuplicate: number;
  queriesSent: number;
  queryResponsesSent: number;
  queryAnswersReceived: number;
  relaysForwarded: number;
  /** Peers' push-pull user states merged (periodic exchanges and joins). */
  pushPullsMerged: number;
  dropped: number;
}

/** All-zero layer counters. */
export function emptySerfStats(): SerfStats {
  return {
    eventsReceived: 0,
    eventsDuplicate: 0,
    eventsSent: 0,
    queriesReceived: 0,
    queriesDuplicate: 0,
    queriesSent: 0,
    queryResponsesSent: 0,
    queryAnswersReceived: 0,
    relaysForwarded: 0,
    pushPullsMerged: 0,
    dropped: 0,
  };
}

const INTERNAL_PREFIX = "_serf_";
const MS_PER_NS = 1e-6;
const NS_PER_MS = 1e6;

export class SerfLayer {
  readonly statusClock = new LamportClock();
  readonly eventClock = new LamportClock();
  readonly queryClock = new LamportClock();
  readonly limits: SerfLimits;
  readonly stats: SerfStats = emptySerfStats();
  private readonly c: SerfLayerComponents;
  private readonly listener: SerfLayerListener;
  private readonly events: RecentBuffer<{readonly name: string; readonly payload: Uint8Array}>;
  private readonly queries: RecentBuffer<number>;
  // BOUNDED: one entry per member we know (pruned to the member list in localState).
  private readonly statusLTimes = new Map<string, number>();
  // BOUNDED: our own queries still open (each closes at its deadline).
  private readonly pending = new Map<number, {result: QueryResult; cancel: () => void}>();
  private eventMinTime = 0;

  constructor(components: SerfLayerComponents, listener: SerfLayerListener = {}, limits: Partial<SerfLimits> = {}) {
    this.c = components;
    this.listener = listener;
    this.limits = {...DEFAULT_SERF_LIMITS, ...limits};
    this.events = new RecentBuffer(
      this.limits.recentBufferSize,
      (a, b) => a.name === b.name && bytesEqual(a.payload, b.payload),
    );
    this.queries = new RecentBuffer(this.limits.recentBufferSize, (a, b) => a === b);
  }

  /** The default query timeout for `n` members up (default: now). */
  defaultQueryTimeoutMs(n: number = this.membersUp()): number {
    return this.c.gossipIntervalMs * this.limits.queryTimeoutMult * Math.ceil(Math.log10(n + 1));
  }

  /** Members alive or suspect, self included (serf's NumMembers). */
  private membersUp(): number {
    let n = 0;
    for (const m of this.c.members()) if (m.state === "alive" || m.state === "suspect") n++;
    return n;
  }

  // ---------------------------------------------------------------- sending

  /** Sends a user event to the cluster (and delivers it here, as serf does). */
  event(name: string, payload: Uint8Array, coalesce = true): UserEvent {
    if (typeof name !== "string" || name.length === 0)
      throw new InvalidConfigError("name", "must be a non-empty string");
    const before = new TextEncoder().encode(name).length + payload.length;
    if (before > this.limits.userEventSizeLimit)
      throw new InvalidConfigError(
        "payload",
        `name and payload must be at most ${this.limits.userEventSizeLimit} bytes (userEventSizeLimit); they are ${before}`,
      );
    const message: SerfUserEvent = {type: "userEvent", lTime: this.eventClock.time, name, payload, cc: coalesce};
    const bytes = encodeSerfMessage(message);
    if (bytes.length > this.limits.userEventSizeLimit)
      throw new InvalidConfigError(
        "payload",
        `the encoded event must be at most ${this.limits.userEventSizeLimit} bytes (userEventSizeLimit); it is ${bytes.length}`,
      );
    this.eventClock.increment();
    this.acceptEvent(message);
    this.c.broadcast(bytes);
    this.stats.eventsSent++;
    return {name, payload, lTime: message.lTime, coalesce};
  }

  /** Sends a query; answers arrive on the returned QueryResult until its deadline. */
  query(name: string, payload: Uint8Array, options: QueryOptions = {}): QueryResult {
    if (typeof name !== "string" || name.length === 0)
      throw new InvalidConfigError("name", "must be a non-empty string");
    const members = this.membersUp();
    const timeoutMs = options.timeoutMs ?? this.defaultQueryTimeoutMs(members);
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > 3_600_000)
      throw new InvalidConfigError("timeoutMs", "must be a number of ms in (0, 3600000]");
    const relayFactor = options.relayFactor ?? 0;
    if (!Number.isInteger(relayFactor) || relayFactor < 0 || relayFactor > 5)
      throw new InvalidConfigError("relayFactor", "must be an integer between 0 and 5");
    const self = this.c.self();
    const message: SerfQuery = {
      type: "query",
      lTime: this.queryClock.time,
      id: Math.floor(this.c.random() * 0x7fff_ffff),
      addr: hostToBytes(self.host) ?? new Uint8Array(0),
      port: self.port,
      sourceNode: this.c.name,
      filters: encodeQueryFilters(options),
      flags: options.requestAck === false ? 0 : QUERY_FLAG_ACK,
      relayFactor,
      timeoutNs: Math.round(timeoutMs * NS_PER_MS),
      name,
      payload,
    };
    const bytes = encodeSerfMessage(message);
    if (bytes.length > this.limits.querySizeLimit)
      throw new InvalidConfigError(
        "payload",
        `the encoded query must be at most ${this.limits.querySizeLimit} bytes (querySizeLimit); it is ${bytes.length}`,
      );
    const result = new QueryResult({
      name,
      lTime: message.lTime,
      id: message.id,
      deadlineMs: this.c.now() + timeoutMs,
      members,
    });
    this.pending.get(message.lTime)?.result.close();
    const cancel = this.c.setTimer(() => this.closeQuery(message.lTime, result), timeoutMs);
    this.pending.set(message.lTime, {result, cancel});
    this.handleQuery(message);
    this.queryClock.increment();
    this.c.broadcast(bytes);
    this.stats.queriesSent++;
    return result;
  }

  /** Our leave intent (serf's messageLeave), to gossip before leaving. */
  leaveIntent(): Uint8Array {
    // A floor from the wall clock keeps intents increasing across restarts, when no state survived.
    const lTime = Math.max(this.statusClock.increment(), serfLeaveLTime());
    this.statusClock.witness(lTime);
    this.statusLTimes.set(this.c.name, lTime);
    return encodeSerfLeaveIntent(this.c.name, lTime);
  }

  /** Our join intent (serf's messageJoin), gossiped after joining so serf records our status time. */
  joinIntent(): Uint8Array {
    const lTime = this.statusClock.increment();
    this.statusLTimes.set(this.c.name, lTime);
    return encodeSerfMessage({type: "join", lTime, node: this.c.name});
  }

  /** Closes every open query (the agent is stopping). */
  close(): void {
    for (const [lTime, {result}] of this.pending) this.closeQuery(lTime, result);
  }

  // ---------------------------------------------------------------- receiving

  /** Handles a memberlist user message whose first byte is a serf type. Returns false if it is not serf's. */
  handleMessage(payload: Uint8Array): boolean {
    if (payload.length === 0 || (payload[0] as number) > 9) return false;
    let message: SerfMessage;
    try {
      message = decodeSerfMessage(payload);
    } catch (error) {
      this.drop("undecodable", (error as Error).message);
      return true;
    }
    let rebroadcast = false;
    switch (message.type) {
      case "leave":
      case "join":
        rebroadcast = this.handleIntent(message.node, message.lTime);
        break;
      case "userEvent":
        rebroadcast = this.acceptEvent(message);
        break;
      case "query":
        rebroadcast = this.handleQuery(message);
        break;
      case "queryResponse":
        this.handleQueryResponse(message);
        break;
      case "relay":
        this.forwardRelay(message.destIp, message.destPort, message.destName, message.inner);
        break;
      case "pushPull":
        // Push-pull state travels in the push-pull stream, not as a user message.
        this.drop("undecodable", "push-pull state as a user message");
        break;
    }
    if (rebroadcast) this.c.broadcast(payload.slice());
    return true;
  }

  /** Serf's push-pull user state: our clocks, members' status times, left members, recent events. */
  localState(): Uint8Array {
    const members = this.c.members();
    const statusLTimes = new Map<string, number>();
    for (const m of members) statusLTimes.set(m.name, this.statusLTimes.get(m.name) ?? 0);
    for (const name of this.statusLTimes.keys()) if (!statusLTimes.has(name)) this.statusLTimes.delete(name);
    const state: SerfPushPull = {
      type: "pushPull",
      lTime: this.statusClock.time,
      statusLTimes,
      leftMembers: members.filter((m) => m.state === "left").map((m) => m.name),
      eventLTime: this.eventClock.time,
      events: this.events
        .snapshot()
        .map((slot) => (slot === undefined ? undefined : {lTime: slot.lTime, events: slot.items})),
      queryLTime: this.queryClock.time,
    };
    return encodeSerfMessage(state);
  }

  /** Merges a peer's push-pull user state. On a join, events it carries are not replayed here. */
  mergeState(bytes: Uint8Array, join: boolean): void {
    let state: SerfMessage;
    try {
      state = decodeSerfMessage(bytes);
    } catch (error) {
      this.drop("undecodable", `push-pull state: ${(error as Error).message}`);
      return;
    }
    if (state.type !== "pushPull") {
      this.drop("undecodable", `push-pull state of type ${state.type}`);
      return;
    }
    this.stats.pushPullsMerged++;
    if (state.lTime > 0) this.statusClock.witness(state.lTime - 1);
    if (state.eventLTime > 0) this.eventClock.witness(state.eventLTime - 1);
    if (state.queryLTime > 0) this.queryClock.witness(state.queryLTime - 1);
    const left = new Set(state.leftMembers);
    for (const name of left) this.handleIntent(name, (state.statusLTimes.get(name) ?? 0) + 1);
    for (const [name, lTime] of state.statusLTimes) if (!left.has(name)) this.handleIntent(name, lTime);
    // Like `serf agent` (join without -replay): a joining member does not replay the cluster's history.
    if (join && state.eventLTime > this.eventMinTime) this.eventMinTime = state.eventLTime;
    for (const slot of state.events) {
      if (slot === undefined) continue;
      for (const e of slot.events)
        this.acceptEvent({type: "userEvent", lTime: slot.lTime, name: e.name, payload: e.payload, cc: false});
    }
  }

  // ---------------------------------------------------------------- internals

  private handleIntent(node: string, lTime: number): boolean {
    this.statusClock.witness(lTime);
    if (!this.c.isMember(node)) return false;
    if ((this.statusLTimes.get(node) ?? 0) >= lTime) return false;
    this.statusLTimes.set(node, lTime);
    return true;
  }

  /** Serf's handleUserEvent: true when the event is new (then delivered, and to be rebroadcast). */
  private acceptEvent(message: SerfUserEvent): boolean {
    this.eventClock.witness(message.lTime);
    if (message.lTime < this.eventMinTime) return false;
    const verdict = this.events.accept(
      message.lTime,
      {name: message.name, payload: message.payload},
      this.eventClock.time,
    );
    if (verdict === "old") {
      this.drop("oldEvent", `${message.name} at ${message.lTime} (clock ${this.eventClock.time})`);
      return false;
    }
    if (verdict === "duplicate") {
      this.stats.eventsDuplicate++;
      return false;
    }
    this.stats.eventsReceived++;
    this.listener.onUserEvent?.({
      name: message.name,
      payload: message.payload,
      lTime: message.lTime,
      coalesce: message.cc,
    });
    return true;
  }

  /** Serf's handleQuery: true when the query is new and may be rebroadcast. */
  private handleQuery(query: SerfQuery): boolean {
    this.queryClock.witness(query.lTime);
    const verdict = this.queries.accept(query.lTime, query.id, this.queryClock.time);
    if (verdict === "old") {
      this.drop("oldQuery", `${query.name} at ${query.lTime} (clock ${this.queryClock.time})`);
      return false;
    }
    if (verdict === "duplicate") {
      this.stats.queriesDuplicate++;
      return false;
    }
    this.stats.queriesReceived++;
    const rebroadcast = (query.flags & QUERY_FLAG_NO_BROADCAST) === 0;
    if (!passesFilters(query.filters, {name: this.c.name, tags: this.c.tags()})) return rebroadcast;
    const replyHost = bytesToHost(query.addr);
    if (replyHost === undefined) {
      this.drop("undecodable", `query ${query.name}: reply address of ${query.addr.length} bytes`);
      return rebroadcast;
    }
    const replyTo = {host: replyHost, port: query.port};
    if (query.flags & QUERY_FLAG_ACK) {
      const ack: SerfQueryResponse = {
        type: "queryResponse",
        lTime: query.lTime,
        id: query.id,
        from: this.c.name,
        flags: QUERY_FLAG_ACK,
        payload: new Uint8Array(0),
      };
      this.sendResponse(ack, encodeSerfMessage(ack), replyTo, query.sourceNode, query.relayFactor);
    }
    let responded = false;
    const incoming: IncomingQuery = {
      name: query.name,
      payload: query.payload,
      lTime: query.lTime,
      from: query.sourceNode,
      deadlineMs: this.c.now() + query.timeoutNs * MS_PER_NS,
      respond: (payload) => {
        if (responded) throw new QueryResponseError("answered", "this query was already answered");
        if (this.c.now() > incoming.deadlineMs) throw new QueryResponseError("late", "the query's deadline has passed");
        const response: SerfQueryResponse = {
          type: "queryResponse",
          lTime: query.lTime,
          id: query.id,
          from: this.c.name,
          flags: 0,
          payload,
        };
        const bytes = encodeSerfMessage(response);
        if (bytes.length > this.limits.queryResponseSizeLimit)
          throw new QueryResponseError(
            "tooLarge",
            `the response is ${bytes.length} bytes encoded; the limit is ${this.limits.queryResponseSizeLimit} (queryResponseSizeLimit)`,
          );
        responded = true;
        this.sendResponse(response, bytes, replyTo, query.sourceNode, query.relayFactor);
        this.stats.queryResponsesSent++;
      },
    };
    if (query.name.startsWith(INTERNAL_PREFIX)) this.listener.onInternalQuery?.(incoming);
    else this.listener.onQuery?.(incoming);
    return rebroadcast;
  }

  /** Sends a response (or ack), encoded as `inner`, to the querier and through `relayFactor` other members. */
  private sendResponse(
    response: SerfQueryResponse,
    inner: Uint8Array,
    to: Address,
    toName: string,
    relayFactor: number,
  ): void {
    if (toName === this.c.name) {
      this.handleQueryResponse(response);
    } else {
      this.c.sendTo(to, inner);
    }
    if (relayFactor === 0) return;
    const destIp = hostToBytes(to.host);
    if (destIp === undefined) return;
    const relay = encodeSerfMessage({type: "relay", destIp, destPort: to.port, destName: toName, inner});
    if (relay.length > this.limits.queryResponseSizeLimit) return;
    const candidates = this.c
      .members()
      .filter((m) => m.state === "alive" && m.name !== this.c.name && m.name !== toName);
    for (let i = 0; i < relayFactor && candidates.length > 0; i++) {
      const [pick] = candidates.splice(Math.floor(this.c.random() * candidates.length), 1);
      if (pick) this.c.sendTo({host: pick.host, port: pick.port}, relay);
    }
  }

  private handleQueryResponse(response: SerfQueryResponse): void {
    const entry = this.pending.get(response.lTime);
    if (entry === undefined || entry.result.id !== response.id) {
      this.drop("unknownQuery", `response from ${response.from} for LTime ${response.lTime}, ID ${response.id}`);
      return;
    }
    const added =
      response.flags & QUERY_FLAG_ACK
        ? entry.result.addAck(response.from)
        : entry.result.addResponse(response.from, response.payload);
    if (added) this.stats.queryAnswersReceived++;
  }

  /** Forwards a relayed response, but only to a member we know: the layer is no open reflector. */
  private forwardRelay(ip: Uint8Array, port: number, name: string, inner: Uint8Array): void {
    const host = bytesToHost(ip);
    if (host === undefined) {
      this.drop("relayRefused", "relay to an unreadable address");
      return;
    }
    const member = this.c.members().find((m) => m.host === host && m.port === port);
    if (member === undefined) {
      this.drop("relayRefused", `relay to ${host}:${port} (${name}), not a member`);
      return;
    }
    if (member.name === this.c.name) {
      this.handleMessage(inner);
      return;
    }
    this.c.sendTo({host, port}, inner);
    this.stats.relaysForwarded++;
  }

  private closeQuery(lTime: number, result: QueryResult): void {
    const entry = this.pending.get(lTime);
    if (entry?.result === result) {
      entry.cancel();
      this.pending.delete(lTime);
    }
    result.close();
  }

  private drop(reason: SerfDropReason, detail: string): void {
    this.stats.dropped++;
    this.listener.onDropped?.(reason, detail);
  }
}
