/*
 * `lifeline sim`: runs a scenario file or a cluster described by flags in virtual time, prints
 * the seed first, a progress bar on stderr (TTY only), a summary table, optional JSON and HTML
 * reports, and finally a `reproduce with:` command line. Bad flags exit 2 with one line naming
 * the flag; a failed expectation (safety, agreement…) exits 1.
 */
import {writeFileSync} from "node:fs";
import {performance} from "node:perf_hooks";
import process from "node:process";
import {CONFIG_FIELDS, lanConfig, type SwimConfig} from "../src/core/index.ts";
import type {Fault} from "./faults.ts";
import {renderHtml} from "./html.ts";
import {InvalidSimOptionError} from "./options.ts";
import {formatSummary} from "./report.ts";
import {loadScenarioFile, parseScenario, runScenario, type Scenario, type ScenarioOverrides} from "./scenario.ts";

const USAGE = `usage: lifeline sim [--scenario FILE] [options]

  --scenario FILE        run a scenario (sim/scenarios/*.json); the flags below override it
  --nodes N              cluster size (default 100)
  --seed N               the one seed (default 1)
  --duration-ms TIME     virtual run length (default 60s); TIME is ms or 30s / 2m / 500ms
  --profile NAME         lan | wan | local core preset (default lan)
  --loss RATE            uniform datagram loss, 0 ≤ RATE < 1
  --latency-ms MIN[,J]   one-way latency: MIN plus exponential jitter of mean J (default 1,1)
  --duplicate RATE       datagram duplication probability
  --reorder RATE         probability of an extra reordering delay
  --join-spread-ms TIME  nodes join at random times within this window (default 1s)
  --crash SEL@TIME[+T]   crash nodes (e.g. n5@30s, random:2@1m+20s restarts after 20s); repeatable
  --partition A|B@T1[-T2] split A from B at T1, heal at T2 (e.g. 0%-50%|50%-100%@30s-90s); repeatable
  --pause SEL@TIME+DUR   freeze nodes (a GC stop) for DUR; repeatable
  --compress / --crc     frame datagrams as memberlist can
  --no-safety            skip the safety checker (saves n² memory)
  --json FILE            write the full report as JSON
  --html FILE            write a self-contained HTML page with charts
  --quiet                print only the seed, the summary and the reproduce line
  --trace                print one line per event to stderr (small runs only)
  --<config-field> V     any core config field in kebab-case, e.g. --probe-interval-ms 500
                         (${CONFIG_FIELDS.length} fields: ${CONFIG_FIELDS.map(kebab).join(", ")})

Selectors (SEL, A, B): all, nK, A%-B% (index range), random:K, random:P%, !SEL.`;

