/* `lifeline ring KEY`: which member owns KEY on a running agent's hash ring (and the next N-1). */
import type {Command} from "../command.ts";
import {type FlagSpec, flagValue} from "../flags.ts";
import {CLIENT_FLAGS, clientCommand, errorText, httpBase, request} from "../http-client.ts";
import {UsageError} from "../usage-error.ts";

const FLAGS: readonly FlagSpec[] = [
  ...CLIENT_FLAGS,
  {name: "n", type: "int", min: 1, max: 1000, default: 1, help: "list the first N distinct owners (replicas)"},
  {name: "json", type: "bool", help: "print the JSON answer"},
];

export const ringCommand: Command = {
  name: "ring",
  synopsis: "KEY [flags]",
  description: "  Prints the member that owns KEY on the agent's hash ring (and the next N-1 with --n).",
  flags: FLAGS,
  positionals: true,
  async run(parsed, io) {
    if (parsed.positionals.length !== 1) throw new UsageError("needs exactly one KEY");
    const key = parsed.positionals[0] as string;
    const n = flagValue(parsed, FLAGS, "n") as number;
    const base = httpBase(parsed, io);
    return clientCommand("ring", io, async () => {
      const {status, body} = await request(base, `/v1/ring?key=${encodeURIComponent(key)}&n=${n}`);
      if (status !== 200) {
        io.stderr(`lifeline ring: ${errorText(body)}\n`);
        return 1;
      }
      const answer = body as {owner: string | null; owners: string[]};
      if (parsed.values.get("json") === true) io.stdout(`${JSON.stringify(body, null, 2)}\n`);
      else if (answer.owner === null) {
        io.stderr("lifeline ring: the ring is empty\n");
        return 1;
      } else io.stdout(`${answer.owners.join("\n")}\n`);
      return 0;
    });
  },
};
