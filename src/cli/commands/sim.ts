/*
 * `lifeline sim`: runs a scenario file or a cluster described by flags in virtual time, prints the
 * seed first, progress on stderr (a bar on a terminal; otherwise a line every 10 s of wall time with
 * virtual time, wall time and memory, for long runs in a log), a summary table, optional JSON and HTML
 * reports, and finally a `reproduce with:` command line. Bad flags exit 2 with one line naming the
 * flag; a failed expectation (safety, agreement…) exits 1. The simulator itself is sim/.
 */
import {writeFileSync} from "node:fs";
import {performance} from "node:perf_hooks";
import {
  type Fault,
  formatSummary,
  loadScenarioFile,
  parseScenario,
  renderHtml,
  runScenario,
  type Scenario,
  type ScenarioOverrides,
} from "../../../sim/index.ts";
import {InvalidConfigError, PROFILES, type SwimConfig} from "../../core/index.ts";
import type {CliIo, Command} from "../command.ts";
import {swimConfigFlags} from "../config-flags.ts";
import {type FlagSpec, flagValue, type ParsedFlags, parseNumberFlag, parseTimeFlag, usageErrorFor} from "../flags.ts";
import {UsageError} from "../usage-error.ts";

/** A row of the simulator's table; `reproduce: false` keeps the flag out of the `reproduce with:` line. */
interface SimFlag extends FlagSpec {
  readonly reproduce?: false;
}

export const SIM_FLAGS: readonly SimFlag[] = [
  {
    name: "scenario",
    type: "string",
    value: "FILE",
    help: "run a scenario (sim/scenarios/*.json); the flags below override it",
  },
  {name: "nodes", type: "int", min: 1, max: 100_000, path: "nodes", default: 100, help: "cluster size"},
  {
    name: "seed",
    type: "int",
    min: 0,
    max: 0xffff_ffff,
    path: "seed",
    default: 1,
    reproduce: false,
    help: "the one seed",
  },
  {
    name: "duration-ms",
    type: "time",
    min: 1,
    path: "durationMs",
    default: 60_000,
    help: "virtual run length; TIME is ms or 30s / 2m / 500ms",
  },
  {
    name: "profile",
    type: "string",
    value: "NAME",
    choices: Object.keys(PROFILES),
    path: "profile",
    help: `${Object.keys(PROFILES).join(" | ")} core preset (default swift)`,
  },
  {name: "loss", type: "number", value: "RATE", min: 0, max: 0.999, path: "lossRate", help: "uniform datagram loss"},
  {
    name: "latency-ms",
    type: "string",
    value: "MIN[,J]",
    path: "latency",
    help: "one-way latency: MIN plus exponential jitter of mean J (default 1,1)",
  },
  {
    name: "duplicate",
    type: "number",
    value: "RATE",
    min: 0,
    max: 1,
    path: "duplicateRate",
    help: "datagram duplication probability",
  },
  {
    name: "reorder",
    type: "number",
    value: "RATE",
    min: 0,
    max: 1,
    path: "reorderRate",
    help: "probability of an extra reordering delay",
  },
  {
    name: "join-spread-ms",
    type: "time",
    path: "joinSpreadMs",
    help: "nodes join at random times within this window (default 1s)",
  },
  {
    name: "start",
    type: "string",
    value: "HOW",
    choices: ["join", "converged"],
    path: "start",
    help: "join (a join storm through the seeds, default) | converged (every node knows every member at t = 0)",
  },
  {
    name: "sample-interval-ms",
    type: "time",
    path: "sampleIntervalMs",
    help: "how often the report samples the cluster (default 1s)",
  },
  {
    name: "crash",
    type: "list",
    value: "SEL@TIME[+T]",
    help: "crash nodes (e.g. n5@30s, random:2@1m+20s restarts after 20s); repeatable",
  },
  {
    name: "partition",
    type: "list",
    value: "A|B@T1[-T2]",
    help: "split A from B at T1, heal at T2 (e.g. 0%-50%|50%-100%@30s-90s); repeatable",
  },
  {name: "pause", type: "list", value: "SEL@TIME+DUR", help: "stop node processes (SIGSTOP) for DUR; repeatable"},
  {
    name: "stall",
    type: "list",
    value: "SEL@TIME+DUR",
    help: "block nodes' event loops (a GC pause, sync work) for DUR; repeatable",
  },
  {name: "compress", type: "bool", path: "compress", help: "frame datagrams LZW-compressed, as memberlist can"},
  {name: "crc", type: "bool", path: "crc", help: "frame datagrams with a CRC, as memberlist can"},
  {name: "label", type: "string", value: "LABEL", path: "label", help: "cluster label on every datagram and stream"},
  {name: "no-safety", type: "bool", path: "safety", help: "skip the safety checker (saves n² memory)"},
  {name: "json", type: "string", value: "FILE", reproduce: false, help: "write the full report as JSON"},
  {name: "html", type: "string", value: "FILE", reproduce: false, help: "write a self-contained HTML page with charts"},
  {name: "quiet", type: "bool", reproduce: false, help: "print only the seed, the summary and the reproduce line"},
  {name: "trace", type: "bool", reproduce: false, help: "print one line per event to stderr (small runs only)"},
  ...swimConfigFlags("config."),
];

