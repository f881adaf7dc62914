#!/usr/bin/env node
/*
 * Detection-quality harness: how fast each timing profile detects real failures, and what that
 * costs in false accusations and load, in the simulator over a fixed matrix with several seeds
 * per cell. The trade-off itself is the main chart: detection time against false-positive rate,
 * one point per profile and cell.
 *
 *   npm run build && node bench/qos.mjs                          # the whole matrix, lan vs swift
 *   node bench/qos.mjs --sizes 16,64 --losses 0,0.1 --seeds 2    # a quick look
 *   node bench/qos.mjs --variant 'try=lan:{"suspicionMult":3}'   # a candidate beside the presets
 *
 * Cells (each run with --seeds seeds; the seed also jitters every fault time):
 *   crash     N ∈ --sizes × loss ∈ --losses: after a warm-up, --crashes members crash at jittered
 *             times one gap apart; crash → first detection and → detection by every live node.
 *   slow      Lifeguard's experiment: 5 % of 16 and of 64 nodes (at least one) handle every packet
 *             and timer 0.4–1.5 s late (each its own delay) for 120 s, while 2 healthy members crash.
 *   pause     3 of 16 and of 64 nodes stop for 0.2–3 s at random times (GC pauses, synchronous
 *             work), again and again, while 2 healthy members crash.
 *   flaky     the Rapid experiment at --flaky-nodes (1,000): 1 % of the nodes get 80 % ingress
 *             loss from 30 s on for 210 s. Goal: at most 2 flaps per flaky node, none of a healthy one.
 *   flapping  one node's outbound link of 100 goes down and up again and again, 15–25 s each
 *             (jittered), for 200 s.
 *
 * Per profile and cell: detection p50 / p99 (first, all), false positives (a running member
 * declared dead by anyone) per node-hour and the healthy members hit (members under no fault),
 * accusations of the faulty ones, flaps, messages and bytes per node per second.
 *
 * Flags: --profiles lan,swift  --variant NAME=BASE:JSON (repeatable)  --sizes 16,64,256,1000
 *        --losses 0,0.05,0.1,0.3  --seeds 3  --seeds-large 2 (for N ≥ 1000)  --crashes 4
 *        --cells crash,slow,pause,flaky,flapping  --flaky-nodes 1000  --jobs 2
 *        --json FILE  --html FILE (default bench/results/qos.{json,html})  --svg FILE (the chart alone)
 * Each run is a child process (one core each; --jobs of them at a time).
 */
import {spawn} from "node:child_process";
import {mkdirSync, writeFileSync} from "node:fs";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {parseArgs} from "node:util";
import {scenarioOf} from "./lib/qos-scenarios.mjs";
import {median, percentile} from "./lib/stats.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const HOUR_MS = 3_600_000;

if (process.argv[2] === "--child") {
  const spec = JSON.parse(process.argv[3]);
  process.stdout.write(`${JSON.stringify(await runOne(spec))}\n`);
  process.exit(0);
}

const {values: flags} = parseArgs({
  options: {
    profiles: {type: "string", default: "lan,swift"},
    variant: {type: "string", multiple: true, default: []},
    sizes: {type: "string", default: "16,64,256,1000"},
    losses: {type: "string", default: "0,0.05,0.1,0.3"},
    seeds: {type: "string", default: "3"},
    "seeds-large": {type: "string", default: "2"},
    crashes: {type: "string", default: "4"},
    cells: {type: "string", default: "crash,slow,pause,flaky,flapping"},
    "flaky-nodes": {type: "string", default: "1000"},
    jobs: {type: "string", default: "2"},
    json: {type: "string", default: join(ROOT, "bench", "results", "qos.json")},
    html: {type: "string", default: join(ROOT, "bench", "results", "qos.html")},
    svg: {type: "string"},
    help: {type: "boolean", default: false},
  },
});
if (flags.help) {
  process.stdout.write(`${readHeader()}\n`);
  process.exit(0);
}

