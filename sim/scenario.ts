/*
 * Scenarios: a JSON file (sim/scenarios/*.json) or object that says how big the cluster is,
 * how the network behaves, which faults happen when, and what must hold at the end. The same
 * file runs at any size: selectors are relative ("0%-50%", "random:1%") and `nodes`,
 * `durationMs` and `seed` can be overridden (tests run every shipped scenario small).
 *
 *   {
 *     "name": "partition-heal", "description": "...",
 *     "nodes": 100, "seed": 1, "durationMs": 180000, "profile": "lan",
 *     "config": {"probeIntervalMs": 1000}, "latency": {"minMs": 1, "jitterMeanMs": 1},
 *     "lossRate": 0, "joinSpreadMs": 2000,
 *     "groups": {"left": "0%-50%"},
 *     "faults": [{"atMs": 30000, "type": "partition", "a": "@left", "b": "!@left", "durationMs": 60000}],
 *     "events": [{"atMs": 10000, "everyMs": 2000, "jitterMs": 500, "from": "all", "name": "tick"}],
 *     "queries": [{"atMs": 15000, "everyMs": 20000, "from": "random:1", "name": "ping"}],
 *     "expect": {"agreeAtEnd": true, "healAgreementWithinMs": 60000}
 *   }
 *
 * `events` and `queries` (serf-traffic.ts) run serf's layer on every node and fill the report's
 * `serf` section; a scenario without them runs exactly as before (same trace hash).
 *
 * A run has the VOPR's two phases: faults on (safety checked all along), then the liveness
 * expectations judged on the report.
 */
import {readFileSync} from "node:fs";
import {InvalidConfigError, type SwimConfig} from "../src/core/index.ts";
import {type Fault, type FaultTarget, scheduleFault} from "./faults.ts";
import {checkNumber, SIM_FIELD_NAMES, type SimInit} from "./options.ts";
import {buildReport, type CheckResult, type SimReport} from "./report.ts";
import {resolveSelector, type SelectorContext} from "./selector.ts";
import {type EventSpec, hasSerfTraffic, type QuerySpec, scheduleSerfTraffic} from "./serf-traffic.ts";
import {createSimulation, type Simulation} from "./simulation.ts";

/** What must hold at the end of a scenario run. Every field is optional. */
export interface ScenarioExpect {
  /** No safety violation (default true). */
  readonly safety?: boolean;
  /** All live nodes agree on the membership when the run ends. */
  readonly agreeAtEnd?: boolean;
  /** Every heal is followed by agreement within this many ms. */
  readonly healAgreementWithinMs?: number;
  /** The cluster first agrees within this many ms of the start. */
  readonly bootstrapWithinMs?: number;
  /** Every crash is detected by every live node within this many ms. */
  readonly crashDetectedWithinMs?: number;
  /** At most this many false positives (live nodes declared dead). */
  readonly maxFalsePositives?: number;
  /** serf.events.completeness (eligible deliveries / owed) is at least this, and no event arrived twice. */
  readonly minEventCompleteness?: number;
  /** serf.queries.responseRate (responses / eligible nodes) is at least this. */
  readonly minQueryResponseRate?: number;
}

/** A scenario: SimInit fields plus a name, a duration, groups, faults and expectations. */
export interface Scenario extends Omit<SimInit, "trace"> {
  readonly name: string;
  readonly description?: string;
  readonly durationMs: number;
  readonly groups?: Readonly<Record<string, string | readonly string[]>>;
  readonly faults?: readonly Fault[];
  /** User events to send (serf-traffic.ts); any entry turns serf's layer on. */
  readonly events?: readonly EventSpec[];
  /** User queries to send (serf-traffic.ts); any entry turns serf's layer on. */
  readonly queries?: readonly QuerySpec[];
  readonly expect?: ScenarioExpect;
}

/** Fields a caller (CLI, tests) may override. */
export interface ScenarioOverrides extends Partial<Omit<SimInit, "config">> {
  readonly durationMs?: number;
  readonly config?: Partial<SwimConfig>;
}

const SCENARIO_FIELDS = new Set([
  "name",
  "description",
  "durationMs",
  "groups",
  "faults",
  "events",
  "queries",
  "expect",
  ...SIM_FIELD_NAMES.filter((field) => field !== "trace"),
]);

