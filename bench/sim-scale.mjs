#!/usr/bin/env node
/*
 * Simulator scale benchmark: simulated node-seconds per wall-second (and per CPU-second) for
 * 100, 500, 1,000 and 2,000 nodes, each run in a fresh child process so memory figures are its
 * own. Every run is a real cluster: every node a SwimNode, every packet real codec bytes, all
 * nodes joining through one seed at t = 0..1 s, then steady state. The bootstrap phase
 * (until every node sees every other, memberlist's O(n²) alive flood) and the steady phase are
 * reported separately because they cost very differently.
 *
 *   npm run build && node bench/sim-scale.mjs                     # 100 500 1000 2000, 300 s each
 *   node bench/sim-scale.mjs --sizes 1000 --duration-ms 300000    # the target: < 30 s wall
 *   node bench/sim-scale.mjs --sizes 10000 --duration-ms 60000    # the stretch goal
 *
 * Flags: --sizes a,b,c  --duration-ms N  --seed N  --json FILE  --safety (on; off by default)
 *        --start join|converged (converged: every node knows every member at t = 0, no storm)
 *        --repeat K (run each size K times; the table shows the median wall time, all runs in JSON)
 *        --one-core (pin each run to CPU 0 with taskset, GC helper threads included)
 *        --no-decode-memo (decode every gossip part; see src/codec/gossip-memo.ts).
 * Node flags for the children: --max-semi-space-size=64 (fewer scavenges: the alive flood
 * allocates a lot of short-lived message objects).
 */
import {spawnSync} from "node:child_process";
import {writeFileSync} from "node:fs";
import os from "node:os";
import {fileURLToPath} from "node:url";

/** Wall time between two progress lines of a run. */
const PROGRESS_MS = 10_000;

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const k = args.indexOf(name);
  return k >= 0 ? args[k + 1] : fallback;
};

