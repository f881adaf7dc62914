/*
 * `lifeline query NAME [PAYLOAD]`: asks a running agent to query the cluster (serf's `serf query`)
 * and prints acks and responses as they arrive, then the totals. --json prints one object at the end.
 */
import type {CliIo, Command} from "../command.ts";
import type {FlagSpec} from "../flags.ts";
import {CLIENT_FLAGS, clientCommand, errorText, httpBase, requestLines, usageErrorOf} from "../http-client.ts";
import {UsageError} from "../usage-error.ts";

const FLAGS: readonly FlagSpec[] = [
  ...CLIENT_FLAGS,
  {name: "node", type: "list", value: "NAME", help: "only this member answers (repeat for several)"},
  {
    name: "tag",
    type: "list",
    value: "KEY=REGEX",
    help: "only members whose tag KEY matches REGEX answer (repeat: all must match)",
  },
  {
    name: "timeout-ms",
    type: "time",
    help: "how long to collect answers (default: serf's formula from the cluster size)",
    min: 1,
    max: 3_600_000,
  },
  {name: "no-ack", type: "bool", help: "do not ask members to acknowledge"},
  {
    name: "relay-factor",
    type: "int",
    help: "each responder also relays its answer through N other members",
    min: 0,
    max: 5,
  },
  {name: "json", type: "bool", help: "print one JSON object with every ack and response at the end"},
];

/** One NDJSON line of POST /v1/query. */
type AnswerLine =
  | {type: "ack"; from: string}
  | {type: "response"; from: string; payload: string; payloadBase64: string}
  | {type: "done"; name: string; lTime: number; members: number; acks: number; responses: number};

/** Extra wait past the query's own timeout before the client gives up on the agent. */
const CLIENT_MARGIN_MS = 10_000;

export const queryCommand: Command = {
  name: "query",
  synopsis: "[flags] NAME [PAYLOAD]",
  description:
    "  Sends a query through the agent and prints each ack and response as it arrives. Members\n" +
    "  answer with their query handlers (`onQuery`, `query:NAME` event handlers, serf's handlers).",
  flags: FLAGS,
  positionals: true,
  async run(parsed, io) {
    const [name, payload, ...rest] = parsed.positionals;
    if (name === undefined || name === "") throw new UsageError("needs a query NAME");
    if (rest.length > 0) throw new UsageError("takes NAME and at most one PAYLOAD (quote a payload with spaces)");
    const tags: Record<string, string> = {};
    for (const tag of (parsed.values.get("tag") as readonly string[] | undefined) ?? []) {
      const eq = tag.indexOf("=");
      if (eq <= 0) throw UsageError.invalid("--tag", "must be KEY=REGEX with a non-empty KEY");
      tags[tag.slice(0, eq)] = tag.slice(eq + 1);
    }
    const nodes = parsed.values.get("node") as readonly string[] | undefined;
    const timeoutMs = parsed.values.get("timeout-ms") as number | undefined;
    const relayFactor = parsed.values.get("relay-factor") as number | undefined;
    const json = parsed.values.get("json") === true;
    const body = {
      name,
      ...(payload !== undefined ? {payload} : {}),
      ...(nodes !== undefined ? {nodes} : {}),
      ...(Object.keys(tags).length > 0 ? {tags} : {}),
      ...(timeoutMs !== undefined ? {timeoutMs} : {}),
      ...(relayFactor !== undefined ? {relayFactor} : {}),
      requestAck: parsed.values.get("no-ack") !== true,
    };
    const base = httpBase(parsed, io);
    const lines: AnswerLine[] = [];
    return clientCommand("query", io, async () => {
      const {status, body: error} = await requestLines(
        base,
        "/v1/query",
        // The agent's own default timeout is at most an hour; the stream ends when the query does.
        {method: "POST", body, timeoutMs: (timeoutMs ?? 3_600_000) + CLIENT_MARGIN_MS},
        (line) => {
          lines.push(line as AnswerLine);
          if (!json) printLine(line as AnswerLine, io);
        },
      );
      if (status === 400) throw usageErrorOf(error, flagOfField);
      if (status !== 200) {
        io.stderr(`lifeline query: ${errorText(error)}\n`);
        return 1;
      }
      if (json) io.stdout(`${JSON.stringify(summary(lines), null, 2)}\n`);
      return lines.some((l) => l.type === "done") ? 0 : 1;
    });
  },
};

/** The flag behind a field the agent refused. */
function flagOfField(field: string): string | undefined {
  if (field === "nodes") return "--node";
  if (field === "tags" || field.startsWith("tags.")) return "--tag";
  if (field === "timeoutMs") return "--timeout-ms";
  if (field === "relayFactor") return "--relay-factor";
  return undefined;
}

function printLine(line: AnswerLine, io: CliIo): void {
  switch (line.type) {
    case "ack":
      io.stdout(`Ack from '${line.from}'\n`);
      return;
    case "response":
      io.stdout(`Response from '${line.from}': ${line.payload}\n`);
      return;
    case "done":
      io.stdout(`Total Acks: ${line.acks}\nTotal Responses: ${line.responses}\n`);
      return;
  }
}

/** The --json object: the query, who acked, who responded with what. */
function summary(lines: readonly AnswerLine[]): unknown {
  const done = lines.find((l): l is Extract<AnswerLine, {type: "done"}> => l.type === "done");
  return {
    name: done?.name,
    lTime: done?.lTime,
    members: done?.members,
    acks: lines.flatMap((l) => (l.type === "ack" ? [l.from] : [])),
    responses: Object.fromEntries(lines.flatMap((l) => (l.type === "response" ? [[l.from, l.payload]] : []))),
    complete: done !== undefined,
  };
}
