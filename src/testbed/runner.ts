/*
 * One scenario on the testbed, from inside the hub namespace (outer.ts starts this process there
 * and cleans up after it): build the Testbed, schedule the scenario's faults on it through the
 * simulator's own prepareScenario (same parsing, same selectors, same seed → same nodes), run in
 * real time for durationMs (reading the agents' counters every sample interval), stop them, and replay what happened into
 * the simulator's report, judged by the scenario's expectations.
 */
import {performance} from "node:perf_hooks";
import {
  buildReport,
  judge,
  prepareScenario,
  type Scenario,
  type ScenarioOverrides,
  type SimReport,
} from "../../sim/index.ts";
import {InvalidConfigError} from "../core/index.ts";
import {TestbedError} from "./commands.ts";
import type {TestbedPlan} from "./plan.ts";
import {TestbedRecording} from "./recording.ts";
import {Testbed} from "./testbed.ts";

/** Scenario fields the testbed cannot run (yet); a scenario using them is refused, naming the field. */
const UNSUPPORTED = ["events", "queries", "serf", "labels", "label", "keys", "coordinates"] as const;

/** What one run takes. */
export interface TestbedRunInit {
  readonly scenario: Scenario;
  readonly overrides: ScenarioOverrides;
  readonly plan: TestbedPlan;
  readonly bin: string;
  readonly workDir: string;
  /** Progress and warnings, one line each. */
  readonly log: (line: string) => void;
  /** Every raw stderr line of every agent (debugging). */
  readonly onAgentLine?: (name: string, line: string) => void;
  /** Aborts the run: every agent is killed at once and runOnTestbed rejects with a TestbedError. */
  readonly signal?: AbortSignal;
}

/** A finished real run. */
export interface TestbedRun {
  readonly report: SimReport;
  readonly warnings: readonly string[];
}

/** Throws InvalidConfigError for a scenario field the testbed cannot run. */
export function checkTestbedScenario(scenario: Scenario, overrides: ScenarioOverrides): void {
  const merged: Record<string, unknown> = {...scenario, ...overrides};
  for (const field of UNSUPPORTED) {
    const value = merged[field];
    const used = Array.isArray(value) ? value.length > 0 : value !== undefined && value !== false && value !== "";
    const empty =
      typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
    if (used && !empty) throw new InvalidConfigError(field, "is not supported by the testbed yet");
  }
  for (const field of ["duplicateRate", "reorderRate"] as const) {
    const value = merged[field];
    if (typeof value === "number" && value > 0)
      throw new InvalidConfigError(field, "is not supported by the testbed (no netem)");
  }
}

/** Runs `scenario` on the testbed whose network `plan` describes (already created). */
export async function runOnTestbed(init: TestbedRunInit): Promise<TestbedRun> {
  const {scenario, overrides, plan} = init;
  checkTestbedScenario(scenario, overrides);
  const config = {...(scenario.config ?? {}), ...(overrides.config ?? {})};
  const profile = overrides.profile ?? scenario.profile;
  // The options the simulator would resolve (a simulation is built, never run, so that
  // selectors and defaults are exactly the simulator's).
  const {sim: model, durationMs} = prepareScenario(scenario, overrides);
  const options = model.options;
  if (options.nodes !== plan.nodes) throw new InvalidConfigError("nodes", `must match the testbed's ${plan.nodes}`);
  const testbed = new Testbed({
    plan,
    bin: init.bin,
    workDir: init.workDir,
    agentConfig: {...(profile !== undefined ? {profile} : {profile: options.profile}), ...config},
    seed: options.seed,
    lossRate: options.lossRate,
    seedNodes: options.seedNodes,
    joinSpreadMs: options.joinSpreadMs,
    pollIntervalMs: options.sampleIntervalMs,
    ...(init.onAgentLine ? {onAgentLine: init.onAgentLine} : {}),
  });
  // Again, with the faults on the testbed: a fresh simulation's choice PRNG picks the same nodes.
  prepareScenario(scenario, overrides, undefined, testbed);
  if (options.latency.minMs > 0 || options.latency.jitterMeanMs > 0) {
    init.log(
      `testbed: the scenario's latency (${options.latency.minMs}+exp(${options.latency.jitterMeanMs}) ms) is not applied: the veth links are sub-millisecond (no netem)`,
    );
  }
  const wallStart = performance.now();
  const abort = (): void => void testbed.stop();
  init.signal?.addEventListener("abort", abort, {once: true});
  await testbed.start();
  init.log(`testbed: ${plan.nodes} agents starting; running ${durationMs / 1000} s of real time`);
  let reported = 0;
  while (performance.now() - wallStart < durationMs) {
    if (init.signal?.aborted) {
      await testbed.stop();
      throw new TestbedError(`run aborted: ${String(init.signal.reason)}`);
    }
    const left = durationMs - (performance.now() - wallStart);
    await new Promise((resolve) => setTimeout(resolve, Math.min(left, 1_000)));
    const elapsed = Math.floor((performance.now() - wallStart) / 10_000);
    if (elapsed > reported) {
      reported = elapsed;
      init.log(`testbed: ${elapsed * 10} s of ${durationMs / 1000} s`);
    }
  }
  init.signal?.removeEventListener("abort", abort);
  const core = await testbed.finalPoll();
  await testbed.stop();
  const wallMs = performance.now() - wallStart;
  for (const error of testbed.errors) init.log(`testbed: error: ${error.message}`);
  for (const warning of testbed.warnings) init.log(`testbed: warning: ${warning}`);
  const recording = new TestbedRecording({
    options: {
      nodes: options.nodes,
      seed: options.seed,
      profile: options.profile,
      config: options.config,
      latency: {minMs: 0, jitterMeanMs: 0},
      lossRate: options.lossRate,
      duplicateRate: 0,
      reorderRate: 0,
      sampleIntervalMs: options.sampleIntervalMs,
      safety: options.safety,
    },
    names: testbed.names,
    durationMs,
    records: testbed.records,
    timeline: testbed.timeline,
    core,
    drops: testbed.drops,
    gossipToTheDeadMs: options.config.gossipToTheDeadMs,
  });
  const report = buildReport(recording, {
    name: scenario.name,
    description: scenario.description ?? "",
    durationMs,
    wallMs,
  });
  report.checks.push(...judge(scenario.expect ?? {}, report));
  if (testbed.errors.length > 0) {
    report.checks.push({
      name: "testbed",
      ok: false,
      detail: `${testbed.errors.length} testbed errors: ${testbed.errors[0]?.message ?? ""}`,
    });
  }
  return {report, warnings: testbed.warnings};
}