/** A profile under test: a preset, plus config fields over it. */
const profiles = [
  ...flags.profiles
    .split(",")
    .filter(Boolean)
    .map((name) => ({name, base: name, config: {}})),
  ...flags.variant.map((text) => {
    const m = /^([\w.-]+)=(\w+):(.*)$/s.exec(text);
    if (!m) usage(`--variant must be NAME=BASE:JSON, got ${text}`);
    let config;
    try {
      config = JSON.parse(m[3]);
    } catch (error) {
      usage(`--variant ${m[1]}: bad JSON (${error.message})`);
    }
    return {name: m[1], base: m[2], config};
  }),
];
const sizes = numbers("sizes", flags.sizes);
const losses = numbers("losses", flags.losses);
const seeds = Number(flags.seeds);
const seedsLarge = Number(flags["seeds-large"]);
const crashes = Number(flags.crashes);
const cells = flags.cells.split(",").filter(Boolean);
const jobs = Math.max(1, Number(flags.jobs));
for (const cell of cells)
  if (!["crash", "slow", "pause", "flaky", "flapping"].includes(cell)) usage(`--cells: unknown cell ${cell}`);

/** Every run of the matrix. */
const runs = [];
const seedsFor = (n) => (n >= 1000 ? seedsLarge : seeds);
for (const profile of profiles) {
  if (cells.includes("crash"))
    for (const n of sizes)
      for (const loss of losses)
        for (let s = 1; s <= seedsFor(n); s++) runs.push({kind: "crash", n, loss, seed: s, crashes, profile});
  for (const kind of ["slow", "pause"])
    if (cells.includes(kind))
      for (const n of [16, 64]) for (let s = 1; s <= seeds; s++) runs.push({kind, n, loss: 0, seed: s, profile});
  if (cells.includes("flaky")) {
    const n = Number(flags["flaky-nodes"]);
    for (let s = 1; s <= seedsFor(n); s++) runs.push({kind: "flaky", n, loss: 0, seed: s, profile});
  }
  if (cells.includes("flapping"))
    for (let s = 1; s <= seeds; s++) runs.push({kind: "flapping", n: 100, loss: 0, seed: s, profile});
}

const started = performance.now();
const results = await pool(runs, jobs, (run, i) => {
  process.stderr.write(
    `[${i + 1}/${runs.length}] ${run.profile.name} ${run.kind} n=${run.n} loss=${run.loss} seed=${run.seed}\n`,
  );
  return child(run);
});
const table = aggregate(results);
process.stdout.write(formatTable(table));
process.stdout.write(`\n${runs.length} runs in ${((performance.now() - started) / 1000).toFixed(0)} s wall\n`);
mkdirSync(dirname(flags.json), {recursive: true});
writeFileSync(
  flags.json,
  `${JSON.stringify({command: process.argv.slice(2), profiles, cells: table, runs: results}, null, 1)}\n`,
);
mkdirSync(dirname(flags.html), {recursive: true});
writeFileSync(flags.html, renderHtml(table, profiles));
if (flags.svg !== undefined) {
  mkdirSync(dirname(flags.svg), {recursive: true});
  writeFileSync(flags.svg, `${renderChart(table, profiles)}\n`);
}
process.stderr.write(`wrote ${[flags.json, flags.html, flags.svg].filter(Boolean).join(", ")}\n`);

// ------------------------------------------------------------------------------------------ runs