if (args[0] === "--child") {
  const n = Number(args[1]);
  const durationMs = Number(args[2]);
  const seed = Number(args[3]);
  const safety = args[4] === "true";
  const decodeMemo = args[5] !== "false";
  const start = args[6];
  const {createSimulation} = await import("../dist/sim/index.js");
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let peakRss = 0;
  const sampleMem = () => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  };
  // The progress line (stderr, every PROGRESS_MS of wall time): virtual time, wall time, memory.
  let lastProgress = t0;
  const progress = (sim, phase) => {
    const now = performance.now();
    sampleMem();
    if (now - lastProgress < PROGRESS_MS) return;
    lastProgress = now;
    const gb = (b) => (b / 1073741824).toFixed(2);
    process.stderr.write(
      `  [${n} nodes, ${start}] ${phase}: virtual ${(sim.nowMs / 1000).toFixed(1)} s of ${durationMs / 1000}, ` +
        `wall ${((now - t0) / 1000).toFixed(0)} s, rss ${gb(process.memoryUsage().rss)} GB (peak ${gb(peakRss)})\n`,
    );
  };
  const sim = createSimulation({nodes: n, seed, safety, decodeMemo, start, joinSpreadMs: 1000, sampleIntervalMs: 5000});
  // Phase 1: bootstrap, until all agree (or the run ends), in 1 s virtual slices for the progress line.
  let agreed = false;
  while (!agreed && sim.nowMs < durationMs) {
    agreed = sim.runUntil(() => sim.metrics.settledAtMs !== null, {maxMs: Math.min(1000, durationMs - sim.nowMs)});
    progress(sim, "bootstrap");
  }
  sampleMem();
  const bootVirtualMs = sim.nowMs;
  const tBoot = performance.now();
  const cpuBoot = process.cpuUsage(cpu0);
  // Phase 2: steady state for the rest of the run, in slices so the memory peak is seen. The last
  // 60 s (or less) are timed on their own: by then the join flood's retransmissions are over.
  const quietFromMs = Math.max(sim.nowMs, durationMs - 60_000);
  let cpuQuiet0;
  while (sim.nowMs < durationMs) {
    if (cpuQuiet0 === undefined && sim.nowMs >= quietFromMs) cpuQuiet0 = process.cpuUsage();
    sim.runForMs(Math.min(1_000, (sim.nowMs < quietFromMs ? quietFromMs : durationMs) - sim.nowMs));
    progress(sim, "steady");
  }
  const cpuQuiet = cpuQuiet0 === undefined ? undefined : process.cpuUsage(cpuQuiet0);
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const cpuBootS = (cpuBoot.user + cpuBoot.system) / 1e6;
  const wallS = (t1 - t0) / 1000;
  const bootWallS = (tBoot - t0) / 1000;
  const steadyVirtualS = (durationMs - bootVirtualMs) / 1000;
  const result = {
    nodes: n,
    start,
    virtualS: durationMs / 1000,
    wallS,
    cpuS,
    nodeSecPerWallS: (n * durationMs) / 1000 / wallS,
    nodeSecPerCpuS: (n * durationMs) / 1000 / cpuS,
    bootstrap: {
      agreed,
      virtualS: bootVirtualMs / 1000,
      wallS: bootWallS,
      cpuS: cpuBootS,
    },
    steady: {
      virtualS: steadyVirtualS,
      wallS: wallS - bootWallS,
      cpuS: cpuS - cpuBootS,
      nodeSecPerCpuS: steadyVirtualS > 0 ? (n * steadyVirtualS) / (cpuS - cpuBootS) : null,
    },
    quiet: {
      virtualS: (durationMs - quietFromMs) / 1000,
      nodeSecPerCpuS:
        cpuQuiet === undefined
          ? null
          : (n * (durationMs - quietFromMs)) / 1000 / ((cpuQuiet.user + cpuQuiet.system) / 1e6),
    },
    events: sim.eventsHandled,
    inputs: sim.inputsHandled,
    datagrams: sim.metrics.datagrams,
    datagramBytes: sim.metrics.datagramBytes,
    peakRssMb: Math.round(peakRss / 1048576),
    heapUsedMb: Math.round(process.memoryUsage().heapUsed / 1048576),
    agreesAtEnd: sim.allAgree(),
    traceHash: sim.traceHash,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

const sizes = flag("--sizes", "100,500,1000,2000").split(",").map(Number);
const start = flag("--start", "join");
if (start !== "join" && start !== "converged") {
  console.error(`--start must be "join" or "converged", not ${JSON.stringify(start)}`);
  process.exit(2);
}
const durationMs = Number(flag("--duration-ms", "300000"));
const seed = Number(flag("--seed", "1"));
const safety = args.includes("--safety");
const decodeMemo = !args.includes("--no-decode-memo");
const oneCore = args.includes("--one-core");
const repeat = Math.max(1, Number(flag("--repeat", "1")));
const jsonOut = flag("--json", undefined);
const machine = {
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.cpus().length,
  memGb: Math.round(os.totalmem() / 1e9),
  node: process.version,
  loadAvg1m: os.loadavg()[0],
};
console.log(
  `sim scale benchmark: ${durationMs / 1000} s virtual per size, seed ${seed}, safety ${safety ? "on" : "off"}, ` +
    `${start} start, decode memo ${decodeMemo ? "on" : "off"}${oneCore ? ", pinned to one core" : ""}, ${repeat} run(s) per size`,
);
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memGb} GB, node ${machine.node}, load ${machine.loadAvg1m.toFixed(1)}`,
);
console.log(
  "nodes | virtual s | wall s | cpu s | node-s/wall-s | node-s/cpu-s | bootstrap: virtual s, cpu s | after bootstrap node-s/cpu-s | last 60 s node-s/cpu-s | peak RSS MB | agrees",
);
const results = [];
for (const n of sizes) {
  const runs = [];
  for (let k = 0; k < repeat; k++) {
    const nodeArgs = [
      "--max-semi-space-size=64",
      "--max-old-space-size=16384",
      fileURLToPath(import.meta.url),
      "--child",
      String(n),
      String(durationMs),
      String(seed),
      String(safety),
      String(decodeMemo),
      start,
    ];
    // The child's stderr (progress lines, errors) goes straight to ours; stdout carries the result.
    const spawnOptions = {encoding: "utf8", maxBuffer: 1 << 24, stdio: ["ignore", "pipe", "inherit"]};
    const child = oneCore
      ? spawnSync("taskset", ["-c", "0", process.execPath, ...nodeArgs], spawnOptions)
      : spawnSync(process.execPath, nodeArgs, spawnOptions);
    if (child.status !== 0) {
      console.log(`${n} | failed (exit ${child.status} ${child.signal ?? ""}): see the errors above`);
      runs.push({nodes: n, failed: true, exit: child.status, signal: child.signal});
      break;
    }
    runs.push(JSON.parse(child.stdout.trim().split("\n").at(-1)));
  }
  results.push(...runs);
  const ok = runs.filter((r) => !r.failed).sort((a, b) => a.wallS - b.wallS);
  if (ok.length === 0) continue;
  const r = ok[Math.floor((ok.length - 1) / 2)];
  const f = (v, d = 1) => (v === null ? "-" : v.toFixed(d));
  const spread = ok.length > 1 ? ` (runs: ${ok.map((x) => f(x.wallS)).join(", ")})` : "";
  console.log(
    `${n} | ${r.virtualS} | ${f(r.wallS)}${spread} | ${f(r.cpuS)} | ${Math.round(r.nodeSecPerWallS)} | ${Math.round(r.nodeSecPerCpuS)} | ` +
      `${r.bootstrap.agreed ? f(r.bootstrap.virtualS) : "not reached"}, ${f(r.bootstrap.cpuS)} | ` +
      `${r.steady.nodeSecPerCpuS === null ? "-" : Math.round(r.steady.nodeSecPerCpuS)} | ` +
      `${r.quiet.nodeSecPerCpuS === null ? "-" : Math.round(r.quiet.nodeSecPerCpuS)} | ${r.peakRssMb} | ${r.agreesAtEnd}`,
  );
}
if (jsonOut)
  writeFileSync(
    jsonOut,
    `${JSON.stringify({machine, durationMs, start, seed, safety, decodeMemo, oneCore, repeat, results}, null, 1)}\n`,
  );