/** A bad command line. */
class UsageError extends Error {
  readonly flag: string;
  constructor(flag: string, rule: string) {
    super(`invalid ${flag}; ${rule}`);
    this.name = "UsageError";
    this.flag = flag;
  }
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

const CONFIG_BY_FLAG = new Map<string, keyof SwimConfig>(CONFIG_FIELDS.map((f) => [`--${kebab(f)}`, f]));

/** Parses "1500", "1500ms", "30s", "2m", "1h" into ms. */
export function parseTime(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new UsageError(flag, `must be a time like 1500, 1500ms, 30s or 2m (got ${JSON.stringify(value)})`);
  const unit = m[2] ?? "ms";
  const factor = unit === "ms" ? 1 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000;
  return Math.round(Number(m[1]) * factor);
}

function parseNumber(flag: string, value: string, min: number, max: number, integer: boolean): number {
  const v = Number(value);
  if (value.trim() === "" || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new UsageError(flag, `must be ${integer ? "an integer" : "a number"} between ${min} and ${max}`);
  }
  return v;
}

/** What the command line asked for. */
interface Parsed {
  scenarioFile: string | undefined;
  overrides: {-readonly [K in keyof ScenarioOverrides]: ScenarioOverrides[K]};
  config: Partial<Record<keyof SwimConfig, number | boolean>>;
  faults: Fault[];
  json: string | undefined;
  html: string | undefined;
  quiet: boolean;
  trace: boolean;
  help: boolean;
  /** Flags to repeat in the reproduce line (everything but output flags). */
  reproduce: string[];
}

/** Parses argv (the words after `sim`). Throws UsageError naming the flag. */
export function parseArgs(args: readonly string[]): Parsed {
  const p: Parsed = {
    scenarioFile: undefined,
    overrides: {},
    config: {},
    faults: [],
    json: undefined,
    html: undefined,
    quiet: false,
    trace: false,
    help: false,
    reproduce: [],
  };
  const defaults = lanConfig();
  for (let k = 0; k < args.length; k++) {
    const raw = args[k] as string;
    if (!raw.startsWith("--")) throw new UsageError(raw, "is not a flag (flags start with --; see --help)");
    const eq = raw.indexOf("=");
    const flag = eq >= 0 ? raw.slice(0, eq) : raw;
    const inline = eq >= 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = args[k + 1];
      if (v === undefined || v.startsWith("--")) throw new UsageError(flag, "needs a value");
      k++;
      return v;
    };
    const keep = (v: string) => p.reproduce.push(flag, v);
    switch (flag) {
      case "--help":
      case "-h":
        p.help = true;
        break;
      case "--scenario":
        p.scenarioFile = value();
        keep(p.scenarioFile);
        break;
      case "--nodes": {
        const v = value();
        p.overrides.nodes = parseNumber(flag, v, 1, 100_000, true);
        keep(v);
        break;
      }
      case "--seed": {
        const v = value();
        p.overrides.seed = parseNumber(flag, v, 0, 0xffff_ffff, true);
        break;
      }
      case "--duration-ms": {
        const v = value();
        p.overrides.durationMs = parseTime(flag, v);
        if (p.overrides.durationMs < 1) throw new UsageError(flag, "must be at least 1 ms");
        keep(v);
        break;
      }
      case "--profile": {
        const v = value();
        if (v !== "lan" && v !== "wan" && v !== "local") throw new UsageError(flag, "must be one of lan, wan, local");
        p.overrides.profile = v;
        keep(v);
        break;
      }
      case "--loss": {
        const v = value();
        p.overrides.lossRate = parseNumber(flag, v, 0, 0.999, false);
        keep(v);
        break;
      }
      case "--duplicate": {
        const v = value();
        p.overrides.duplicateRate = parseNumber(flag, v, 0, 1, false);
        keep(v);
        break;
      }
      case "--reorder": {
        const v = value();
        p.overrides.reorderRate = parseNumber(flag, v, 0, 1, false);
        keep(v);
        break;
      }
      case "--latency-ms": {
        const v = value();
        const [min, jitter] = v.split(",");
        p.overrides.latency = {
          minMs: parseNumber(flag, min ?? "", 0, 600_000, false),
          jitterMeanMs: jitter === undefined ? 0 : parseNumber(flag, jitter, 0, 600_000, false),
        };
        keep(v);
        break;
      }
      case "--join-spread-ms": {
        const v = value();
        p.overrides.joinSpreadMs = parseTime(flag, v);
        keep(v);
        break;
      }
      case "--sample-interval-ms": {
        const v = value();
        p.overrides.sampleIntervalMs = Math.max(1, parseTime(flag, v));
        keep(v);
        break;
      }
      case "--crash": {
        const v = value();
        const m = /^(.+)@([^@+]+)(?:\+(.+))?$/.exec(v);
        if (!m) throw new UsageError(flag, "must be SEL@TIME or SEL@TIME+RESTART_AFTER (e.g. n5@30s+20s)");
        p.faults.push({
          type: "crash",
          nodes: m[1] as string,
          atMs: parseTime(flag, m[2] as string),
          ...(m[3] !== undefined ? {restartAfterMs: parseTime(flag, m[3])} : {}),
        });
        keep(v);
        break;
      }
      case "--pause": {
        const v = value();
        const m = /^(.+)@([^@+]+)\+(.+)$/.exec(v);
        if (!m) throw new UsageError(flag, "must be SEL@TIME+DURATION (e.g. n3@20s+15s)");
        p.faults.push({
          type: "pause",
          nodes: m[1] as string,
          atMs: parseTime(flag, m[2] as string),
          durationMs: parseTime(flag, m[3] as string),
        });
        keep(v);
        break;
      }
      case "--partition": {
        const v = value();
        const m = /^([^|]+)\|([^@]+)@([^-@]+)(?:-(.+))?$/.exec(v);
        if (!m) throw new UsageError(flag, "must be A|B@START or A|B@START-END (e.g. 0%-50%|50%-100%@30s-90s)");
        const start = parseTime(flag, m[3] as string);
        const end = m[4] === undefined ? undefined : parseTime(flag, m[4]);
        if (end !== undefined && end <= start) throw new UsageError(flag, "the heal time must be after the start");
        p.faults.push({
          type: "partition",
          a: m[1] as string,
          b: m[2] as string,
          atMs: start,
          ...(end !== undefined ? {durationMs: end - start} : {}),
        });
        keep(v);
        break;
      }
      case "--compress":
      case "--crc":
        p.overrides[flag === "--compress" ? "compress" : "crc"] = true;
        p.reproduce.push(flag);
        break;
      case "--no-safety":
        p.overrides.safety = false;
        p.reproduce.push(flag);
        break;
      case "--json":
        p.json = value();
        break;
      case "--html":
        p.html = value();
        break;
      case "--quiet":
        p.quiet = true;
        break;
      case "--trace":
        p.trace = true;
        break;
      default: {
        const field = CONFIG_BY_FLAG.get(flag);
        if (field === undefined) throw new UsageError(flag, "is not a sim flag or a config field (see --help)");
        if (typeof defaults[field] === "boolean") {
          const v = inline ?? (args[k + 1] === "true" || args[k + 1] === "false" ? args[++k] : "true");
          if (v !== "true" && v !== "false") throw new UsageError(flag, "must be true or false");
          p.config[field] = v === "true";
          keep(v as string);
        } else {
          const v = value();
          p.config[field] = parseNumber(flag, v, 0, Number.MAX_SAFE_INTEGER, true);
          keep(v);
        }
      }
    }
  }
  return p;
}