async function runOne(spec) {
  const {parseScenario, runScenario} = await import("../dist/sim/index.js");
  const {scenario, faulty} = scenarioOf(spec);
  const t0 = performance.now();
  const {sim, report} = runScenario(parseScenario(scenario), {safety: spec.n <= 256});
  const wallMs = performance.now() - t0;
  const m = sim.metrics;
  let healthyHit = 0;
  let faultyHit = 0;
  let healthyFlaps = 0;
  let faultyFlapsMax = 0;
  let faultyFlapsTotal = 0;
  for (let i = 0; i < spec.n; i++) {
    const hit = m.falselyAccused[i] === 1;
    const flaps = m.flaps[i];
    if (faulty.has(i)) {
      if (hit) faultyHit++;
      faultyFlapsMax = Math.max(faultyFlapsMax, flaps);
      faultyFlapsTotal += flaps;
    } else {
      if (hit) healthyHit++;
      // A crashed member's one flap (alive → dead) is the detection itself, not instability.
      if (!report.detection.records.some((r) => r.member === `n${i}`)) healthyFlaps += flaps;
    }
  }
  const examples = report.falsePositives.examples;
  return {
    kind: spec.kind,
    n: spec.n,
    loss: spec.loss,
    seed: spec.seed,
    profile: spec.profile.name,
    durationMs: scenario.durationMs,
    wallMs: Math.round(wallMs),
    firstMs: report.detection.records.map((r) => r.firstMs),
    allMs: report.detection.records.map((r) => r.allMs),
    crashes: report.detection.crashes,
    undetected: report.detection.records.filter((r) => r.allMs === null).length,
    falsePositives: report.falsePositives.count,
    falsePositivesAboutFaulty: examples.filter((e) => faulty.has(Number(e.member.slice(1)))).length,
    healthyHit,
    faultyHit,
    healthyFlaps,
    faultyFlapsMax,
    faultyFlapsTotal,
    distinctClusterSizes: report.stability.distinctClusterSizes,
    nodeHours: (spec.n * scenario.durationMs) / HOUR_MS,
    messagesPerNodePerSec: report.load.messagesPerNodePerSec,
    bytesPerNodePerSec: report.load.bytesPerNodePerSec,
    safetyViolations: report.safety.violations,
  };
}

function child(run) {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(
      process.execPath,
      ["--max-semi-space-size=64", fileURLToPath(import.meta.url), "--child", JSON.stringify(run)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    proc.stdout.on("data", (chunk) => {
      out += chunk;
    });
    proc.on("error", reject);
    proc.on("close", (code) => {
      if (code !== 0) reject(new Error(`run failed (exit ${code}): ${JSON.stringify(run)}`));
      else resolvePromise(JSON.parse(out));
    });
  });
}

async function pool(items, width, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({length: Math.min(width, items.length)}, worker));
  return out;
}

// ------------------------------------------------------------------------------------------ report

/** One row per profile and cell: the runs of all seeds pooled. */
function aggregate(rows) {
  const byKey = new Map();
  for (const r of rows) {
    const key = `${r.kind}|${r.n}|${r.loss}|${r.profile}`;
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key).push(r);
  }
  const cellsOut = [];
  for (const group of byKey.values()) {
    const [r0] = group;
    const first = group.flatMap((r) => r.firstMs);
    const all = group.flatMap((r) => r.allMs);
    const nodeHours = group.reduce((a, r) => a + r.nodeHours, 0);
    const sumOf = (f) => group.reduce((a, r) => a + r[f], 0);
    cellsOut.push({
      cell: r0.kind === "crash" ? `crash n=${r0.n} loss=${Math.round(r0.loss * 100)}%` : `${r0.kind} n=${r0.n}`,
      kind: r0.kind,
      n: r0.n,
      loss: r0.loss,
      profile: r0.profile,
      runs: group.length,
      crashes: sumOf("crashes"),
      undetected: sumOf("undetected"),
      firstP50: median(first),
      firstP99: percentile(first, 99),
      allP50: median(all),
      allP99: percentile(all, 99),
      falsePositives: sumOf("falsePositives"),
      fpPerNodeHour: sumOf("falsePositives") / nodeHours,
      healthyHit: sumOf("healthyHit"),
      faultyHit: sumOf("faultyHit"),
      healthyFlaps: sumOf("healthyFlaps"),
      faultyFlapsMax: Math.max(...group.map((r) => r.faultyFlapsMax)),
      distinctClusterSizesMax: Math.max(...group.map((r) => r.distinctClusterSizes)),
      messagesPerNodePerSec: median(group.map((r) => r.messagesPerNodePerSec)),
      bytesPerNodePerSec: median(group.map((r) => r.bytesPerNodePerSec)),
      safetyViolations: sumOf("safetyViolations"),
    });
  }
  return cellsOut;
}

