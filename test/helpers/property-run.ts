/*
 * How every Lifeline property test runs fast-check: one fixed seed by default (reproducible CI),
 * any seed and fast-check path from the environment (replay), and a clear failure message that
 * says how to replay it.
 *
 *   LIFELINE_PROP_SEED        fast-check seed (default 42)
 *   LIFELINE_PROP_PATH        fast-check path of a failing case: replays exactly that case
 *   LIFELINE_PROP_RUNS        multiplies every property's default number of runs (soak; default 1)
 *   LIFELINE_PROP_SEEDS_FILE  appends one JSON line per property run {property, seed, runs, ok, path?}
 *
 * A failure throws an Error whose message holds the property name, the seed, the path, the
 * shrunk counterexample, fast-check's own report, and the command that replays it:
 *
 *   LIFELINE_PROP_SEED=123 LIFELINE_PROP_PATH="4:1:0" npx vitest run test/property/x.test.ts -t "name"
 */
import {appendFileSync} from "node:fs";
import fc from "fast-check";

/** The seed of this run: LIFELINE_PROP_SEED, else 42. */
export function propertySeed(): number {
  const raw = process.env.LIFELINE_PROP_SEED;
  if (raw === undefined || raw === "") return 42;
  const seed = Number(raw);
  if (!Number.isInteger(seed)) throw new Error(`invalid LIFELINE_PROP_SEED; must be an integer, got ${raw}`);
  return seed;
}

/** The multiplier of default run counts: LIFELINE_PROP_RUNS, else 1. */
export function runsMultiplier(): number {
  const raw = process.env.LIFELINE_PROP_RUNS;
  if (raw === undefined || raw === "") return 1;
  const m = Number(raw);
  if (!(m > 0) || !Number.isFinite(m)) throw new Error(`invalid LIFELINE_PROP_RUNS; must be a number > 0, got ${raw}`);
  return m;
}

/** Options of checkProperty. */
export interface CheckOptions {
  /** Runs in the default (CI) run; multiplied by LIFELINE_PROP_RUNS. */
  readonly numRuns: number;
  /** The test file, for the replay command (pass `import.meta.url`). */
  readonly file: string;
  /** Cap on shrinking steps (whole-cluster runs are expensive to shrink). Default 60. */
  readonly maxShrinks?: number;
}

function replayCommand(name: string, file: string, seed: number, path: string | undefined): string {
  const rel = file.replace(/^file:\/\//, "").replace(/^.*?\/test\//, "test/");
  const p = path === undefined ? "" : ` LIFELINE_PROP_PATH="${path}"`;
  return `LIFELINE_PROP_SEED=${seed}${p} npx vitest run ${rel} -t ${JSON.stringify(name)}`;
}

function record(line: Record<string, unknown>): void {
  const file = process.env.LIFELINE_PROP_SEEDS_FILE;
  if (file !== undefined && file !== "") appendFileSync(file, `${JSON.stringify(line)}\n`);
}

/**
 * Records a finished check and, if it failed, prints and throws the replayable report (shared by
 * checkProperty and checkAsyncProperty).
 */
function reportRun<Ts>(name: string, file: string, seed: number, details: fc.RunDetails<Ts>): void {
  record({
    property: name,
    seed,
    runs: details.numRuns,
    ok: !details.failed,
    ...(details.failed ? {path: details.counterexamplePath, counterexample: fc.stringify(details.counterexample)} : {}),
    at: new Date().toISOString(),
  });
  if (!details.failed) return;
  const failurePath = details.counterexamplePath ?? undefined;
  const message = [
    `Property "${name}" failed.`,
    `  seed: ${seed}`,
    `  path: ${failurePath}`,
    `  counterexample: ${fc.stringify(details.counterexample)}`,
    `  replay: ${replayCommand(name, file, seed, failurePath)}`,
    "",
    fc.defaultReportMessage(details) ?? "",
  ].join("\n");
  // Print as well: a reporter may cut a long thrown message, and the seed must not be lost.
  console.error(message);
  throw new Error(message, {cause: details.errorInstance});
}

/**
 * Checks `predicate` (throw or return false to fail) on values of `arbitrary` with the seed and
 * path from the environment, and throws a replayable report on failure. `name` should be the
 * test's name (the replay command filters on it with -t).
 */
export function checkProperty<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => boolean | undefined,
  options: CheckOptions,
): void {
  const seed = propertySeed();
  const path = process.env.LIFELINE_PROP_PATH;
  const numRuns = Math.max(1, Math.round(options.numRuns * runsMultiplier()));
  const maxShrinks = options.maxShrinks ?? 60;
  // Whole-cluster runs are expensive to shrink: after maxShrinks steps every further candidate
  // counts as passing, which ends shrinking with the smallest failure found so far.
  let failed = false;
  let shrinkSteps = 0;
  const wrapped = (value: T): boolean => {
    if (failed && ++shrinkSteps > maxShrinks) return true;
    try {
      const ok = predicate(value) !== false;
      if (!ok) failed = true;
      return ok;
    } catch (error) {
      failed = true;
      throw error;
    }
  };
  const params: fc.Parameters<[T]> = {
    seed,
    numRuns,
    ...(path !== undefined && path !== "" ? {path} : {}),
  };
  const details = fc.check(fc.property(arbitrary, wrapped), params);
  reportRun(name, options.file, seed, details);
}

/**
 * The async twin of checkProperty (for properties that touch real sockets): same environment,
 * same record, same replayable report.
 */
export async function checkAsyncProperty<Ts extends unknown[]>(
  name: string,
  property: fc.IAsyncProperty<Ts>,
  options: CheckOptions,
): Promise<void> {
  const seed = propertySeed();
  const path = process.env.LIFELINE_PROP_PATH;
  const numRuns = Math.max(1, Math.round(options.numRuns * runsMultiplier()));
  const details = await fc.check(property, {seed, numRuns, ...(path !== undefined && path !== "" ? {path} : {})});
  reportRun(name, options.file, seed, details);
}

/**
 * Prints "RATIO <property> <observed/bound>" when LIFELINE_PROP_RATIOS is set: the soak collects
 * these to report how close the properties came to their bounds.
 */
export function recordRatio(property: string, ratio: number): void {
  if (process.env.LIFELINE_PROP_RATIOS) console.log(`RATIO ${property} ${ratio.toFixed(4)}`);
}