export const simCommand: Command = {
  name: "sim",
  synopsis: "[--scenario FILE] [flags]",
  description: "  Runs a cluster in virtual time: one seed reproduces the whole run.",
  flags: SIM_FLAGS,
  footer: "Selectors (SEL, A, B): all, nK, A%-B% (index range), random:K, random:P%, !SEL.",
  run: runSim,
};

/** What the flags ask the simulator for. */
interface SimRequest {
  readonly overrides: ScenarioOverrides;
  readonly faults: readonly Fault[];
}

/** Turns parsed sim flags into scenario overrides and extra faults. Throws UsageError naming the flag. */
export function simRequestFromFlags(parsed: ParsedFlags): SimRequest {
  const v = parsed.values;
  const overrides: Record<string, unknown> = {};
  const config: Record<string, unknown> = {};
  for (const spec of SIM_FLAGS) {
    const value = v.get(spec.name);
    if (value === undefined || spec.path === undefined) continue;
    if (spec.path.startsWith("config.")) config[spec.path.slice("config.".length)] = value;
    else if (spec.type !== "bool" && spec.type !== "list" && spec.path !== "latency") overrides[spec.path] = value;
  }
  if (v.has("sample-interval-ms")) overrides.sampleIntervalMs = Math.max(1, v.get("sample-interval-ms") as number);
  if (v.get("compress") === true) overrides.compress = true;
  if (v.get("crc") === true) overrides.crc = true;
  if (v.get("no-safety") === true) overrides.safety = false;
  const latency = v.get("latency-ms") as string | undefined;
  if (latency !== undefined) {
    const [min, jitter] = latency.split(",");
    overrides.latency = {
      minMs: parseNumberFlag("--latency-ms", min ?? "", {min: 0, max: 600_000}),
      jitterMeanMs: jitter === undefined ? 0 : parseNumberFlag("--latency-ms", jitter, {min: 0, max: 600_000}),
    };
  }
  const faults: Fault[] = [];
  for (const text of (v.get("crash") as string[] | undefined) ?? []) faults.push(crashFault(text));
  for (const text of (v.get("pause") as string[] | undefined) ?? []) faults.push(pauseFault(text, "pause"));
  for (const text of (v.get("stall") as string[] | undefined) ?? []) faults.push(pauseFault(text, "stall"));
  for (const text of (v.get("partition") as string[] | undefined) ?? []) faults.push(partitionFault(text));
  return {overrides: {...overrides, config: config as Partial<SwimConfig>} as ScenarioOverrides, faults};
}