/** Milliseconds as seconds with two decimals ("-" when not measured). */
function s(ms) {
  return ms === undefined ? "-" : (ms / 1000).toFixed(2);
}

function formatTable(rows) {
  const header = [
    "cell",
    "profile",
    "first p50",
    "first p99",
    "all p50",
    "all p99",
    "FP",
    "FP/node-h",
    "healthy hit",
    "faulty hit",
    "flaps healthy",
    "flaps faulty max",
    "msg/node/s",
    "B/node/s",
  ];
  const lines = rows.map((r) => [
    r.cell,
    r.profile,
    s(r.firstP50),
    s(r.firstP99),
    s(r.allP50),
    s(r.allP99),
    String(r.falsePositives),
    r.fpPerNodeHour.toFixed(3),
    String(r.healthyHit),
    String(r.faultyHit),
    String(r.healthyFlaps),
    String(r.faultyFlapsMax),
    r.messagesPerNodePerSec.toFixed(1),
    r.bytesPerNodePerSec.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cols) => cols.map((c, i) => c.padEnd(widths[i])).join("  ");
  const out = [fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...lines.map(fmt)];
  // Ratios of every profile to the first one, cell by cell.
  const base = profiles[0]?.name;
  const ratios = [];
  for (const r of rows) {
    if (r.profile === base) continue;
    const b = rows.find((x) => x.cell === r.cell && x.profile === base);
    if (!b) continue;
    const ratio = (a, c) => (a === undefined || c === undefined || c === 0 ? "-" : (a / c).toFixed(2));
    ratios.push(
      `${r.cell.padEnd(24)} ${r.profile}/${base}: first ${ratio(r.firstP50, b.firstP50)}  all ${ratio(r.allP50, b.allP50)}  ` +
        `FP ${r.falsePositives} vs ${b.falsePositives}  msgs ${ratio(r.messagesPerNodePerSec, b.messagesPerNodePerSec)}  ` +
        `bytes ${ratio(r.bytesPerNodePerSec, b.bytesPerNodePerSec)}`,
    );
  }
  return `${out.join("\n")}\n${ratios.length ? `\nRatios (median detection, load):\n${ratios.join("\n")}\n` : ""}`;
}

// Function declarations, not consts: the top-level run above calls the renderers before this line.
function colorsOf(profileList) {
  const colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
  return new Map(profileList.map((p, i) => [p.name, colors[i % colors.length]]));
}
function esc(t) {
  return String(t).replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})[c]);
}