const EXPECT_FIELDS = new Set([
  "safety",
  "agreeAtEnd",
  "healAgreementWithinMs",
  "bootstrapWithinMs",
  "crashDetectedWithinMs",
  "maxFalsePositives",
  "minEventCompleteness",
  "minQueryResponseRate",
]);

/** Checks the shape of a parsed scenario; throws InvalidConfigError naming the field. */
export function parseScenario(value: unknown): Scenario {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidConfigError("scenario", "must be a JSON object");
  }
  const s = value as Record<string, unknown>;
  for (const key of Object.keys(s)) {
    if (!SCENARIO_FIELDS.has(key)) throw new InvalidConfigError(key, "is not a scenario field");
  }
  if (typeof s.name !== "string" || s.name === "") throw new InvalidConfigError("name", "must be a non-empty string");
  checkNumber("durationMs", s.durationMs, 1, 365 * 86_400_000);
  if (s.faults !== undefined && !Array.isArray(s.faults)) throw new InvalidConfigError("faults", "must be an array");
  if (s.groups !== undefined && (typeof s.groups !== "object" || s.groups === null || Array.isArray(s.groups))) {
    throw new InvalidConfigError("groups", "must be an object of name: selector");
  }
  if (s.expect !== undefined) {
    if (typeof s.expect !== "object" || s.expect === null) throw new InvalidConfigError("expect", "must be an object");
    for (const key of Object.keys(s.expect)) {
      if (!EXPECT_FIELDS.has(key)) throw new InvalidConfigError(`expect.${key}`, "is not an expectation");
    }
  }
  return value as Scenario;
}

