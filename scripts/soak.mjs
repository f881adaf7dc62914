#!/usr/bin/env node
/*
 * The property soak: runs the whole-cluster properties, the model tests and the agent fuzzer
 * over and over with fresh random seeds and many more runs than CI, for a given wall time, and
 * writes every seed it used to a JSON-lines file so that any failure can be replayed.
 *
 *   node scripts/soak.mjs [--minutes 15] [--runs 10] [--out soak-results] [files…]
 *
 *   --minutes  wall time to keep starting iterations (default 15)
 *   --runs     LIFELINE_PROP_RUNS: multiplier of every property's CI run count (default 10)
 *   --out      directory for seeds.jsonl, failure logs and summary.json (default soak-results)
 *   files      test files or folders (default: test/property/cluster-*, the model tests, the agent-port fuzz)
 *
 * Each iteration is one `vitest run` with LIFELINE_PROP_SEED set to a fresh random 32-bit seed;
 * test/helpers/property-run.ts appends {property, seed, runs, ok, path?} per property to
 * seeds.jsonl. A failing iteration's whole output goes to failure-<seed>.log, and the summary
 * prints its replay command (LIFELINE_PROP_SEED=… LIFELINE_PROP_PATH=… npx vitest run … -t …).
 * Exits 1 if any iteration failed.
 */
import {spawn} from "node:child_process";
import {randomInt} from "node:crypto";
import {appendFileSync, mkdirSync, writeFileSync} from "node:fs";
import {join, resolve} from "node:path";

const DEFAULT_FILES = [
  "test/property/cluster-completeness.test.ts",
  "test/property/cluster-accuracy.test.ts",
  "test/property/cluster-refutation.test.ts",
  "test/property/cluster-convergence.test.ts",
  "test/property/cluster-safety.test.ts",
  "test/property/cluster-dissemination.test.ts",
  "test/property/member-table-model.test.ts",
  "test/property/broadcast-queue-model.test.ts",
  "test/property/agent-ports-fuzz.test.ts",
];

function parseArgs(argv) {
  const opts = {minutes: 15, runs: 10, out: "soak-results", files: []};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`invalid ${a}; needs a value`);
      return v;
    };
    if (a === "--minutes") opts.minutes = Number(value());
    else if (a === "--runs") opts.runs = Number(value());
    else if (a === "--out") opts.out = value();
    else if (a === "--help" || a === "-h") {
      console.log("usage: node scripts/soak.mjs [--minutes 15] [--runs 10] [--out soak-results] [files…]");
      process.exit(0);
    } else if (a.startsWith("--")) throw new Error(`invalid ${a}; not an option (--minutes, --runs, --out)`);
    else opts.files.push(a);
  }
  if (!(opts.minutes > 0)) throw new Error("invalid --minutes; must be a number > 0");
  if (!(opts.runs > 0)) throw new Error("invalid --runs; must be a number > 0");
  if (opts.files.length === 0) opts.files = DEFAULT_FILES;
  return opts;
}

/** The running vitest, so that an interrupted soak stops it (and its workers) too. */
let current;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (current?.pid !== undefined) {
      try {
        process.kill(-current.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    process.exit(130);
  });
}

function runIteration(files, env) {
  return new Promise((done) => {
    const child = spawn("npx", ["vitest", "run", "--testTimeout=0", "--hookTimeout=120000", ...files], {
      env: {...process.env, ...env},
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, killed as a whole on interrupt
    });
    current = child;
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    child.on("close", (code) => done({code, output}));
  });
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
const stripAnsi = (s) => s.replace(/\u001b\[[0-9;]*m/g, "");

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const out = resolve(opts.out);
  mkdirSync(out, {recursive: true});
  const seedsFile = join(out, "seeds.jsonl");
  const started = Date.now();
  const deadline = started + opts.minutes * 60_000;
  const ratios = new Map();
  const fpLines = [];
  const failures = [];
  let iterations = 0;
  console.log(`soak: ${opts.minutes} min, runs ×${opts.runs}, seeds → ${seedsFile}`);
  while (Date.now() < deadline) {
    const seed = randomInt(0, 2 ** 32 - 1);
    iterations++;
    appendFileSync(seedsFile, `${JSON.stringify({iteration: iterations, seed, at: new Date().toISOString()})}\n`);
    const t0 = Date.now();
    const {code, output} = await runIteration(opts.files, {
      LIFELINE_PROP_SEED: String(seed),
      LIFELINE_PROP_RUNS: String(opts.runs),
      LIFELINE_PROP_SEEDS_FILE: seedsFile,
      LIFELINE_PROP_RATIOS: "1",
    });
    const text = stripAnsi(output);
    for (const m of text.matchAll(/^RATIO (\S+) ([\d.]+)$/gm)) {
      const r = ratios.get(m[1]) ?? {count: 0, max: 0, sum: 0};
      const v = Number(m[2]);
      r.count++;
      r.sum += v;
      r.max = Math.max(r.max, v);
      ratios.set(m[1], r);
    }
    for (const m of text.matchAll(/^(FP loss.*|refutation: .*)$/gm)) fpLines.push(m[1]);
    const secs = ((Date.now() - t0) / 1000).toFixed(0);
    if (code === 0) {
      console.log(`  #${iterations} seed ${seed}: ok (${secs} s)`);
    } else {
      const log = join(out, `failure-${seed}.log`);
      writeFileSync(log, text);
      const replays = [...text.matchAll(/^\s*replay: (.*)$/gm)].map((m) => m[1]);
      failures.push({seed, log, replays: [...new Set(replays)]});
      console.log(`  #${iterations} seed ${seed}: FAILED (${secs} s) → ${log}`);
      for (const r of new Set(replays)) console.log(`      ${r}`);
    }
  }
  const summary = {
    minutes: opts.minutes,
    runsMultiplier: opts.runs,
    iterations,
    failures,
    ratios: Object.fromEntries(
      [...ratios].map(([k, r]) => [k, {runs: r.count, max: +r.max.toFixed(4), mean: +(r.sum / r.count).toFixed(4)}]),
    ),
    measurements: fpLines,
    seedsFile,
  };
  writeFileSync(join(out, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(
    `\nsoak: ${iterations} iterations in ${((Date.now() - started) / 60_000).toFixed(1)} min, ${failures.length} failed`,
  );
  console.log("worst observed/bound ratio per property (1.0 = at the bound):");
  for (const [k, r] of Object.entries(summary.ratios))
    console.log(`  ${k}: max ${r.max}, mean ${r.mean} over ${r.runs} runs`);
  for (const l of fpLines) console.log(`  ${l}`);
  process.exit(failures.length > 0 ? 1 : 0);
}

main().catch((error) => {
  console.error(error.message);
  process.exit(2);
});
