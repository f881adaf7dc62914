/*
 * `lifeline testbed-agent`: `lifeline agent` with a fault control channel on stdin, the program
 * the testbed runs in every namespace. A line "slow MS" makes the agent handle every input (datagrams,
 * wake-ups, streams) MS late ("slow 0" ends it); "stall MS" blocks its event loop for MS (a GC pause or
 * synchronous work). src/agent/fault-gate.ts holds both. Bad lines are logged and ignored.
 */
import {createInterface} from "node:readline";
import {FaultGate, parseFaultCommand} from "../../agent/index.ts";
import type {Command} from "../command.ts";
import {AGENT_FLAGS, runAgent} from "./agent.ts";

export const testbedAgentCommand: Command = {
  name: "testbed-agent",
  synopsis: "[agent flags]",
  description:
    "Runs `lifeline agent` with the same flags, and reads fault commands from stdin, one per line:\n" +
    "  slow MS    handle every datagram, timer and stream MS ms late (slow 0 ends it)\n" +
    "  stall MS   block the event loop for MS ms\n" +
    "Each applied command is logged to stderr. The agent keeps running when stdin ends.",
  flags: AGENT_FLAGS,
  run: async (parsed, io) => {
    const gate = new FaultGate();
    let lines: ReturnType<typeof createInterface> | undefined;
    const code = await runAgent(parsed, io, gate.hooks, (_agent, line) => {
      lines = createInterface({input: process.stdin});
      lines.on("line", (text) => {
        if (text.trim() === "") return;
        try {
          const command = parseFaultCommand(text);
          line(command.type === "slow" ? `fault slow ${command.delayMs} ms` : `fault stall ${command.durationMs} ms`);
          gate.apply(command);
        } catch (error) {
          line(`fault command ignored: ${(error as Error).message}`);
        }
      });
    });
    lines?.close();
    return code;
  },
};
