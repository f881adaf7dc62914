/*
 * `lifeline testbed`: runs a scenario file (the simulator's, sim/scenarios/*.json) against real
 * `lifeline agent` processes, one per network namespace, with the faults on real mechanisms, and
 * writes the simulator's report marked `run: "testbed"`. Root only. The simulator's overrides
 * (--nodes, --seed, --duration-ms, the protocol flags, --crash/--partition/--pause) mean the same
 * here. This process stays in the root namespace and removes the run whatever happens
 * (src/testbed/outer.ts); the run itself happens in a second process inside the run's hub
 * namespace (`--inside RUN`, internal). `--cleanup` removes what a killed run left.
 */
import {existsSync, readFileSync, writeFileSync} from "node:fs";
import {dirname, join} from "node:path";
import {fileURLToPath} from "node:url";
import {
  formatSummary,
  loadScenarioFile,
  prepareScenario,
  renderHtml,
  type Scenario,
  type ScenarioOverrides,
} from "../../../sim/index.ts";
import {InvalidConfigError} from "../../core/index.ts";
import {
  checkHost,
  checkTestbedScenario,
  createPlan,
  MAX_TESTBED_NODES,
  removeLeftovers,
  runOnTestbed,
  runOutside,
  TestbedError,
  watchOuter,
  workDirOf,
} from "../../testbed/index.ts";
import type {CliIo, Command} from "../command.ts";
import {type FlagSpec, type ParsedFlags, usageErrorFor} from "../flags.ts";
import {UsageError} from "../usage-error.ts";
import {SIM_FLAGS, simRequestFromFlags} from "./sim.ts";

/** The simulator's flags that mean the same on the testbed. */
const SHARED = new Set([
  "scenario",
  "seed",
  "duration-ms",
  "profile",
  "loss",
  "join-spread-ms",
  "sample-interval-ms",
  "crash",
  "partition",
  "pause",
  "stall",
  "json",
  "html",
]);

/** --duration-ms without the simulator's default (the scenario's length is the default) and in real time. */
function realTime(spec: FlagSpec): FlagSpec {
  const {default: _simDefault, ...rest} = spec;
  return {...rest, help: "real run length (default: the scenario's); TIME is ms or 30s / 2m"};
}

export const TESTBED_FLAGS: readonly FlagSpec[] = [
  ...SIM_FLAGS.filter((spec) => SHARED.has(spec.name) || spec.path?.startsWith("config.") === true).map((spec) =>
    spec.name === "duration-ms" ? realTime(spec) : spec,
  ),
  {
    name: "nodes",
    type: "int",
    min: 1,
    max: MAX_TESTBED_NODES,
    path: "nodes",
    help: "cluster size: one agent and one namespace each (default: the scenario's)",
  },
  {name: "ipv6", type: "bool", help: "agents gossip over IPv6 (ULA fd00:198:18::/64 inside the namespaces)"},
  {name: "verbose", type: "bool", help: "print every agent's stderr lines"},
  {
    name: "cleanup",
    type: "bool",
    help: "remove every testbed namespace (and its processes) and scratch directory a killed run left",
  },
  {name: "inside", type: "string", value: "RUN", help: "internal: run inside the hub namespace of run RUN"},
];

export const testbedCommand: Command = {
  name: "testbed",
  synopsis: "--scenario FILE [flags] | --cleanup",
  description:
    "  Runs a simulator scenario in real time on real agents, one per network namespace joined by a\n" +
    "  bridge (addresses from 198.18.0.0/15), with faults from iptables rules, signals and the\n" +
    "  agents' fault channel (slow, stall: lifeline testbed-agent), and writes the simulator's\n" +
    "  report (run: testbed). Needs root, ip and iptables.",
  flags: TESTBED_FLAGS,
  footer: "Selectors (SEL, A, B): all, nK, A%-B% (index range), random:K, random:P%, !SEL.",
  run: runTestbed,
};

