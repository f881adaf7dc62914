/*
 * What the agent tells its users: the typed event map, the member view (AgentMember: tags
 * decoded from serf's meta format), and how core notifications, heartbeat devices and queries
 * become event-handler runs.
 */
import {type DecodeError, decodeTags} from "../codec/index.ts";
import type {Address, MemberView, Notification} from "../core/index.ts";
import type {DeviceView} from "../heartbeat/index.ts";
import type {HandlerEventName, HandlerMember, QueryAnswer, QueryHandlerEvent} from "../hooks/index.ts";
import type {MemberJson} from "../http/index.ts";
import type {RingChange} from "../ring/index.ts";
import {type IncomingQuery, QueryResponseError, type UserEvent} from "../serf/index.ts";
import type {ConflictOutcome, NameConflict} from "./name-conflict.ts";

/**
 * One member as the agent shows it: `{name, addr, port, state, incarnation, tags}`, tags decoded
 * from serf's meta format. The same shape is the JSON of the HTTP API and `lifeline members --json`,
 * so it is defined once, where the HTTP layer (which may not import the agent) can see it.
 */
export type AgentMember = MemberJson;

/**
 * The agent's events. Every member event is emitted after the core committed the change,
 * serially, in state-change order. A listener that throws is logged (lifeline:agent) and the
 * others still run.
 */
export interface AgentEvents {
  /** A member became alive: first sight, or alive again after being down or gone. */
  "member:up": [member: AgentMember];
  /** An alive member became suspect. */
  "member:suspect": [member: AgentMember];
  /** A suspect member refuted the suspicion and is alive again (it never went down). */
  "member:alive": [member: AgentMember];
  /** A member failed (declared dead) or left gracefully. */
  "member:down": [member: AgentMember, reason: "failed" | "left"];
  /** An alive member changed its tags or address. */
  "member:updated": [member: AgentMember];
  /** We were suspected or declared dead and refuted it with a higher incarnation. */
  refuted: [info: {incarnation: number; accusedBy: string}];
  /** Our leave finished (the leave broadcast had its chance to spread). */
  left: [];
  /** Bytes from the network failed to decode; they were dropped and counted. */
  decodeError: [error: DecodeError, from: Address];
  /** A startup join attempt finished (`answered` 0 = failed; it will be retried). */
  "join:attempt": [result: {attempt: number; answered: number; errors: readonly string[]}];
  /** Application data from the cluster (user messages that are not serf's or heartbeat reports). */
  message: [payload: Uint8Array];
  /** A user event (serf's `serf event`, or `agent.event`), once per event, ours included. */
  "user:event": [event: UserEvent];
  /** A query this member passed the filters of (not `_serf_*`); answer with `query.respond` or `onQuery`. */
  query: [query: IncomingQuery];
  /**
   * A live member's name is claimed from another address (throttled: once per claimant per 10 s).
   * When the name is ours, `conflict:resolved` follows if nameConflictResolution is on.
   */
  "member:conflict": [conflict: NameConflict];
  /** The cluster voted on our name (serf's `_serf_conflict`); when `won` is false the agent stops. */
  "conflict:resolved": [outcome: ConflictOutcome];
  /** An internal error (a Lifeline bug) was caught; the agent keeps running. */
  internalError: [error: unknown];
  /**
   * The hash ring's members changed (members came up or went down): which arcs moved from whom
   * to whom. Emitted on the tick after the member events that caused it, one per rebuild (a
   * burst of member events gives one event listing all of them).
   */
  "ring:changed": [change: RingChange];
  /** A plain-heartbeat device was heard for the first time, or again after being down. */
  "heartbeat:up": [device: DeviceView];
  /** A plain-heartbeat device's φ crossed the threshold (or no agent hears it any more). */
  "heartbeat:down": [device: DeviceView];
  /** A line from an event handler (its output, or how it ended). */
  "handler:log": [line: string];
}

/** The agent's lifecycle: created, starting, running, leaving, left; stopped from any state. */
export type AgentStatus = "created" | "starting" | "running" | "leaving" | "left" | "stopped";

/** The handler event for each member notification (a refuted suspicion runs no handler, as in serf). */
export const HANDLER_EVENT_OF: Partial<Record<Notification["type"], HandlerEventName>> = {
  memberUp: "member-join",
  memberDown: "member-failed",
  memberLeft: "member-leave",
  memberUpdated: "member-update",
  memberSuspect: "member-suspect",
};

/** A heartbeat device as a handler's stdin line: name, last source address, up|down, phi and sources as tags. */
export function deviceToHandlerMember(device: DeviceView): HandlerMember {
  return {
    name: device.name,
    addr: device.addr ?? "",
    state: device.state,
    tags: {phi: device.phi === null ? "inf" : String(device.phi), sources: device.sources.join(" ")},
  };
}

/** A member snapshot for users: tags decoded from serf's meta format. */
export function toAgentMember(view: MemberView): AgentMember {
  let tags: Record<string, string>;
  try {
    tags = decodeTags(view.meta);
  } catch {
    tags = {};
  }
  return {
    name: view.name,
    addr: view.addr.host,
    port: view.addr.port,
    state: view.state,
    incarnation: view.incarnation,
    tags,
  };
}

/**
 * A query as the handlers see it: its answer goes out through the serf layer's `respond`, whose
 * refusals (already answered, too late, too large) become a QueryAnswer instead of an exception.
 */
export function toHandlerQuery(query: IncomingQuery): QueryHandlerEvent {
  return {
    event: "query",
    name: query.name,
    payload: query.payload,
    lTime: query.lTime,
    from: query.from,
    deadlineMs: query.deadlineMs,
    respond: (payload): QueryAnswer => {
      try {
        query.respond(payload);
        return "sent";
      } catch (error) {
        if (error instanceof QueryResponseError) return error.reason;
        throw error;
      }
    },
  };
}