/** Reads and parses a scenario file; errors name the file. */
export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new InvalidConfigError("scenario", `cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidConfigError("scenario", `${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseScenario(json);
}

/** Hooks for a scenario run. */
export interface RunHooks {
  /** Called now and then with the virtual time (progress bars). */
  readonly onProgress?: (nowMs: number, durationMs: number) => void;
  /** One line per event (debugging). */
  readonly trace?: (line: string) => void;
  /** Wall-clock ms source for the report's speed figures (the CLI passes performance.now). */
  readonly wallClock?: () => number;
}

/** A finished scenario run. */
export interface ScenarioRun {
  readonly sim: Simulation;
  readonly report: SimReport;
}

/**
 * Builds the simulation a scenario describes, with its faults scheduled (not yet run). With
 * `faultTarget` the faults are scheduled there instead (the testbed's real processes): selectors
 * still resolve against the simulation's names and choice PRNG, so a seed picks the same nodes
 * in both.
 */
export function prepareScenario(
  scenario: Scenario,
  overrides: ScenarioOverrides = {},
  trace?: (line: string) => void,
  faultTarget?: FaultTarget,
): {sim: Simulation; durationMs: number} {
  const merged = {...scenario, ...overrides, config: {...(scenario.config ?? {}), ...(overrides.config ?? {})}};
  const durationMs = checkNumber("durationMs", merged.durationMs, 1, 365 * 86_400_000);
  const {name: _n, description: _d, durationMs: _m, groups, faults, events, queries, expect: _e, ...init} = merged;
  const serf = init.serf === true || hasSerfTraffic(events, queries);
  const sim = createSimulation({...init, ...(serf ? {serf} : {}), ...(trace ? {trace} : {})});
  const groupMap = new Map<string, readonly number[]>();
  const ctx: SelectorContext = {
    names: sim.names,
    seedNodes: sim.options.seedNodes,
    random: sim.choices,
    groups: groupMap,
  };
  for (const [name, selector] of Object.entries(groups ?? {})) {
    groupMap.set(name, resolveSelector(`groups.${name}`, selector, ctx));
  }
  (faults ?? []).forEach((fault, k) => {
    scheduleFault(faultTarget ?? sim, fault, `faults[${k}]`, ctx, durationMs);
  });
  if (serf) scheduleSerfTraffic(sim, events ?? [], queries ?? [], ctx, durationMs);
  return {sim, durationMs};
}

/** Runs a scenario to its end and builds the report (with its expectations judged). */
export function runScenario(scenario: Scenario, overrides: ScenarioOverrides = {}, hooks: RunHooks = {}): ScenarioRun {
  const {sim, durationMs} = prepareScenario(scenario, overrides, hooks.trace);
  const wall = hooks.wallClock;
  const started = wall?.();
  if (hooks.onProgress) {
    const onProgress = hooks.onProgress;
    sim.onProgress = (now) => onProgress(now, durationMs);
  }
  sim.runForMs(durationMs);
  const wallMs = wall !== undefined && started !== undefined ? wall() - started : null;
  const report = buildReport(sim, {
    name: scenario.name,
    description: scenario.description ?? "",
    durationMs,
    wallMs,
  });
  report.checks.push(...judge(scenario.expect ?? {}, report));
  return {sim, report};
}

/** Judges the expectations against a report. */
export function judge(expect: ScenarioExpect, report: SimReport): CheckResult[] {
  const out: CheckResult[] = [];
  if (expect.safety !== false && report.safety.enabled) {
    out.push({
      name: "safety",
      ok: report.safety.violations === 0,
      detail: `${report.safety.violations} violations`,
    });
  }
  if (expect.agreeAtEnd) {
    out.push({
      name: "agreeAtEnd",
      ok: report.convergence.agreesAtEnd,
      detail: `${report.convergence.disagreementsAtEnd} disagreeing (observer, member) pairs at the end`,
    });
  }
  if (expect.healAgreementWithinMs !== undefined) {
    const limit = expect.healAgreementWithinMs;
    const heals = report.convergence.afterHeal;
    const bad = heals.filter((h) => h.agreedMs === null || h.agreedMs > limit);
    out.push({
      name: "healAgreementWithinMs",
      ok: heals.length > 0 && bad.length === 0,
      detail: `${heals.length} heals, agreement after ${heals.map((h) => h.agreedMs ?? "never").join(", ")} ms (limit ${limit})`,
    });
  }
  if (expect.bootstrapWithinMs !== undefined) {
    const b = report.convergence.bootstrapMs;
    out.push({
      name: "bootstrapWithinMs",
      ok: b !== null && b <= expect.bootstrapWithinMs,
      detail: `agreed after ${b ?? "never"} ms (limit ${expect.bootstrapWithinMs})`,
    });
  }
  if (expect.crashDetectedWithinMs !== undefined) {
    const d = report.detection;
    const limit = expect.crashDetectedWithinMs;
    const ok = d.crashes > 0 && d.detectedByAll === d.crashes && (d.allMs.max ?? Number.POSITIVE_INFINITY) <= limit;
    out.push({
      name: "crashDetectedWithinMs",
      ok,
      detail: `${d.detectedByAll}/${d.crashes} crashes detected by all, max ${d.allMs.max ?? "-"} ms (limit ${limit})`,
    });
  }
  if (expect.minEventCompleteness !== undefined) {
    const e = report.serf?.events;
    out.push({
      name: "minEventCompleteness",
      ok: e !== undefined && e.count > 0 && (e.completeness ?? 0) >= expect.minEventCompleteness && e.duplicates === 0,
      detail:
        e === undefined
          ? "no serf layer in this run"
          : `${e.count} events, completeness ${e.completeness ?? "-"} (limit ${expect.minEventCompleteness}), ${e.duplicates} duplicates`,
    });
  }
  if (expect.minQueryResponseRate !== undefined) {
    const q = report.serf?.queries;
    out.push({
      name: "minQueryResponseRate",
      ok: q !== undefined && q.count > 0 && (q.responseRate ?? 0) >= expect.minQueryResponseRate,
      detail:
        q === undefined
          ? "no serf layer in this run"
          : `${q.count} queries, response rate ${q.responseRate ?? "-"} (limit ${expect.minQueryResponseRate})`,
    });
  }
  if (expect.maxFalsePositives !== undefined) {
    out.push({
      name: "maxFalsePositives",
      ok: report.falsePositives.count <= expect.maxFalsePositives,
      detail: `${report.falsePositives.count} false positives (limit ${expect.maxFalsePositives})`,
    });
  }
  return out;
}
