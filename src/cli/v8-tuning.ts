/*
 * V8 settings for an agent process, applied by main() (the `lifeline` binary, not run(), so tests
 * and embedders that call run() in-process keep their own V8) before the command's module loads.
 * An agent is a small, long-lived, mostly idle process: V8's defaults, tuned for throughput, spend
 * its memory on things it hardly uses. Measured on `lifeline agent` (Node 20; VmRSS after 4 s alone,
 * and per agent of 32 in `bench/agents-vs-serf.mjs --start cold --n 32`, all on one core):
 *
 *   --no-opt                       no TurboFan: the optimizing compiler's code and zones are never
 *                                  paged in (-3.5 MB, file-backed); the hot paths run as bytecode,
 *                                  which at an agent's packet rates costs no measurable steady CPU
 *                                  (bench/agents-vs-serf.mjs).
 *   --semi-space-growth-factor=1   the young generation stays at its initial 1 MB semi-space
 *                                  instead of growing to 16 MB during start-up (-1 MB); scavenges
 *                                  of a 1 MB space are short and an idle agent allocates little.
 *   --optimize-for-size            V8's heap heuristics favour size over speed (-1 MB at 32
 *                                  members: the old generation grows later, is reduced sooner).
 *   --no-sparkplug                 no baseline compiler either: functions stay bytecode (-2.4 MB at
 *                                  32 members, file-backed and code space); steady CPU measured
 *                                  the same (0.6 % of a core per agent at 32 members).
 *
 * Measured and left out: --lite-mode and --jitless save more (-3 to -4 MB at 32 members) but are only safe from
 * node's command line: set at run time they leave WebAssembly enabled, and the first WebAssembly
 * compilation (fetch() compiles one) aborts the process. --single-threaded(-gc), --max-lazy,
 * --max-semi-space-size=1, --stack-size and --no-expose-wasm changed nothing measurable on their own.
 *
 * All are read by V8 when it decides (to compile a function, to grow or shrink the heap), so
 * setting them at run time through v8.setFlagsFromString takes effect: no re-exec, no NODE_OPTIONS.
 * LIFELINE_V8_TUNING=off leaves V8 as node starts it (for a very large cluster, where TurboFan's
 * speed may be worth its memory); a setting given to node itself (`node --opt bin/lifeline …` or
 * in NODE_OPTIONS) is left alone.
 */
import {setFlagsFromString} from "node:v8";

/** The commands that run an agent process (and so get the flags). */
const AGENT_COMMANDS: ReadonlySet<string> = new Set(["agent", "testbed-agent"]);

/** Each V8 setting: its name, and the flag an agent sets. */
export const AGENT_V8_FLAGS: readonly {readonly name: string; readonly flag: string}[] = [
  {name: "opt", flag: "--no-opt"},
  {name: "semi-space-growth-factor", flag: "--semi-space-growth-factor=1"},
  {name: "optimize-for-size", flag: "--optimize-for-size"},
  {name: "sparkplug", flag: "--no-sparkplug"},
];

/**
 * Sets AGENT_V8_FLAGS when `command` runs an agent, unless LIFELINE_V8_TUNING=off; skips a setting
 * node was given (`execArgv`: node's own command-line options). Returns the flags it set.
 */
export function tuneV8For(
  command: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  execArgv: readonly string[],
): string[] {
  if (command === undefined || !AGENT_COMMANDS.has(command) || env.LIFELINE_V8_TUNING === "off") return [];
  const given = new Set([...execArgv, ...(env.NODE_OPTIONS ?? "").split(/\s+/)].map(settingName));
  const set: string[] = [];
  for (const {name, flag} of AGENT_V8_FLAGS) {
    if (given.has(name)) continue;
    setFlagsFromString(flag);
    set.push(flag);
  }
  return set;
}

/** "--no-opt" → "opt", "--semi_space_growth_factor=2" → "semi-space-growth-factor". */
function settingName(option: string): string {
  return option
    .replace(/^--(no-)?/, "")
    .replace(/=.*$/, "")
    .replaceAll("_", "-");
}
