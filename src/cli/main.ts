/*
 * The `lifeline` command line: dispatch only. bin/lifeline calls `main(process.argv.slice(2))`;
 * tests call `run(args, io)` in-process and get the exit code back. Each command lives in
 * commands/ with its flag table; this file parses the arguments against that table, prints the
 * `--help` it generates, and turns a UsageError into one line on stderr and exit code 2.
 *
 * Exit codes: 0 success, 1 runtime failure (cannot bind, cannot reach the agent, join failed, a
 * simulator check failed), 2 bad usage (the one-line message names the flag and the rule).
 */
import {readFileSync} from "node:fs";
import {fileURLToPath} from "node:url";
import type {CliIo, Command} from "./command.ts";
import {formatCommandHelp} from "./command.ts";
import {agentCommand} from "./commands/agent.ts";
import {demoCommand} from "./commands/demo.ts";
import {eventCommand} from "./commands/event.ts";
import {joinCommand} from "./commands/join.ts";
import {keygenCommand} from "./commands/keygen.ts";
import {keysCommand} from "./commands/keys.ts";
import {leaderCommand} from "./commands/leader.ts";
import {leaveCommand} from "./commands/leave.ts";
import {membersCommand} from "./commands/members.ts";
import {monitorCommand} from "./commands/monitor.ts";
import {queryCommand} from "./commands/query.ts";
import {ringCommand} from "./commands/ring.ts";
import {rttCommand} from "./commands/rtt.ts";
import {simCommand} from "./commands/sim.ts";
import {testbedCommand} from "./commands/testbed.ts";
import {testbedAgentCommand} from "./commands/testbed-agent.ts";
import {parseFlags} from "./flags.ts";
import {UsageError} from "./usage-error.ts";

export type {CliIo} from "./command.ts";
export {formatMemberTable} from "./commands/members.ts";

/** Every command, in the order `lifeline --help` lists them. */
export const COMMANDS: readonly Command[] = [
  agentCommand,
  membersCommand,
  monitorCommand,
  joinCommand,
  leaveCommand,
  ringCommand,
  leaderCommand,
  eventCommand,
  queryCommand,
  keysCommand,
  rttCommand,
  keygenCommand,
  demoCommand,
  simCommand,
  testbedCommand,
  testbedAgentCommand,
];

/** `lifeline --help`, from the command list. */
export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`);
  return `Usage: lifeline <command> [flags]\n\nCommands:\n${lines.join("\n")}\n\nRun 'lifeline <command> --help' for the flags of a command; 'lifeline --version' for the version.\n`;
}

/** Runs the CLI and returns the exit code. Never calls process.exit. */
export async function run(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "help" || name === "-h" || name === "--help") {
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    io.stdout(`lifeline ${packageVersion()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(name)} (try lifeline --help)`);
    const parsed = parseFlags(rest, command.flags, {positionals: command.positionals === true});
    if (parsed.help) {
      io.stdout(formatCommandHelp(command));
      return 0;
    }
    return await command.run(parsed, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`lifeline${name.startsWith("-") ? "" : ` ${name}`}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** The package's version, from the package.json two folders above this module (src/cli or dist/src/cli). */
function packageVersion(): string {
  for (const relative of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(fileURLToPath(new URL(relative, import.meta.url)), "utf8")) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === "lifeline" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // not there: try the next layout
    }
  }
  return "unknown";
}

/** The bin entry point: runs the CLI and exits with its code. */
export async function main(args: readonly string[] = process.argv.slice(2)): Promise<void> {
  // A closed pipe (`lifeline demo | head`) must not crash the CLI before it cleans up.
  process.stdout.on("error", () => {});
  process.stderr.on("error", () => {});
  let code: number;
  try {
    code = await run(args);
  } catch (error) {
    process.stderr.write(`lifeline: ${error instanceof Error ? error.message : String(error)}\n`);
    code = 1;
  }
  process.exit(code);
}

function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrIsTty: process.stderr.isTTY === true,
    onSignal: (handler) => {
      const onInt = (): void => handler("SIGINT");
      const onTerm = (): void => handler("SIGTERM");
      process.on("SIGINT", onInt);
      process.on("SIGTERM", onTerm);
      return () => {
        process.off("SIGINT", onInt);
        process.off("SIGTERM", onTerm);
      };
    },
  };
}
