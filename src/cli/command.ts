/*
 * What a command is: a name, its flag table, and a run function that gets the parsed flags and the
 * I/O to write to. main.ts parses and renders `--help` from the table, so every command reads its
 * arguments the same way; its list (CommandEntry) holds each command's one-line summary for
 * `lifeline --help` and imports the command's module only when the command runs.
 */
import {type FlagSpec, formatFlagHelp, type ParsedFlags} from "./flags.ts";

/** Where the CLI writes; injectable for tests. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** True when stderr is a terminal (progress bars are drawn only then). */
  readonly stderrIsTty?: boolean;
  /** The environment (LIFELINE_* variables); default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Calls `handler` when the process is asked to stop (SIGINT/SIGTERM); returns the unsubscribe. */
  readonly onSignal?: (handler: (signal: string) => void) => () => void;
}

/** One `lifeline` command. */
export interface Command {
  readonly name: string;
  /** What follows `lifeline NAME` in the usage line, e.g. "[flags] ADDR...". */
  readonly synopsis: string;
  /** A few lines under the usage line in `lifeline NAME --help`. */
  readonly description: string;
  readonly flags: readonly FlagSpec[];
  /** Whether positional arguments are accepted. */
  readonly positionals?: boolean;
  /** Lines after the flags in --help. */
  readonly footer?: string;
  /** Runs the command; resolves to the exit code. Throws UsageError for bad usage. */
  run(parsed: ParsedFlags, io: CliIo): Promise<number>;
}

/** A command as `lifeline --help` lists it; `load` imports its module (main.ts). */
export interface CommandEntry {
  readonly name: string;
  /** One line for `lifeline --help`. */
  readonly summary: string;
  load(): Promise<Command>;
}

/** `lifeline NAME --help`, from the command's table. */
export function formatCommandHelp(command: Command): string {
  const flags = command.flags.length > 0 ? `\nFlags:\n${formatFlagHelp(command.flags)}\n` : "";
  const footer = command.footer !== undefined ? `\n${command.footer}\n` : "";
  return `Usage: lifeline ${command.name}${command.synopsis ? ` ${command.synopsis}` : ""}\n\n${command.description}\n${flags}${footer}`;
}
