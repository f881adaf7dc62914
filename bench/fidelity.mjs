#!/usr/bin/env node
/*
 * Simulator against real processes, scenario by scenario: each shipped scenario runs in the
 * simulator (several seeds, with the testbed's sub-millisecond link latency) and on the testbed
 * (real agents in network namespaces, one run, in real time), and the figures both measure are
 * put side by side (sim/fidelity.ts): first and full detection p50, false positives, flaps of
 * live members, suspicions, refutations, agreement after a heal / restart / resume, messages per node per s.
 * A figure that differs by more than 25 %, or a false positive on one side only, is flagged.
 *
 * Root only (the testbed). Run `npm run build` first. About 40 minutes for the default set at 16
 * nodes (the testbed runs each scenario for its full length in real time).
 *
 * Usage:  node bench/fidelity.mjs [--scenarios crash-one,loss-10,...] [--nodes 16] [--sim-seeds 20]
 *           [--sim-latency-ms 0.08,0.07] [--seed 1] [--out bench/results/fidelity] [--reuse-testbed]
 * Prints one markdown table and writes fidelity.json, fidelity.md and every report (JSON, and
 * HTML for the testbed runs) to --out. Exits 1 when a run produced no report or a scenario's
 * checks failed on either side (the flagged differences are for reading, not a failure).
 */
import {spawnSync} from "node:child_process";
import {existsSync, mkdirSync, readFileSync, writeFileSync} from "node:fs";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {parseArgs} from "node:util";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(ROOT, "bin", "lifeline");
const BUILT = join(ROOT, "dist", "sim", "fidelity.js");

const DEFAULT_SCENARIOS = [
  "crash-one",
  "loss-10",
  "loss-30",
  "partition-heal",
  "one-way-flapping",
  "flaky-node",
  "rolling-restart",
  "slow-nodes",
  "stall",
];

const {values} = parseArgs({
  options: {
    scenarios: {type: "string", default: DEFAULT_SCENARIOS.join(",")},
    nodes: {type: "string", default: "16"},
    "sim-seeds": {type: "string", default: "20"},
    "sim-latency-ms": {type: "string", default: "0.08,0.07"},
    seed: {type: "string", default: "1"},
    out: {type: "string", default: join(ROOT, "bench", "results", "fidelity")},
    "reuse-testbed": {type: "boolean", default: false},
  },
});

function positiveInt(flag, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`fidelity: --${flag} must be a whole number ≥ 1, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}

const nodes = positiveInt("nodes", values.nodes);
const simSeeds = positiveInt("sim-seeds", values["sim-seeds"]);
const seed = positiveInt("seed", values.seed);
const scenarios = values.scenarios.split(",").filter((s) => s !== "");
for (const name of scenarios) {
  if (!existsSync(join(ROOT, "sim", "scenarios", `${name}.json`))) {
    console.error(`fidelity: --scenarios: no sim/scenarios/${name}.json`);
    process.exit(2);
  }
}
if (!existsSync(BUILT)) {
  console.error("fidelity: dist/ is missing: run `npm run build` first");
  process.exit(2);
}
const {compareFidelity} = await import(BUILT);
const out = resolve(values.out);
mkdirSync(out, {recursive: true});

/** Runs the CLI; returns its exit code and output. */
function lifeline(args) {
  const r = spawnSync(process.execPath, [BIN, ...args], {encoding: "utf8", maxBuffer: 64 * 1024 * 1024});
  return {code: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr ?? ""};
}

function readReport(file) {
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined;
}

const failedChecks = (report) => report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);

const results = [];
let failures = 0;
for (const name of scenarios) {
  const file = join(ROOT, "sim", "scenarios", `${name}.json`);
  const common = ["--scenario", file, "--nodes", String(nodes)];
  const sims = [];
  const problems = [];
  for (let k = 0; k < simSeeds; k++) {
    const json = join(out, `${name}.sim.${seed + k}.json`);
    const r = lifeline([
      "sim",
      ...common,
      "--seed",
      String(seed + k),
      "--latency-ms",
      values["sim-latency-ms"],
      "--quiet",
      "--json",
      json,
    ]);
    const report = readReport(json);
    if (report === undefined) problems.push(`sim seed ${seed + k}: no report (exit ${r.code}): ${r.stderr.trim()}`);
    else {
      sims.push(report);
      for (const f of failedChecks(report)) problems.push(`sim seed ${seed + k}: ${f}`);
    }
  }
  const realJson = join(out, `${name}.testbed.json`);
  let real = values["reuse-testbed"] ? readReport(realJson) : undefined;
  if (real === undefined) {
    const started = Date.now();
    process.stderr.write(`fidelity: ${name} on the testbed (${nodes} agents, real time)…\n`);
    const r = lifeline([
      "testbed",
      ...common,
      "--seed",
      String(seed),
      "--json",
      realJson,
      "--html",
      join(out, `${name}.testbed.html`),
    ]);
    writeFileSync(join(out, `${name}.testbed.log`), r.stderr);
    real = readReport(realJson);
    process.stderr.write(`fidelity: ${name} done in ${Math.round((Date.now() - started) / 1000)} s (exit ${r.code})\n`);
    if (real === undefined)
      problems.push(`testbed: no report (exit ${r.code}): ${r.stderr.trim().split("\n").slice(-3).join(" / ")}`);
  }
  if (real !== undefined) for (const f of failedChecks(real)) problems.push(`testbed: ${f}`);
  const rows = real !== undefined && sims.length > 0 ? compareFidelity(sims, real) : [];
  failures += problems.length;
  results.push({scenario: name, rows, problems});
}

const fmt = (v) => {
  if (v === null || v === undefined) return "–";
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString("en-US");
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
};
const lines = [
  `Fidelity at ${nodes} nodes: simulator median of ${simSeeds} seed(s) (latency ${values["sim-latency-ms"]} ms) against one testbed run (seed ${seed}).`,
  "",
  "| scenario | figure | sim (min–max) | testbed | testbed / sim | |",
  "|---|---|---|---|---|---|",
];
for (const {scenario, rows, problems} of results) {
  for (const row of rows) {
    if (row.sim === null && row.real === null) continue;
    const range =
      row.simRange && row.simRange[0] !== row.simRange[1] ? ` (${fmt(row.simRange[0])}–${fmt(row.simRange[1])})` : "";
    lines.push(
      `| ${scenario} | ${row.label} | ${fmt(row.sim)}${range} | ${fmt(row.real)} | ${row.ratio === null ? "–" : row.ratio.toFixed(2)} | ${row.flag ?? ""} |`,
    );
  }
  for (const p of problems) lines.push(`| ${scenario} | **failed** | ${p.replaceAll("|", "/")} | | | |`);
}
const table = lines.join("\n");
console.log(table);
writeFileSync(join(out, "fidelity.md"), `${table}\n`);
writeFileSync(
  join(out, "fidelity.json"),
  `${JSON.stringify({nodes, simSeeds, simLatencyMs: values["sim-latency-ms"], seed, results}, null, 2)}\n`,
);
console.error(`fidelity: reports in ${out}`);
process.exit(failures > 0 ? 1 : 0);