/** The trade-off chart as a standalone SVG: median crash → first detection against false positives per node-hour. */
function renderChart(rows, profileList) {
  const colorOf = colorsOf(profileList);
  const points = rows.filter((r) => r.firstP50 !== undefined);
  const W = 760;
  const H = 440;
  const pad = {l: 70, r: 20, t: 20, b: 50};
  // x: false positives per node-hour on a log scale from 0.001 (0 is drawn at the left edge).
  const xLog = (v) => Math.log10(Math.max(v, 0.001));
  const xMax = Math.max(0, ...points.map((p) => xLog(p.fpPerNodeHour))) + 0.2;
  const xMin = -3.2;
  const yMax = Math.max(...points.map((p) => p.firstP50 / 1000), 1) * 1.1;
  const X = (v) => pad.l + ((xLog(v) - xMin) / (xMax - xMin)) * (W - pad.l - pad.r);
  const Y = (ms) => H - pad.b - (ms / 1000 / yMax) * (H - pad.t - pad.b);
  const ticks = [];
  for (let e = -3; e <= Math.floor(xMax); e++) {
    const x = X(10 ** e);
    ticks.push(
      `<line x1="${x}" y1="${pad.t}" x2="${x}" y2="${H - pad.b}" stroke="#eee"/><text x="${x}" y="${H - pad.b + 18}" text-anchor="middle">${e === -3 ? "≤0.001" : 10 ** e}</text>`,
    );
  }
  for (let k = 0; k <= 5; k++) {
    const v = (yMax * k) / 5;
    const y = H - pad.b - (k / 5) * (H - pad.t - pad.b);
    ticks.push(
      `<line x1="${pad.l}" y1="${y}" x2="${W - pad.r}" y2="${y}" stroke="#eee"/><text x="${pad.l - 8}" y="${y + 4}" text-anchor="end">${v.toFixed(1)}</text>`,
    );
  }
  const dots = points
    .map(
      (p) =>
        `<circle cx="${X(p.fpPerNodeHour).toFixed(1)}" cy="${Y(p.firstP50).toFixed(1)}" r="5" fill="${colorOf.get(p.profile)}" fill-opacity="0.75"><title>${esc(`${p.profile} · ${p.cell}: first p50 ${s(p.firstP50)} s, ${p.fpPerNodeHour.toFixed(3)} FP/node-h`)}</title></circle>`,
    )
    .join("\n");
  const legend = profileList
    .map(
      (p, i) =>
        `<rect x="${W - 150}" y="${pad.t + i * 18}" width="10" height="10" fill="${colorOf.get(p.name)}"/><text x="${W - 135}" y="${pad.t + 9 + i * 18}">${esc(p.name)}</text>`,
    )
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui,sans-serif" font-size="12" role="img" aria-label="detection time against false-positive rate"><rect width="${W}" height="${H}" fill="#fff"/>${ticks.join("")}
<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="#888"/><line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}" stroke="#888"/>
<text x="${(W + pad.l) / 2}" y="${H - 10}" text-anchor="middle">false positives per node-hour (log)</text>
<text transform="translate(16 ${(H - pad.b + pad.t) / 2}) rotate(-90)" text-anchor="middle">first detection p50 (s)</text>
${dots}${legend}</svg>`;
}

/** The page: the trade-off chart (detection p50 against false positives per node-hour) and the table. */
function renderHtml(rows, profileList) {
  const colorOf = colorsOf(profileList);
  const tableRows = rows
    .map(
      (r) =>
        `<tr><td>${esc(r.cell)}</td><td style="color:${colorOf.get(r.profile)}">${esc(r.profile)}</td><td>${s(r.firstP50)}</td><td>${s(r.firstP99)}</td><td>${s(r.allP50)}</td><td>${s(r.allP99)}</td><td>${r.falsePositives}</td><td>${r.fpPerNodeHour.toFixed(3)}</td><td>${r.healthyHit}</td><td>${r.faultyHit}</td><td>${r.healthyFlaps}</td><td>${r.faultyFlapsMax}</td><td>${r.messagesPerNodePerSec.toFixed(1)}</td><td>${r.bytesPerNodePerSec.toFixed(0)}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Lifeline detection quality</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}svg text{font:12px system-ui,sans-serif}table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child{text-align:left}</style></head><body>
<h1>Detection time against false positives</h1>
<p>One point per profile and cell (bench/qos.mjs): median crash → first detection against false positives (running members declared dead) per node-hour. Lower left is better.</p>
${renderChart(rows, profileList)}
<h2>Table</h2><table><tr><th>cell</th><th>profile</th><th>first p50 s</th><th>first p99 s</th><th>all p50 s</th><th>all p99 s</th><th>FP</th><th>FP/node-h</th><th>healthy hit</th><th>faulty hit</th><th>flaps healthy</th><th>flaps faulty max</th><th>msg/node/s</th><th>B/node/s</th></tr>
${tableRows}</table></body></html>
`;
}

function numbers(name, text) {
  const out = text.split(",").filter(Boolean).map(Number);
  if (out.length === 0 || out.some((v) => !Number.isFinite(v) || v < 0))
    usage(`--${name} must be a comma list of numbers`);
  return out;
}

function usage(message) {
  process.stderr.write(`qos: ${message}\n`);
  process.exit(2);
}

function readHeader() {
  return "bench/qos.mjs — see the comment at the top of the file for the matrix and flags.";
}
