/* `lifeline join ADDR...`: asks a running agent to join the cluster through the given seeds. */
import type {Command} from "../command.ts";
import {CLIENT_FLAGS, clientCommand, errorText, httpBase, request} from "../http-client.ts";
import {UsageError} from "../usage-error.ts";

export const joinCommand: Command = {
  name: "join",
  synopsis: "[--http HOST:PORT] ADDR...",
  description: "  Asks the agent to join the cluster through ADDR (HOST:PORT or DNS name).",
  flags: CLIENT_FLAGS,
  positionals: true,
  async run(parsed, io) {
    if (parsed.positionals.length === 0) throw new UsageError("needs at least one ADDR (HOST:PORT or DNS name)");
    const base = httpBase(parsed, io);
    return clientCommand("join", io, async () => {
      const {status, body} = await request(base, "/v1/join", {method: "POST", body: {addrs: parsed.positionals}});
      if (status === 400) throw new UsageError(errorText(body));
      if (status !== 200) {
        io.stderr(`lifeline join: ${errorText(body)}\n`);
        return 1;
      }
      io.stdout(`joined: ${(body as {joined: number}).joined} address(es) answered\n`);
      return 0;
    });
  },
};
