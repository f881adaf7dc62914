/* `lifeline leader`: the leader a running agent computes for a role (ring owner of KEY among tagged up members). */
import type {Command} from "../command.ts";
import type {FlagSpec} from "../flags.ts";
import {CLIENT_FLAGS, clientCommand, errorText, httpBase, request} from "../http-client.ts";
import {UsageError} from "../usage-error.ts";

const FLAGS: readonly FlagSpec[] = [
  ...CLIENT_FLAGS,
  {name: "key", type: "string", value: "KEY", help: "the role's ring key (default lifeline/leader)"},
  {name: "tag", type: "list", value: "KEY=VALUE", help: "only members with this tag are candidates (repeatable)"},
];

export const leaderCommand: Command = {
  name: "leader",
  synopsis: "[flags]",
  description:
    "  Prints the leader the agent computes: the ring owner of KEY among up members with the tags.\n" +
    "  Deterministic, not consensus: agents agree once their member lists agree.",
  flags: FLAGS,
  async run(parsed, io) {
    const query = new URLSearchParams();
    const key = parsed.values.get("key") as string | undefined;
    if (key !== undefined) query.set("key", key);
    for (const tag of (parsed.values.get("tag") as string[] | undefined) ?? []) {
      if (tag.indexOf("=") <= 0) {
        throw UsageError.invalid("--tag", `must be KEY=VALUE with a non-empty KEY, got ${JSON.stringify(tag)}`);
      }
      query.append("tag", tag);
    }
    const base = httpBase(parsed, io);
    return clientCommand("leader", io, async () => {
      const {status, body} = await request(base, `/v1/leader?${query}`);
      if (status !== 200) {
        io.stderr(`lifeline leader: ${errorText(body)}\n`);
        return 1;
      }
      const leader = (body as {leader: string | null}).leader;
      if (leader === null) {
        io.stderr("lifeline leader: no candidate\n");
        return 1;
      }
      io.stdout(`${leader}\n`);
      return 0;
    });
  },
};
