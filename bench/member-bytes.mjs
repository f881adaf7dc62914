#!/usr/bin/env node
/*
 * Heap bytes per member entry: what one (node × member) pair costs in a converged simulated
 * cluster, where every virtual node runs its own core and so holds n entries (n² in all).
 *
 * Each size runs in a fresh child (node --expose-gc): all nodes join through one seed, the run
 * goes until all views agree and then --settle-ms more (so the join flood's broadcast queues and
 * suspicion timers are gone: steady state), then a full GC and process.memoryUsage().heapUsed +
 * arrayBuffers (typed-array backing stores live outside the JS heap). The difference between two
 * sizes divided by the difference of n² cancels the fixed and per-node costs:
 *
 *     bytes/entry ≈ (heap(n2) − heap(n1)) / (n2² − n1²)
 *
 * (a per-node cost c·n adds c/(n1 + n2) to it: ~1 byte for c ≈ 3 KB at 1,000/2,000). The
 * simulator's own n² state — ClusterViews' byte matrix, 1 byte/entry — is included; the safety
 * checker is off (--safety turns it on, it adds ~13 bytes/entry).
 *
 * --snapshot A,B writes heap snapshots of A- and B-node converged clusters and prints, per
 * (V8 node type, constructor name), how much the count and self size grew per added entry
 * (count/entry ≈ 1 means "one per entry": the n² holders). --snapshot N alone: totals of one
 * cluster. Typed-array backing stores appear as "native system / JSArrayBufferData"; Map hash
 * tables and array backing stores as "array".
 *
 *   npm run build && node bench/member-bytes.mjs                       # sizes 1000,2000
 *   node bench/member-bytes.mjs --sizes 500,1000 --settle-ms 30000
 *   node bench/member-bytes.mjs --sizes 0 --snapshot 200,400               # what holds the bytes
 */
import {spawnSync} from "node:child_process";
import {readFileSync, rmSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import v8 from "node:v8";

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const k = args.indexOf(name);
  return k >= 0 ? args[k + 1] : fallback;
};

async function converged(n, settleMs, safety) {
  const {createSimulation} = await import("../dist/sim/index.js");
  const sim = createSimulation({nodes: n, seed: 1, safety, joinSpreadMs: 1000, sampleIntervalMs: 5000});
  const agreed = sim.runUntil(() => sim.metrics.settledAtMs !== null, {maxMs: 120_000});
  const agreedAtMs = sim.nowMs;
  sim.runForMs(settleMs);
  return {sim, agreed, agreedAtMs, agreesAtEnd: sim.allAgree()};
}

function measuredBytes() {
  for (let i = 0; i < 4; i++) globalThis.gc();
  const m = process.memoryUsage();
  return {heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, total: m.heapUsed + m.arrayBuffers};
}

if (args[0] === "--child") {
  const n = Number(args[1]);
  const settleMs = Number(args[2]);
  const safety = args[3] === "true";
  const before = measuredBytes();
  const {sim, agreed, agreedAtMs, agreesAtEnd} = await converged(n, settleMs, safety);
  const after = measuredBytes();
  process.stdout.write(
    `${JSON.stringify({n, agreed, agreedAtMs, agreesAtEnd, total: after.total - before.total, after, virtualMs: sim.nowMs})}\n`,
  );
  process.exit(0);
}

if (args[0] === "--snapshot-child") {
  const n = Number(args[1]);
  const settleMs = Number(args[2]);
  const file = args[3];
  const {sim} = await converged(n, settleMs, args[4] === "true");
  measuredBytes();
  v8.writeHeapSnapshot(file);
  process.stdout.write(`${JSON.stringify({n, virtualMs: sim.nowMs})}\n`);
  process.exit(0);
}

/** Containers whose own name says little: labelled by who holds them instead. */
const CONTAINERS = new Set([
  "",
  "(object elements)",
  "(object properties)",
  "system / JSArrayBufferData",
  "Array",
  "Map",
  "Set",
  "ArrayBuffer",
  "Uint8Array",
  "Int32Array",
  "Float64Array",
  "Uint32Array",
  "Uint16Array",
]);

/**
 * Aggregates a heap snapshot by (type, name): [count, self bytes]. Containers (arrays, Map
 * tables, typed-array stores) are labelled by their first strong holder that is not itself a
 * container, as "holder.property", e.g. "array  ← MemberTable.byName".
 */