function crashFault(text: string): Fault {
  const m = /^(.+)@([^@+]+)(?:\+(.+))?$/.exec(text);
  if (!m) throw UsageError.invalid("--crash", "must be SEL@TIME or SEL@TIME+RESTART_AFTER (e.g. n5@30s+20s)");
  return {
    type: "crash",
    nodes: m[1] as string,
    atMs: parseTimeFlag("--crash", m[2] as string),
    ...(m[3] !== undefined ? {restartAfterMs: parseTimeFlag("--crash", m[3])} : {}),
  };
}

/** A --pause or --stall flag: the nodes, when, and for how long. */
function pauseFault(text: string, type: "pause" | "stall"): Fault {
  const flag = `--${type}`;
  const m = /^(.+)@([^@+]+)\+(.+)$/.exec(text);
  if (!m) throw UsageError.invalid(flag, "must be SEL@TIME+DURATION (e.g. n3@20s+15s)");
  return {
    type,
    nodes: m[1] as string,
    atMs: parseTimeFlag(flag, m[2] as string),
    durationMs: parseTimeFlag(flag, m[3] as string),
  };
}

function partitionFault(text: string): Fault {
  const m = /^([^|]+)\|([^@]+)@([^-@]+)(?:-(.+))?$/.exec(text);
  if (!m) throw UsageError.invalid("--partition", "must be A|B@START or A|B@START-END (e.g. 0%-50%|50%-100%@30s-90s)");
  const start = parseTimeFlag("--partition", m[3] as string);
  const end = m[4] === undefined ? undefined : parseTimeFlag("--partition", m[4]);
  if (end !== undefined && end <= start)
    throw UsageError.invalid("--partition", "the heal time must be after the start");
  return {
    type: "partition",
    a: m[1] as string,
    b: m[2] as string,
    atMs: start,
    ...(end !== undefined ? {durationMs: end - start} : {}),
  };
}

/** The flags to repeat in the `reproduce with:` line, in the order given (seed and output flags left out). */
function reproduceArgs(parsed: ParsedFlags): string[] {
  const keep = new Set(SIM_FLAGS.filter((spec) => spec.reproduce !== false).map((spec) => `--${spec.name}`));
  return parsed.given
    .filter((g) => keep.has(g.name))
    .flatMap((g) => (g.raw === undefined ? [g.name] : [g.name, g.raw]));
}

/** A simulator configuration error in flag terms, or prefixed by the scenario file it came from. */
function simUsageError(error: InvalidConfigError, parsed: ParsedFlags, scenarioFile: string | undefined): UsageError {
  const byFlag = usageErrorFor(SIM_FLAGS, error);
  if (byFlag?.flag !== undefined && (scenarioFile === undefined || parsed.values.has(byFlag.flag.slice(2))))
    return byFlag;
  return new UsageError(`${scenarioFile !== undefined ? `--scenario ${scenarioFile}: ` : ""}${error.message}`, {
    cause: error,
  });
}

/** Wall time between two progress lines when stderr is not a terminal. */
const PROGRESS_LINE_MS = 10_000;

