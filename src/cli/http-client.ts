/*
 * The small HTTP client the client commands (members, join, leave, ring, leader, rtt) share: where the
 * agent's API is by default, the `--http` and `--http-token` flags, one JSON request with a timeout, and the
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

/** One request; the body is parsed as JSON when it is JSON. Throws AgentUnreachable. */
export async function request(
  api: ApiTarget,
  path: string,
  init?: {method: string; body?: unknown},
): Promise<{status: number; body: unknown}> {
  const base = api.url;
  const headers: Record<string, string> = {};
  if (init?.body !== undefined) headers["content-type"] = "application/json";
  if (api.token !== undefined) headers.authorization = `Bearer ${api.token}`;
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method: init?.method ?? "GET",
      headers,
      ...(init?.body !== undefined ? {body: JSON.stringify(init.body)} : {}),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = (error as {cause?: {code?: string}}).cause?.code ?? (error as Error).message;
    throw new AgentUnreachable(
      `cannot reach the agent at ${base} (${cause}); is \`lifeline agent\` running with --http?`,
    );
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON; keep the text
  }
  return {status: response.status, body};
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

/** The `error` field of an API error answer, or the answer itself. */
export function errorText(body: unknown): string {
  return typeof body === "object" && body !== null && "error" in body
    ? String((body as {error: unknown}).error)
    : String(body);
}