function analyze(file) {
  const snap = JSON.parse(readFileSync(file, "utf8"));
  const meta = snap.snapshot.meta;
  const fields = meta.node_fields;
  const types = meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf("type");
  const iName = fields.indexOf("name");
  const iSize = fields.indexOf("self_size");
  const iEdges = fields.indexOf("edge_count");
  const eFields = meta.edge_fields;
  const eWidth = eFields.length;
  const eTypes = meta.edge_types[0];
  const eiType = eFields.indexOf("type");
  const eiName = eFields.indexOf("name_or_index");
  const eiTo = eFields.indexOf("to_node");
  const nodes = snap.nodes;
  const edges = snap.edges;
  const strings = snap.strings;
  const count = nodes.length / width;
  // First strong retainer of each node, and the edge's name.
  const holder = new Int32Array(count).fill(-1);
  const holderEdge = new Array(count);
  let e = 0;
  for (let i = 0; i < count; i++) {
    const n = nodes[i * width + iEdges];
    for (let k = 0; k < n; k++, e += eWidth) {
      const et = eTypes[edges[e + eiType]];
      if (et === "weak" || et === "shortcut") continue;
      const to = edges[e + eiTo] / width;
      if (holder[to] !== -1) continue;
      holder[to] = i;
      holderEdge[to] = et === "element" || et === "hidden" ? `[${edges[e + eiName]}]` : strings[edges[e + eiName]];
    }
  }
  const typeOf = (i) => types[nodes[i * width + iType]];
  const nameOf = (i) => strings[nodes[i * width + iName]];
  const isContainer = (i) => {
    const t = typeOf(i);
    return (t === "array" || t === "native" || t === "object" || t === "hidden") && CONTAINERS.has(nameOf(i));
  };
  const groups = new Map();
  for (let i = 0; i < count; i++) {
    const type = typeOf(i);
    let name = nameOf(i);
    if (type === "string" || type === "concatenated string" || type === "sliced string") name = "(strings)";
    else if (type === "number") name = "(heap numbers)";
    else if (name.length > 60) name = `${name.slice(0, 57)}...`;
    let key = `${type} ${name}`;
    if (isContainer(i)) {
      let h = i;
      let edge = "";
      for (let depth = 0; depth < 4 && isContainer(h) && holder[h] >= 0; depth++) {
        edge = holderEdge[h];
        h = holder[h];
      }
      key += ` ← ${nameOf(h).slice(0, 40)}.${edge}`;
    }
    const g = groups.get(key) ?? [0, 0];
    g[0]++;
    g[1] += nodes[i * width + iSize];
    groups.set(key, g);
  }
  return groups;
}

const settleMs = Number(flag("--settle-ms", "60000"));
const safety = args.includes("--safety");
const sizes = flag("--sizes", "1000,2000")
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
const self = fileURLToPath(import.meta.url);
const nodeFlags = ["--expose-gc", "--max-old-space-size=16384"];
const results = [];
for (const n of sizes) {
  const child = spawnSync(
    process.execPath,
    [...nodeFlags, self, "--child", String(n), String(settleMs), String(safety)],
    {
      encoding: "utf8",
      maxBuffer: 1 << 24,
    },
  );
  if (child.status !== 0) throw new Error(`child ${n} failed: ${child.stderr}`);
  const r = JSON.parse(child.stdout.trim().split("\n").at(-1));
  results.push(r);
  console.log(
    `${n} nodes: converged ${r.agreed} at ${r.agreedAtMs} ms, agrees at end ${r.agreesAtEnd}, ` +
      `heap+arrayBuffers ${(r.total / 1048576).toFixed(1)} MB, ${(r.total / (n * n)).toFixed(1)} bytes per entry (fixed costs included)`,
  );
}
for (let k = 1; k < results.length; k++) {
  const a = results[k - 1];
  const b = results[k];
  const per = (b.total - a.total) / (b.n * b.n - a.n * a.n);
  console.log(`${a.n} → ${b.n}: ${per.toFixed(1)} bytes per (node × member) entry (safety ${safety ? "on" : "off"})`);
}

const snapSizes = flag("--snapshot", "")
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
function snapshotGroups(n) {
  const file = path.join(os.tmpdir(), `member-bytes-${process.pid}-${n}.heapsnapshot`);
  const child = spawnSync(
    process.execPath,
    [...nodeFlags, self, "--snapshot-child", String(n), String(settleMs), file, String(safety)],
    {encoding: "utf8", maxBuffer: 1 << 24},
  );
  if (child.status !== 0) throw new Error(`snapshot child failed: ${child.stderr}`);
  const groups = analyze(file);
  rmSync(file);
  return groups;
}
if (snapSizes.length > 0) {
  // One size: totals per group. Two sizes: each group's growth per entry between them.
  const big = snapSizes.at(-1);
  const small = snapSizes.length > 1 ? snapSizes[0] : 0;
  const g1 = snapshotGroups(big);
  const g0 = small > 0 ? snapshotGroups(small) : new Map();
  const entries = big * big - small * small;
  const rows = [...g1].map(([key, [count, size]]) => {
    const [c0, s0] = g0.get(key) ?? [0, 0];
    return [key, count - c0, size - s0];
  });
  rows.sort((x, y) => y[2] - x[2]);
  let total = 0;
  for (const r of rows) total += r[2];
  const range = small > 0 ? `${small} → ${big} nodes` : `${big} nodes`;
  console.log(
    `heap snapshots, ${range} (${entries} entries): ${(total / entries).toFixed(1)} bytes/entry of self size`,
  );
  console.log("type name | count | count/entry | self MB | bytes/entry");
  for (const [key, count, size] of rows.slice(0, Number(flag("--top", "25")))) {
    console.log(
      `${key} | ${count} | ${(count / entries).toFixed(2)} | ${(size / 1048576).toFixed(1)} | ${(size / entries).toFixed(1)}`,
    );
  }
}
