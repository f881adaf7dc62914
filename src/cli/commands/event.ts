/* `lifeline event NAME [PAYLOAD]`: asks a running agent to send a user event to the cluster (serf's `serf event`). */
import type {Command} from "../command.ts";
import type {FlagSpec} from "../flags.ts";
import {CLIENT_FLAGS, clientCommand, errorText, httpBase, request} from "../http-client.ts";
import {UsageError} from "../usage-error.ts";

const FLAGS: readonly FlagSpec[] = [
  ...CLIENT_FLAGS,
  {name: "no-coalesce", type: "bool", help: "deliver every event to handlers, not only the latest of a burst"},
];

export const eventCommand: Command = {
  name: "event",
  synopsis: "[flags] NAME [PAYLOAD]",
  description:
    "  Sends a user event through the agent: every member gets it once (serf agents run their\n" +
    "  `user:NAME` handlers). Name and payload together are limited to the agent's userEventSizeLimit.",
  flags: FLAGS,
  positionals: true,
  async run(parsed, io) {
    const [name, payload, ...rest] = parsed.positionals;
    if (name === undefined || name === "") throw new UsageError("needs an event NAME");
    if (rest.length > 0) throw new UsageError("takes NAME and at most one PAYLOAD (quote a payload with spaces)");
    const coalesce = parsed.values.get("no-coalesce") !== true;
    const base = httpBase(parsed, io);
    return clientCommand("event", io, async () => {
      const {status, body} = await request(base, "/v1/event", {
        method: "POST",
        body: {name, ...(payload !== undefined ? {payload} : {}), coalesce},
      });
      if (status === 400) throw new UsageError(errorText(body));
      if (status !== 200) {
        io.stderr(`lifeline event: ${errorText(body)}\n`);
        return 1;
      }
      io.stdout(
        `Event '${name}' dispatched (Lamport time ${(body as {lTime: number}).lTime}, coalescing ${coalesce}).\n`,
      );
      return 0;
    });
  },
};