function memoryText(): string {
  const {rss, heapUsed} = process.memoryUsage();
  const gb = (bytes: number): string =>
    bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(0)} MB`;
  return `rss ${gb(rss)}, heap ${gb(heapUsed)}`;
}

/** The terminal's bar: `[####------]  40%  168/420 s virtual  60 s elapsed, ~90 s left, rss …`. */
function progressBar(now: number, total: number, elapsedMs: number, memory: string): string {
  const frac = Math.min(1, now / total);
  const width = 30;
  const filled = Math.round(frac * width);
  const elapsed = elapsedMs / 1000;
  const eta = frac > 0 ? elapsed / frac - elapsed : 0;
  return `\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${(now / 1000).toFixed(0)}/${(total / 1000).toFixed(0)} s virtual  ${elapsed.toFixed(0)} s elapsed, ~${eta.toFixed(0)} s left, ${memory} `;
}

/** One line for a log: `progress: 12.3/420 s virtual, 45 s wall, rss 3.2 GB, heap 2.9 GB`. */
export function progressLine(now: number, total: number, elapsedMs: number, memory: string): string {
  return `progress: ${(now / 1000).toFixed(1)}/${(total / 1000).toFixed(0)} s virtual, ${(elapsedMs / 1000).toFixed(0)} s wall, ${memory}\n`;
}

async function runSim(parsed: ParsedFlags, io: CliIo): Promise<number> {
  const out = (line: string): void => io.stdout(`${line}\n`);
  const {overrides, faults} = simRequestFromFlags(parsed);
  const scenarioFile = parsed.values.get("scenario") as string | undefined;
  const quiet = parsed.values.get("quiet") === true;
  let scenario: Scenario;
  try {
    scenario =
      scenarioFile !== undefined
        ? loadScenarioFile(scenarioFile)
        : parseScenario({
            name: "cli",
            description: "a cluster described by command-line flags",
            durationMs: flagValue(parsed, SIM_FLAGS, "duration-ms"),
            nodes: flagValue(parsed, SIM_FLAGS, "nodes"),
          });
  } catch (error) {
    if (error instanceof InvalidConfigError)
      throw new UsageError(`--scenario ${scenarioFile}: ${error.message}`, {cause: error});
    throw error;
  }
  const withFaults: Scenario = {...scenario, faults: [...(scenario.faults ?? []), ...faults]};
  const seed = overrides.seed ?? scenario.seed ?? (SIM_FLAGS.find((s) => s.name === "seed")?.default as number);
  const nodes = overrides.nodes ?? scenario.nodes;
  const durationMs = overrides.durationMs ?? scenario.durationMs;
  out(`SEED=${seed} scenario=${scenario.name} nodes=${nodes} durationMs=${durationMs}`);
  const tty = io.stderrIsTty === true && !quiet;
  const startedWall = performance.now();
  let lastDraw = startedWall;
  let run: ReturnType<typeof runScenario>;
  try {
    run = runScenario(
      withFaults,
      {...overrides, seed},
      {
        wallClock: () => performance.now(),
        ...(parsed.values.get("trace") === true ? {trace: (line: string) => io.stderr(`${line}\n`)} : {}),
        ...(quiet
          ? {}
          : {
              onProgress: (now: number, total: number) => {
                const t = performance.now();
                if (t - lastDraw < (tty ? 200 : PROGRESS_LINE_MS)) return;
                lastDraw = t;
                io.stderr((tty ? progressBar : progressLine)(now, total, t - startedWall, memoryText()));
              },
            }),
      },
    );
  } catch (error) {
    if (error instanceof InvalidConfigError) throw simUsageError(error, parsed, scenarioFile);
    throw error;
  }
  if (tty) io.stderr(`${progressBar(durationMs, durationMs, performance.now() - startedWall, memoryText())}\n`);
  const {report} = run;
  const reproduce = ["lifeline sim", ...reproduceArgs(parsed).map(shellQuote), "--seed", String(seed)].join(" ");
  out(formatSummary(report));
  const json = parsed.values.get("json") as string | undefined;
  if (json !== undefined) {
    writeFileSync(json, `${JSON.stringify(report, null, 1)}\n`);
    if (!quiet) out(`wrote ${json}`);
  }
  const html = parsed.values.get("html") as string | undefined;
  if (html !== undefined) {
    writeFileSync(html, renderHtml(report, reproduce));
    if (!quiet) out(`wrote ${html}`);
  }
  const failed = report.checks.filter((c) => !c.ok);
  if (failed.length > 0) out(`FAILED: ${failed.map((c) => c.name).join(", ")}`);
  out(`reproduce with: ${reproduce}`);
  return failed.length > 0 ? 1 : 0;
}

function shellQuote(s: string): string {
  return /^[\w@%:.,/+=-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}
