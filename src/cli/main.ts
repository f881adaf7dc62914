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
import type {CliIo, CommandEntry} from "./command.ts";
import {formatCommandHelp} from "./command.ts";
import {parseFlags} from "./flags.ts";
import {UsageError} from "./usage-error.ts";

export type {CliIo} from "./command.ts";
export {formatMemberTable} from "./commands/members.ts";

/**
 * Every command, in the order `lifeline --help` lists them: its name and summary here, the rest
 * (flags, help text, run) in its module, imported only when that command runs. An eager import of
 * every command would make `lifeline agent` load the simulator, the testbed and the demo too
 * (~3 MB of RSS for code an agent never runs).
 */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "agent",
    summary: "run an agent (SWIM + Lifeguard, wire-compatible with serf/memberlist)",
    load: async () => (await import("./commands/agent.ts")).agentCommand,
  },
  {
    name: "members",
    summary: "list the members a running agent knows (--json for JSON)",
    load: async () => (await import("./commands/members.ts")).membersCommand,
  },
  {
    name: "monitor",
    summary: "follow a running agent's events, one line each (--json for NDJSON)",
    load: async () => (await import("./commands/monitor.ts")).monitorCommand,
  },
  {
    name: "join",
    summary: "ask a running agent to join ADDR...",
    load: async () => (await import("./commands/join.ts")).joinCommand,
  },
  {
    name: "leave",
    summary: "ask a running agent to leave the cluster gracefully",
    load: async () => (await import("./commands/leave.ts")).leaveCommand,
  },
  {
    name: "ring",
    summary: "print which member owns KEY on the hash ring (ring KEY [--n N])",
    load: async () => (await import("./commands/ring.ts")).ringCommand,
  },
  {
    name: "leader",
    summary: "print the leader a running agent computes (--key K, --tag k=v)",
    load: async () => (await import("./commands/leader.ts")).leaderCommand,
  },
  {
    name: "event",
    summary: "send a user event NAME [PAYLOAD] to the cluster",
    load: async () => (await import("./commands/event.ts")).eventCommand,
  },
  {
    name: "query",
    summary: "query the cluster: NAME [PAYLOAD], print acks and responses",
    load: async () => (await import("./commands/query.ts")).queryCommand,
  },
  {
    name: "keys",
    summary: "rotate encryption keys across the cluster (--install, --use, --remove, --list)",
    load: async () => (await import("./commands/keys.ts")).keysCommand,
  },
  {
    name: "rtt",
    summary: "estimate the round-trip time between two members from network coordinates",
    load: async () => (await import("./commands/rtt.ts")).rttCommand,
  },
  {
    name: "keygen",
    summary: "print a new base64 encryption key",
    load: async () => (await import("./commands/keygen.ts")).keygenCommand,
  },
  {
    name: "demo",
    summary: "start 5 agents on loopback, kill one, stop one, print detection times",
    load: async () => (await import("./commands/demo.ts")).demoCommand,
  },
  {
    name: "sim",
    summary: "run the deterministic cluster simulator (lifeline sim --help)",
    load: async () => (await import("./commands/sim.ts")).simCommand,
  },
  {
    name: "testbed",
    summary: "run a scenario on real agents in network namespaces (root; lifeline testbed --help)",
    load: async () => (await import("./commands/testbed.ts")).testbedCommand,
  },
  {
    name: "testbed-agent",
    summary: "an agent that takes slow/stall fault commands on stdin (what `lifeline testbed` runs)",
    load: async () => (await import("./commands/testbed-agent.ts")).testbedAgentCommand,
  },
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
  const entry = COMMANDS.find((c) => c.name === name);
  try {
    if (entry === undefined) throw new UsageError(`unknown command ${JSON.stringify(name)} (try lifeline --help)`);
    const command = await entry.load();
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
