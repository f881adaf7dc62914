/*
 * `lifeline keys --install K | --use K | --remove K | --list`: cluster-wide key rotation through a
 * running agent (serf's `serf keys`): each step is an internal query every member answers,
 * serf agents included. Exits 1 when any member failed or did not answer.
 */
import type {CliIo, Command} from "../command.ts";
import type {FlagSpec} from "../flags.ts";
import {CLIENT_FLAGS, clientCommand, errorText, httpBase, request, usageErrorOf} from "../http-client.ts";
import {UsageError} from "../usage-error.ts";

const FLAGS: readonly FlagSpec[] = [
  ...CLIENT_FLAGS,
  {name: "install", type: "string", value: "KEY", help: "install KEY (base64) on every member"},
  {name: "use", type: "string", value: "KEY", help: "make KEY, already installed, the primary key everywhere"},
  {name: "remove", type: "string", value: "KEY", help: "remove KEY everywhere (refused for the primary key)"},
  {name: "list", type: "bool", help: "list the keys members hold, with how many hold each"},
  {name: "json", type: "bool", help: "print the answer as JSON"},
];

const OPERATIONS = ["install", "use", "remove", "list"] as const;

/** POST /v1/keys/* and GET /v1/keys answer this. */
interface KeyAnswer {
  readonly numNodes: number;
  readonly numResponses: number;
  readonly numErrors: number;
  readonly messages: Readonly<Record<string, string>>;
  readonly keys: Readonly<Record<string, number>>;
  readonly primaryKeys: Readonly<Record<string, number>>;
}

export const keysCommand: Command = {
  name: "keys",
  synopsis: "[flags] --install KEY | --use KEY | --remove KEY | --list",
  description:
    "  Changes or lists the keyring of every member, serf agents included, through the agent.\n" +
    "  Rotation: --install NEW, then --use NEW, then --remove OLD. Exactly one operation per call.",
  flags: FLAGS,
  async run(parsed, io) {
    const given = OPERATIONS.filter((op) => parsed.values.has(op) && parsed.values.get(op) !== false);
    if (given.length !== 1)
      throw new UsageError(`needs exactly one of --install, --use, --remove, --list (got ${given.length})`);
    const op = given[0] as (typeof OPERATIONS)[number];
    const key = parsed.values.get(op);
    if (op !== "list" && (typeof key !== "string" || key === ""))
      throw UsageError.invalid(`--${op}`, "must be a base64 key of 16, 24 or 32 bytes");
    const base = httpBase(parsed, io);
    return clientCommand("keys", io, async () => {
      const {status, body} =
        op === "list"
          ? await request(base, "/v1/keys")
          : await request(base, `/v1/keys/${op}`, {method: "POST", body: {key}});
      if (status === 400) throw usageErrorOf(body, (field) => (field === "key" ? `--${op}` : undefined));
      if (status !== 200) {
        io.stderr(`lifeline keys: ${errorText(body)}\n`);
        return 1;
      }
      const answer = body as KeyAnswer;
      if (parsed.values.get("json") === true) io.stdout(`${JSON.stringify(answer, null, 2)}\n`);
      else printAnswer(op, answer, io);
      return answer.numErrors > 0 || answer.numResponses < answer.numNodes ? 1 : 0;
    });
  },
};

const DONE: Readonly<Record<string, string>> = {install: "installed", use: "made primary", remove: "removed"};

function printAnswer(op: (typeof OPERATIONS)[number], answer: KeyAnswer, io: CliIo): void {
  const failed = answer.numErrors > 0 || answer.numResponses < answer.numNodes;
  for (const [member, message] of Object.entries(answer.messages)) io.stderr(`  ${member}: ${message}\n`);
  if (failed) {
    io.stderr(
      `lifeline keys: ${answer.numNodes - answer.numResponses} of ${answer.numNodes} members did not answer, ${answer.numErrors} failed\n`,
    );
  }
  if (op === "list") {
    io.stdout("Keys installed in the cluster:\n");
    for (const [key, count] of Object.entries(answer.keys)) {
      const primary = answer.primaryKeys[key] ?? 0;
      io.stdout(`  ${key} [${count}/${answer.numNodes}]${primary > 0 ? ` primary on ${primary}` : ""}\n`);
    }
    return;
  }
  if (!failed) io.stdout(`Key ${DONE[op]} on all ${answer.numNodes} members.\n`);
}
