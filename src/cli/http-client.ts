/*
 * The small HTTP client the client commands (members, join, leave, ring, leader, event, query, keys, rtt) share: where the
 * agent's API is by default, the `--http` and `--http-token` flags, one JSON request with a timeout, a streamed NDJSON request, and the
 * "cannot reach the agent" failure that exits 1.
 */
import {formatHostPort, parseHostPort} from "../agent/index.ts";
import {InvalidConfigError} from "../core/index.ts";
import type {CliIo} from "./command.ts";
import {type FlagSpec, flagValue, type ParsedFlags} from "./flags.ts";
import {UsageError} from "./usage-error.ts";

/** Where `lifeline agent` serves its HTTP API unless told otherwise, and where the clients look. */
export const DEFAULT_HTTP = "127.0.0.1:7947";

/** The clients' `--http` flag. */
export const HTTP_FLAG: FlagSpec = {
  name: "http",
  type: "string",
  value: "HOST:PORT",
  help: "agent HTTP API",
  default: DEFAULT_HTTP,
};

/** The clients' `--http-token` flag (or LIFELINE_HTTP_TOKEN): sent as `Authorization: Bearer …`. */
export const HTTP_TOKEN_FLAG: FlagSpec = {
  name: "http-token",
  type: "string",
  value: "TOKEN",
  help: "the agent's API token (default: $LIFELINE_HTTP_TOKEN)",
};

/** The flags every client command takes. */
export const CLIENT_FLAGS: readonly FlagSpec[] = [HTTP_FLAG, HTTP_TOKEN_FLAG];

/** Where the agent's API is and the token to show it. */
export interface ApiTarget {
  readonly url: string;
  readonly token: string | undefined;
}

/** The API from `--http` and `--http-token` (or LIFELINE_HTTP_TOKEN). Throws UsageError naming the flag. */
export function httpBase(parsed: ParsedFlags, io?: CliIo): ApiTarget {
  const text = flagValue(parsed, [HTTP_FLAG], "http") as string;
  const token = (parsed.values.get("http-token") as string | undefined) ?? (io?.env ?? process.env).LIFELINE_HTTP_TOKEN;
  try {
    return {url: `http://${formatHostPort(parseHostPort(text, "http"))}`, token: token === "" ? undefined : token};
  } catch (error) {
    if (error instanceof InvalidConfigError) throw UsageError.invalid("--http", error.rule, {cause: error});
    throw error;
  }
}

/** The agent did not answer at all (not running, wrong address). */
export class AgentUnreachable extends Error {
  static override name = "AgentUnreachable";
  constructor(message: string) {
    super(message);
    this.name = "AgentUnreachable";
  }
}

/** How long a request may take unless the caller says otherwise. */
const REQUEST_TIMEOUT_MS = 30_000;

/** One request; the body is parsed as JSON when it is JSON. Throws AgentUnreachable. */
export async function request(
  api: ApiTarget,
  path: string,
  init?: {method: string; body?: unknown; timeoutMs?: number},
): Promise<{status: number; body: unknown}> {
  const response = await send(api, path, init);
  return {status: response.status, body: parseBody(await response.text())};
}

/**
 * A request whose 200 answer is a stream of JSON lines (NDJSON): `onLine` gets each as it arrives.
 * Any other status resolves with the parsed body, as `request` does. Throws AgentUnreachable.
 */
export async function requestLines(
  api: ApiTarget,
  path: string,
  init: {method: string; body?: unknown; timeoutMs?: number},
  onLine: (line: unknown) => void,
): Promise<{status: number; body: unknown}> {
  const response = await send(api, path, init);
  if (response.status !== 200 || response.body === null)
    return {status: response.status, body: parseBody(await response.text())};
  const decoder = new TextDecoder();
  let pending = "";
  try {
    for await (const chunk of response.body) {
      pending += decoder.decode(chunk as Uint8Array, {stream: true});
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line !== "") onLine(parseBody(line));
        newline = pending.indexOf("\n");
      }
    }
  } catch (error) {
    throw new AgentUnreachable(`the agent at ${api.url} broke off its answer (${(error as Error).message})`);
  }
  if (pending.trim() !== "") onLine(parseBody(pending.trim()));
  return {status: 200, body: undefined};
}

async function send(
  api: ApiTarget,
  path: string,
  init: {method: string; body?: unknown; timeoutMs?: number} | undefined,
): Promise<Response> {
  const base = api.url;
  const headers: Record<string, string> = {};
  if (init?.body !== undefined) headers["content-type"] = "application/json";
  if (api.token !== undefined) headers.authorization = `Bearer ${api.token}`;
  try {
    return await fetch(`${base}${path}`, {
      method: init?.method ?? "GET",
      headers,
      ...(init?.body !== undefined ? {body: JSON.stringify(init.body)} : {}),
      signal: AbortSignal.timeout(init?.timeoutMs ?? REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as {cause?: {code?: string}}).cause?.code ?? (error as Error).message;
    throw new AgentUnreachable(
      `cannot reach the agent at ${base} (${cause}); is \`lifeline agent\` running with --http?`,
    );
  }
}

/** JSON when the text is JSON, else the text. */
function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Runs a client command; an unreachable agent is reported on stderr and exits 1. */
export async function clientCommand(name: string, io: CliIo, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof AgentUnreachable) {
      io.stderr(`lifeline ${name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/**
 * A 400 answer as the UsageError of the flag that caused it: `flagOf` maps the answer's field
 * (e.g. "tags.role") to a flag name ("--tag"); without one the answer's text stands as it is.
 */
export function usageErrorOf(body: unknown, flagOf: (field: string) => string | undefined): UsageError {
  const field = typeof body === "object" && body !== null ? (body as {field?: unknown}).field : undefined;
  const flag = typeof field === "string" ? flagOf(field) : undefined;
  const text = errorText(body);
  if (flag === undefined) return new UsageError(text);
  const rule = text.startsWith(`invalid ${field}; `) ? text.slice(`invalid ${field}; `.length) : text;
  return UsageError.invalid(flag, rule);
}

/** The `error` field of an API error answer, or the answer itself. */
export function errorText(body: unknown): string {
  return typeof body === "object" && body !== null && "error" in body
    ? String((body as {error: unknown}).error)
    : String(body);
}
