/*
 * `lifeline monitor` (like `serf monitor`): follows a running agent's event stream (GET /v1/events,
 * server-sent events) and prints one line per event, or the event's JSON with --json (NDJSON).
 * When the agent goes away it reconnects, waiting 250 ms and doubling up to 5 s; it stops on
 * SIGINT/SIGTERM.
 */
import type {CliIo, Command} from "../command.ts";
import type {FlagSpec} from "../flags.ts";
import {type ApiTarget, CLIENT_FLAGS, httpBase} from "../http-client.ts";

const FLAGS: readonly FlagSpec[] = [
  ...CLIENT_FLAGS,
  {name: "json", type: "bool", help: "print each event as one JSON line (NDJSON)"},
];

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;

export const monitorCommand: Command = {
  name: "monitor",
  synopsis: "[--http HOST:PORT] [--json]",
  description: "  Prints every member and heartbeat event the agent sees; reconnects if the agent restarts.",
  flags: FLAGS,
  async run(parsed, io) {
    const api = httpBase(parsed, io);
    const json = parsed.values.get("json") === true;
    const stop = new AbortController();
    const unsubscribe = io.onSignal?.(() => stop.abort());
    try {
      await follow(api, io, json, stop.signal);
      return 0;
    } finally {
      unsubscribe?.();
    }
  },
};

/** Reads the stream until `signal` aborts, reconnecting with backoff; tells stderr when it (re)connects. */
async function follow(api: ApiTarget, io: CliIo, json: boolean, signal: AbortSignal): Promise<void> {
  let waitMs = RETRY_FIRST_MS;
  let said = "";
  const note = (text: string): void => {
    if (text !== said) io.stderr(`lifeline monitor: ${text}\n`);
    said = text;
  };
  while (!signal.aborted) {
    try {
      const response = await fetch(`${api.url}/v1/events`, {
        headers: api.token !== undefined ? {authorization: `Bearer ${api.token}`} : {},
        signal,
      });
      if (response.status !== 200 || response.body === null) {
        note(`the agent at ${api.url} answered ${response.status} (${(await response.text()).trim()}); retrying`);
      } else {
        note(`following ${api.url}/v1/events`);
        waitMs = RETRY_FIRST_MS;
        await readEvents(response.body, (type, data) => io.stdout(`${json ? data : describe(type, data)}\n`));
        note(`the agent at ${api.url} closed the stream; reconnecting`);
      }
    } catch (error) {
      if (signal.aborted) return;
      note(
        `cannot reach the agent at ${api.url} (${(error as {cause?: {code?: string}}).cause?.code ?? (error as Error).message}); retrying`,
      );
    }
    await sleep(waitMs, signal);
    waitMs = Math.min(waitMs * 2, RETRY_MAX_MS);
  }
}

/** Splits a server-sent event stream into (event, data) pairs; comment lines (keepalives) are skipped. */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (type: string, data: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, {stream: true});
    for (let end = buffered.indexOf("\n\n"); end >= 0; end = buffered.indexOf("\n\n")) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      let type = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) type = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (data.length > 0) onEvent(type, data.join("\n"));
    }
  }
}

/** One human line: time, event, who, and what state or reason. */
function describe(type: string, data: string): string {
  let event: {
    time?: string;
    member?: {name: string; addr: string; port: number; state: string};
    device?: {name: string; phi: number | null};
    reason?: string;
  };
  try {
    event = JSON.parse(data) as typeof event;
  } catch {
    return `${type} ${data}`;
  }
  const time = event.time ?? new Date().toISOString();
  if (event.member) {
    const m = event.member;
    return `${time} ${type} ${m.name} ${m.addr}:${m.port} ${event.reason ?? m.state}`;
  }
  if (event.device) return `${time} ${type} ${event.device.name} phi ${event.device.phi ?? "inf"}`;
  return `${time} ${type} ${data}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, {once: true});
  });
}