/** Maps an option error from the simulator back to the flag that caused it. */
function flagFor(field: string): string | undefined {
  if (field.startsWith("config.")) return `--${kebab(field.slice(7))}`;
  const map: Record<string, string> = {
    nodes: "--nodes",
    seed: "--seed",
    durationMs: "--duration-ms",
    lossRate: "--loss",
    "latency.minMs": "--latency-ms",
    "latency.jitterMeanMs": "--latency-ms",
    profile: "--profile",
  };
  return map[field];
}

function progressBar(now: number, total: number, startedWall: number): string {
  const frac = Math.min(1, now / total);
  const width = 30;
  const filled = Math.round(frac * width);
  const elapsed = (performance.now() - startedWall) / 1000;
  const eta = frac > 0 ? elapsed / frac - elapsed : 0;
  return `\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${(now / 1000).toFixed(0)}/${(total / 1000).toFixed(0)} s virtual  ${elapsed.toFixed(0)} s elapsed, ~${eta.toFixed(0)} s left `;
}

/** `lifeline sim …`: `args` are the words after `sim`. Sets process.exitCode (2 usage, 1 failed check). */
export async function main(args: string[]): Promise<void> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const err = (line: string) => process.stderr.write(`${line}\n`);
  let parsed: Parsed;
  try {
    parsed = parseArgs(args);
  } catch (error) {
    if (error instanceof UsageError) {
      err(`lifeline sim: ${error.message}`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  if (parsed.help) {
    out(USAGE);
    return;
  }
  let scenario: Scenario;
  try {
    scenario =
      parsed.scenarioFile !== undefined
        ? loadScenarioFile(parsed.scenarioFile)
        : parseScenario({
            name: "cli",
            description: "a cluster described by command-line flags",
            durationMs: 60_000,
            nodes: 100,
          });
  } catch (error) {
    if (error instanceof InvalidSimOptionError) {
      err(`lifeline sim: --scenario ${parsed.scenarioFile}: ${error.message}`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  const overrides: ScenarioOverrides = {...parsed.overrides, config: parsed.config as Partial<SwimConfig>};
  const withFaults: Scenario = {...scenario, faults: [...(scenario.faults ?? []), ...parsed.faults]};
  const seed = overrides.seed ?? scenario.seed ?? 1;
  const nodes = overrides.nodes ?? scenario.nodes;
  const durationMs = overrides.durationMs ?? scenario.durationMs;
  out(`SEED=${seed} scenario=${scenario.name} nodes=${nodes} durationMs=${durationMs}`);
  const tty = process.stderr.isTTY === true && !parsed.quiet;
  const startedWall = performance.now();
  let lastDraw = 0;
  let run: ReturnType<typeof runScenario>;
  try {
    run = runScenario(
      withFaults,
      {...overrides, seed},
      {
        wallClock: () => performance.now(),
        ...(parsed.trace ? {trace: (line: string) => err(line)} : {}),
        ...(tty
          ? {
              onProgress: (now: number, total: number) => {
                const t = performance.now();
                if (t - lastDraw < 200) return;
                lastDraw = t;
                process.stderr.write(progressBar(now, total, startedWall));
              },
            }
          : {}),
      },
    );
  } catch (error) {
    if (error instanceof InvalidSimOptionError) {
      const flag = flagFor(error.field);
      err(
        flag !== undefined && (parsed.scenarioFile === undefined || args.includes(flag))
          ? `lifeline sim: invalid ${flag}; ${error.message.replace(/^invalid \S+; /, "")}`
          : `lifeline sim: ${parsed.scenarioFile !== undefined ? `--scenario ${parsed.scenarioFile}: ` : ""}${error.message}`,
      );
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  if (tty) process.stderr.write(`${progressBar(durationMs, durationMs, startedWall)}\n`);
  const {report} = run;
  const reproduce = ["lifeline sim", ...parsed.reproduce.map(shellQuote), "--seed", String(seed)].join(" ");
  out(formatSummary(report));
  if (parsed.json !== undefined) {
    writeFileSync(parsed.json, `${JSON.stringify(report, null, 1)}\n`);
    if (!parsed.quiet) out(`wrote ${parsed.json}`);
  }
  if (parsed.html !== undefined) {
    writeFileSync(parsed.html, renderHtml(report, reproduce));
    if (!parsed.quiet) out(`wrote ${parsed.html}`);
  }
  const failed = report.checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    out(`FAILED: ${failed.map((c) => c.name).join(", ")}`);
    process.exitCode = 1;
  }
  out(`reproduce with: ${reproduce}`);
}

function shellQuote(s: string): string {
  return /^[\w@%:.,/+=-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}
