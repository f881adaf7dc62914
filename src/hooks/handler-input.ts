/*
 * What a handler run gets: its environment and its stdin, per kind of event. The shape follows
 * serf's cmd/serf/command/agent/invoke.go under Lifeline's names; user events and queries also
 * get serf's own variables, so a serf `user:`/`query:` script runs unchanged:
 *
 *   every run     LIFELINE_EVENT  LIFELINE_SELF_NAME  LIFELINE_SELF_TAGS (k=v,k=v)  LIFELINE_TAG_<KEY>
 *   user event    LIFELINE_USER_EVENT=NAME  LIFELINE_USER_LTIME
 *                 SERF_EVENT=user  SERF_USER_EVENT  SERF_USER_LTIME  SERF_SELF_NAME  SERF_SELF_ROLE  SERF_TAG_<KEY>
 *   query         LIFELINE_QUERY_NAME  LIFELINE_QUERY_LTIME  LIFELINE_QUERY_FROM (the querying member)
 *                 SERF_EVENT=query  SERF_QUERY_NAME  SERF_QUERY_LTIME  SERF_SELF_NAME  SERF_SELF_ROLE  SERF_TAG_<KEY>
 *
 *   stdin, member and heartbeat events: one line per member, name<TAB>addr<TAB>state<TAB>tags
 *   stdin, user events and queries:     the payload, plus "\n" when it is non-empty and lacks one
 *                                       (serf's streamPayload: shells' `read` needs the newline)
 *
 * Member events get no SERF_* variables: their stdin has the member's state where serf's has its
 * role, so a serf member script would not port unchanged, and SERF_EVENT would pretend it does.
 * <KEY> is the tag key upper-cased with every character outside [A-Z0-9_] turned into `_`.
 */
import type {HandlerEventName} from "./handler-spec.ts";

/** A member (or heartbeat device) as a handler sees it on stdin. */
export interface HandlerMember {
  readonly name: string;
  /** "host:port" ("[v6]:port"), or a bare host. */
  readonly addr: string;
  readonly state: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** Our own name and tags, as every run sees them. */
export interface HandlerSelf {
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** What the environment of one run describes. */
export type HandlerEnvEvent =
  | {readonly event: HandlerEventName}
  | {readonly event: "user"; readonly name: string; readonly lTime: number}
  | {readonly event: "query"; readonly name: string; readonly lTime: number; readonly from: string};

/** Control characters would forge extra stdin lines or break the environment; replace them. */
function clean(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  return text.replace(/[\u0000-\u001f\u007f]/g, " ");
}

/** `k=v,k=v`, keys sorted (stable output for scripts and tests). */
export function formatHandlerTags(tags: Readonly<Record<string, string>>): string {
  return Object.keys(tags)
    .sort()
    .map((key) => `${clean(key)}=${clean(tags[key] as string)}`)
    .join(",");
}

/** The stdin of a member or heartbeat run: one `name\taddr\tstate\ttags\n` line per member. */
export function formatHandlerInput(members: readonly HandlerMember[]): string {
  return members
    .map((m) => `${clean(m.name)}\t${clean(m.addr)}\t${clean(m.state)}\t${formatHandlerTags(m.tags)}\n`)
    .join("");
}

const NEWLINE = 0x0a;

/** The stdin of a user-event or query run: the payload, newline-terminated when non-empty (as serf). */
export function formatPayloadInput(payload: Uint8Array): Uint8Array {
  if (payload.length === 0 || payload[payload.length - 1] === NEWLINE) return payload;
  const out = new Uint8Array(payload.length + 1);
  out.set(payload);
  out[payload.length] = NEWLINE;
  return out;
}

/** A tag key as an environment-variable suffix (serf's sanitizeTagRegexp). */
function envKey(key: string): string {
  return key.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
}

/** The variables a run gets on top of the agent's own environment. */
export function handlerEnvironment(event: HandlerEnvEvent, self: HandlerSelf): Record<string, string> {
  const env: Record<string, string> = {
    LIFELINE_EVENT: event.event,
    LIFELINE_SELF_NAME: clean(self.name),
    LIFELINE_SELF_TAGS: formatHandlerTags(self.tags),
  };
  for (const [key, value] of Object.entries(self.tags)) env[`LIFELINE_TAG_${envKey(key)}`] = clean(value);
  if (event.event !== "user" && event.event !== "query") return env;
  env.SERF_EVENT = event.event;
  env.SERF_SELF_NAME = clean(self.name);
  env.SERF_SELF_ROLE = clean(self.tags.role ?? "");
  for (const [key, value] of Object.entries(self.tags)) env[`SERF_TAG_${envKey(key)}`] = clean(value);
  if (event.event === "user") {
    env.LIFELINE_USER_EVENT = clean(event.name);
    env.LIFELINE_USER_LTIME = String(event.lTime);
    env.SERF_USER_EVENT = clean(event.name);
    env.SERF_USER_LTIME = String(event.lTime);
  } else {
    env.LIFELINE_QUERY_NAME = clean(event.name);
    env.LIFELINE_QUERY_LTIME = String(event.lTime);
    env.LIFELINE_QUERY_FROM = clean(event.from);
    env.SERF_QUERY_NAME = clean(event.name);
    env.SERF_QUERY_LTIME = String(event.lTime);
  }
  return env;
}

/** Inherited variables that describe an event: removed so a run's variables always describe its own. */
const PER_EVENT = /^(LIFELINE_|SERF_EVENT$|SERF_SELF_|SERF_TAG_|SERF_USER_|SERF_QUERY_)/;

/**
 * A copy of `env` without the variables a run sets per event (`LIFELINE_*`, and serf's
 * SERF_EVENT, SERF_SELF_*, SERF_TAG_*, SERF_USER_*, SERF_QUERY_*). Other SERF_* variables, such
 * as SERF_RPC_ADDR, stay: a script may call `serf` with them.
 */
export function withoutEventVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) if (!PER_EVENT.test(key)) out[key] = value;
  return out;
}
