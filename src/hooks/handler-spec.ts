/*
 * One `--event-handler` value, `[FILTER=]COMMAND`, parsed, and which events it runs for. The
 * filter list is serf's (cmd/serf/command/agent/event_handler.go, ParseEventFilter and
 * EventFilter.Invoke) plus Lifeline's own member and heartbeat events:
 *
 *   member-join | member-leave | member-failed | member-update | member-suspect
 *   heartbeat-up | heartbeat-down
 *   user          every user event          user:NAME    user events named NAME
 *   query         every query               query:NAME   queries named NAME
 *   *             everything above (alone)
 *
 *   "member-failed,user:deploy,query:uptime=/usr/local/bin/on-event"
 *
 * As in serf, `user:` and `query:` with an empty NAME match every user event or query, and the
 * name is compared exactly (case-sensitive). Serf's `member-reap` has no Lifeline equivalent.
 */
import {InvalidConfigError} from "../core/index.ts";

/** Every member and heartbeat event name a handler can subscribe to. */
export const HANDLER_EVENTS = [
  "member-join",
  "member-leave",
  "member-failed",
  "member-update",
  "member-suspect",
  "heartbeat-up",
  "heartbeat-down",
] as const;

/** A member or heartbeat event name a handler can subscribe to. */
export type HandlerEventName = (typeof HANDLER_EVENTS)[number];

/** One item of a filter list. */
export type HandlerFilter =
  | {readonly event: HandlerEventName}
  /** `name` undefined (`user`, `user:`): every user event; else only those named `name`. */
  | {readonly event: "user"; readonly name?: string}
  /** `name` undefined (`query`, `query:`): every query; else only those named `name`. */
  | {readonly event: "query"; readonly name?: string};

/** One `--event-handler` value, parsed. */
export interface EventHandlerSpec {
  /** What runs the command: `"*"` for every event, else any of the filters. */
  readonly filters: "*" | readonly HandlerFilter[];
  /** Passed to `/bin/sh -c`. */
  readonly command: string;
}

/** What a filter is matched against: the event's type and, for user events and queries, its name. */
export type HandlerEventKey =
  | {readonly event: HandlerEventName}
  | {readonly event: "user" | "query"; readonly name: string};

/** Every filter name, for help texts and error messages. */
export const HANDLER_FILTERS_HELP = `${HANDLER_EVENTS.join(", ")}, user, user:NAME, query, query:NAME, or *`;

const PLAIN_FILTER = /^[a-z*][a-z*,-]*$/;
const NAMED_FILTER = /^(user|query):/;

/**
 * Parses `[FILTER=]COMMAND`. The text before the first `=` is a filter when it looks like one:
 * every comma-separated item lower-case letters, `-` and `*`, or any item starting with `user:`
 * or `query:`. So `FOO=1 ./script` is a plain command. A filter-shaped prefix with an unknown
 * name is an error (a typo must not silently become a command); write `*=COMMAND` to run a
 * command that itself starts with `word=`. Without a filter the command runs for every event.
 * NAME may hold any character but `,` and `=` (serf's rule: it splits on them).
 */
export function parseEventHandler(text: string): EventHandlerSpec {
  if (typeof text !== "string" || text.trim() === "")
    throw new InvalidConfigError("eventHandler", "must be [FILTER=]COMMAND");
  const eq = text.indexOf("=");
  const prefix = eq > 0 ? text.slice(0, eq) : "";
  const items = prefix.split(",");
  const isFilter = eq > 0 && (PLAIN_FILTER.test(prefix) || items.some((item) => NAMED_FILTER.test(item)));
  if (!isFilter) return {filters: "*", command: text};
  const command = text.slice(eq + 1);
  if (command.trim() === "") throw new InvalidConfigError("eventHandler", `needs a command after "${prefix}="`);
  if (items.includes("*")) {
    if (items.length > 1) throw new InvalidConfigError("eventHandler", `"*" cannot be combined with other events`);
    return {filters: "*", command};
  }
  return {filters: items.map(parseFilter), command};
}

function parseFilter(item: string): HandlerFilter {
  const named = NAMED_FILTER.exec(item);
  if (named) {
    const event = named[1] as "user" | "query";
    const name = item.slice(event.length + 1);
    return name === "" ? {event} : {event, name};
  }
  if (item === "user" || item === "query") return {event: item};
  if ((HANDLER_EVENTS as readonly string[]).includes(item)) return {event: item as HandlerEventName};
  throw new InvalidConfigError(
    "eventHandler",
    `unknown event ${JSON.stringify(item)}; must be one of ${HANDLER_FILTERS_HELP}`,
  );
}

/** Whether `spec` runs for the event `key` (serf's EventFilter.Invoke, over the filter list). */
export function handlesEvent(spec: EventHandlerSpec, key: HandlerEventKey): boolean {
  if (spec.filters === "*") return true;
  return spec.filters.some((filter) => {
    if (filter.event !== key.event) return false;
    if (filter.event === "user" || filter.event === "query") {
      return filter.name === undefined || filter.name === (key as {name: string}).name;
    }
    return true;
  });
}

/** The filter list as written (`*` or a comma list), for logs. */
export function formatFilters(spec: EventHandlerSpec): string {
  if (spec.filters === "*") return "*";
  return spec.filters.map((f) => ("name" in f && f.name !== undefined ? `${f.event}:${f.name}` : f.event)).join(",");
}
