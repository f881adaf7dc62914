/* `lifeline leave`: asks a running agent to leave the cluster gracefully; it then stops. */
import type {Command} from "../command.ts";
import {CLIENT_FLAGS, clientCommand, errorText, httpBase, request} from "../http-client.ts";

export const leaveCommand: Command = {
  name: "leave",
  synopsis: "[--http HOST:PORT]",
  description: "  Asks the agent to leave gracefully; it then stops.",
  flags: CLIENT_FLAGS,
  async run(parsed, io) {
    const base = httpBase(parsed, io);
    return clientCommand("leave", io, async () => {
      const {status, body} = await request(base, "/v1/leave", {method: "POST"});
      if (status !== 200) {
        io.stderr(`lifeline leave: ${errorText(body)}\n`);
        return 1;
      }
      io.stdout("left the cluster\n");
      return 0;
    });
  },
};
