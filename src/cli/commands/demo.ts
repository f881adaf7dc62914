/* `lifeline demo`: agents on loopback, one SIGKILLed, one stopped gracefully, detection times reported. */
import type {Command} from "../command.ts";
import {type FlagSpec, flagValue} from "../flags.ts";

const FLAGS: readonly FlagSpec[] = [
  {name: "nodes", type: "int", min: 3, max: 9, default: 5, help: "agents to start"},
  {name: "quick", type: "bool", help: "no pauses for watching"},
];

export const demoCommand: Command = {
  name: "demo",
  synopsis: "[--nodes N] [--quick]",
  description: "  Starts agents on loopback, SIGKILLs one, stops one gracefully, reports timings.",
  flags: FLAGS,
  async run(parsed, io) {
    const nodes = flagValue(parsed, FLAGS, "nodes") as number;
    const {runDemo} = await import("../demo.ts");
    return await runDemo({nodes, io, quick: parsed.values.get("quick") === true});
  },
};