/** The package root (where package.json names lifeline), from this module in src/ or dist/src/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let k = 0; k < 6; k++) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as {name?: string}).name === "lifeline") return dir;
    dir = dirname(dir);
  }
  throw new TestbedError("cannot find the lifeline package root");
}

function usageFrom(error: InvalidConfigError, parsed: ParsedFlags, file: string): UsageError {
  const byFlag = usageErrorFor(TESTBED_FLAGS, error);
  if (byFlag?.flag !== undefined && parsed.values.has(byFlag.flag.slice(2))) return byFlag;
  return new UsageError(`--scenario ${file}: ${error.message}`, {cause: error});
}

/** The scenario with the flags' extra faults, and the overrides; validated as the simulator would. */
function loadRequest(parsed: ParsedFlags): {scenario: Scenario; overrides: ScenarioOverrides; file: string} {
  const file = parsed.values.get("scenario") as string | undefined;
  if (file === undefined) throw new UsageError("--scenario FILE is required (or --cleanup)", {flag: "--scenario"});
  const {overrides, faults} = simRequestFromFlags(parsed);
  try {
    const loaded = loadScenarioFile(file);
    const scenario: Scenario = {...loaded, faults: [...(loaded.faults ?? []), ...faults]};
    checkTestbedScenario(scenario, overrides);
    prepareScenario(scenario, overrides);
    return {scenario, overrides, file};
  } catch (error) {
    if (error instanceof InvalidConfigError) throw usageFrom(error, parsed, file);
    throw error;
  }
}

async function runTestbed(parsed: ParsedFlags, io: CliIo): Promise<number> {
  const out = (line: string): void => io.stdout(`${line}\n`);
  const log = (line: string): void => io.stderr(`${line}\n`);
  const ipv6 = parsed.values.get("ipv6") === true;
  try {
    if (parsed.values.get("cleanup") === true) {
      checkHost(false);
      const removed = removeLeftovers();
      out(removed.length === 0 ? "no testbed namespaces found" : `removed ${removed.join(", ")}`);
      return 0;
    }
    const {scenario, overrides, file} = loadRequest(parsed);
    const nodes = overrides.nodes ?? scenario.nodes;
    if (nodes > MAX_TESTBED_NODES) {
      throw UsageError.invalid(
        "--nodes",
        `the testbed runs at most ${MAX_TESTBED_NODES} agents (the scenario has ${nodes})`,
      );
    }
    const bin = join(packageRoot(), "bin", "lifeline");
    const inside = parsed.values.get("inside") as string | undefined;
    if (inside === undefined) {
      const args = parsed.given.flatMap((g) => (g.raw === undefined ? [g.name] : [g.name, g.raw]));
      return await runOutside({nodes, ipv6, bin, args, log});
    }
    const seed = overrides.seed ?? scenario.seed ?? 1;
    out(
      `SEED=${seed} scenario=${scenario.name} nodes=${nodes} durationMs=${overrides.durationMs ?? scenario.durationMs} run=testbed`,
    );
    const verbose = parsed.values.get("verbose") === true;
    const {report} = await runOnTestbed({
      scenario,
      overrides: {...overrides, seed},
      plan: createPlan(inside, nodes, ipv6),
      bin,
      workDir: workDirOf(inside),
      log,
      signal: watchOuter(process.stdin),
      ...(verbose ? {onAgentLine: (name: string, line: string) => log(`[${name}] ${line}`)} : {}),
    });
    out(formatSummary(report));
    const repeat = parsed.given
      .filter((g) => !["--scenario", "--nodes", "--seed", "--json", "--html", "--inside", "--verbose"].includes(g.name))
      .flatMap((g) => (g.raw === undefined ? [g.name] : [g.name, g.raw]));
    const again = [
      "lifeline testbed --scenario",
      file,
      "--nodes",
      String(nodes),
      ...repeat,
      "--seed",
      String(seed),
    ].join(" ");
    const json = parsed.values.get("json") as string | undefined;
    if (json !== undefined) {
      writeFileSync(json, `${JSON.stringify(report, null, 1)}\n`);
      out(`wrote ${json}`);
    }
    const html = parsed.values.get("html") as string | undefined;
    if (html !== undefined) {
      writeFileSync(html, renderHtml(report, again));
      out(`wrote ${html}`);
    }
    const failed = report.checks.filter((c) => !c.ok);
    if (failed.length > 0) out(`FAILED: ${failed.map((c) => c.name).join(", ")}`);
    out(`run again with: ${again}`);
    return failed.length > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof TestbedError) {
      log(`lifeline testbed: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
