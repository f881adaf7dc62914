#!/usr/bin/env node
/*
 * Packet loss on real processes, side by side: serf (lan), Lifeline lan and Lifeline swift, one
 * after another in one run, each as N agents on the loopback of a private network namespace this
 * script creates. Loss is an iptables `statistic` drop on the gossip ports only (UDP and TCP;
 * this kernel has no netem), so the HTTP/RPC reads of the member lists are never lost:
 *
 *   converge ─▶ 10 % loss for --phase-s ─▶ no loss for --quiet-s ─▶ 30 % loss ─▶ no loss
 *
 * Per side and phase: own failed probes (serf: "Suspect … no acks received" log lines; Lifeline:
 * the probeFailures counter), the healthy agents wrongly declared failed by anyone (every agent
 * is healthy here; read from each agent's own log line for every failure it declares), and how
 * long after the loss stopped every view had everyone alive again.
 *
 *   sudo npm run bench:loss                          # N = 16 and 32, serf, lan, swift
 *   sudo node bench/loss-netns.mjs --n 16 --phase-s 60 --sides serf,swift
 *   sudo node bench/loss-netns.mjs --cleanup         # removes namespaces a crashed run left
 *
 * Needs root, `ip`, `iptables` and `serf`; run `npm run build` first. The namespace (and with it
 * every rule and interface inside it) is deleted on exit, on Ctrl-C and after a crash of the
 * runner (a trap in the outer process; --cleanup for a killed one). Traffic never leaves it.
 */
import {execFileSync, spawn} from "node:child_process";
import {existsSync, mkdirSync, writeFileSync} from "node:fs";
import {loadavg} from "node:os";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {parseArgs} from "node:util";
import {installCleanup, kill9} from "./lib/agent-procs.mjs";
import {lifelineReady, startLifelineAgent} from "./lib/lifeline-side.mjs";
import {startSerfAgent} from "./lib/serf-side.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const NS_PREFIX = "lifeline-loss-";
const HOST = "127.0.0.1";
/** Gossip ports are GOSSIP_BASE + i (the only ports with loss); HTTP / RPC ports CONTROL_BASE + i. */
const GOSSIP_BASE = 17_000;
const CONTROL_BASE = 19_000;

const {values: flags} = parseArgs({
  options: {
    n: {type: "string", default: "16,32"},
    sides: {type: "string", default: "serf,lan,swift"},
    losses: {type: "string", default: "0.1,0.3"},
    "phase-s": {type: "string", default: "150"},
    "quiet-s": {type: "string", default: "30"},
    out: {type: "string", default: join(ROOT, "bench", "results")},
    inside: {type: "string"},
    cleanup: {type: "boolean", default: false},
  },
});

const sh = (cmd, args) => execFileSync(cmd, args, {stdio: ["ignore", "pipe", "pipe"]}).toString();

if (flags.inside === undefined) await outer();
else await inner();

// ------------------------------------------------------------------- outside: the namespace

async function outer() {
  if (process.getuid?.() !== 0) fail("needs root (network namespaces and iptables): run with sudo");
  if (flags.cleanup) {
    for (const ns of namespaces()) {
      sh("ip", ["netns", "del", ns]);
      console.log(`removed ${ns}`);
    }
    return;
  }
  for (const [tool, args] of [
    ["ip", ["-V"]],
    ["iptables", ["-V"]],
    ["serf", ["version"]],
  ]) {
    try {
      sh(tool, args);
    } catch {
      fail(`needs ${tool} (apt-get install -y iproute2 iptables serf)`);
    }
  }
  if (!existsSync(join(ROOT, "dist", "src", "cli", "main.js")))
    fail("Lifeline is not built: run `npm run build` first");
  const ns = `${NS_PREFIX}${process.pid}`;
  sh("ip", ["netns", "add", ns]);
  let child;
  const cleanup = () => {
    try {
      for (const pid of sh("ip", ["netns", "pids", ns]).split("\n").filter(Boolean))
        process.kill(Number(pid), "SIGKILL");
    } catch {
      // gone already
    }
    try {
      sh("ip", ["netns", "del", ns]);
    } catch {
      // gone already
    }
  };
  process.once("exit", cleanup);
  for (const signal of ["SIGINT", "SIGTERM"])
    process.once(signal, () => {
      child?.kill("SIGKILL");
      cleanup();
      process.exit(130);
    });
  const args = process.argv.slice(2);
  child = spawn(
    "ip",
    ["netns", "exec", ns, process.execPath, fileURLToPath(import.meta.url), ...args, "--inside", ns],
    {
      stdio: "inherit",
    },
  );
  const code = await new Promise((resolvePromise) => child.on("exit", (c) => resolvePromise(c ?? 1)));
  cleanup();
  if (namespaces().includes(ns)) fail(`namespace ${ns} is still there`);
  process.exit(code);
}

function namespaces() {
  return sh("ip", ["netns", "list"])
    .split("\n")
    .map((line) => line.split(" ")[0])
    .filter((name) => name?.startsWith(NS_PREFIX));
}

function fail(message) {
  console.error(`bench:loss: ${message}`);
  process.exit(2);
}

// ------------------------------------------------------------------- inside: the runs

async function inner() {
  installCleanup();
  sh("ip", ["link", "set", "lo", "up"]);
  const ns = flags.inside;
  const sizes = flags.n.split(",").map(Number);
  const sides = flags.sides.split(",");
  const losses = flags.losses.split(",").map(Number);
  const phaseMs = Number(flags["phase-s"]) * 1000;
  const quietMs = Number(flags["quiet-s"]) * 1000;
  for (const side of sides)
    if (!["serf", "lan", "swift"].includes(side)) fail(`--sides: ${side} is not serf, lan or swift`);
  const why = lifelineReady();
  if (why) fail(why);
  const results = [];
  console.log(
    `bench:loss in ${ns}: N=${sizes} sides=${sides} losses=${losses} phase ${phaseMs / 1000} s, quiet ${quietMs / 1000} s`,
  );
  try {
    for (const n of sizes)
      for (const side of sides) results.push(...(await runSide(side, n, losses, phaseMs, quietMs)));
  } finally {
    dropLoss();
  }
  printTable(results);
  mkdirSync(flags.out, {recursive: true});
  const file = join(flags.out, `loss-netns-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify({flags, results}, null, 1)}\n`);
  console.log(`wrote ${file}`);
}

/** Drops `rate` of the datagrams and segments on the gossip ports (both ways: every packet crosses lo once). */
function setLoss(rate, n) {
  dropLoss();
  if (rate <= 0) return;
  for (const proto of ["udp", "tcp"]) {
    sh("iptables", [
      "-t",
      "raw",
      "-A",
      "PREROUTING",
      "-i",
      "lo",
      "-p",
      proto,
      "-m",
      "multiport",
      "--ports",
      `${GOSSIP_BASE}:${GOSSIP_BASE + n - 1}`,
      "-m",
      "statistic",
      "--mode",
      "random",
      "--probability",
      String(rate),
      "-j",
      "DROP",
    ]);
  }
}

function dropLoss() {
  sh("iptables", ["-t", "raw", "-F", "PREROUTING"]);
}

async function runSide(side, n, losses, phaseMs, quietMs) {
  // Both agents log every failure they declare: serf "serf: EventMemberFailed: NAME ADDR",
  // Lifeline "member failed NAME …". One phase's declarations are collected here.
  let accusations = [];
  let probeFailLines = 0;
  const onLine = (line) => {
    const failed = side === "serf" ? /serf: EventMemberFailed: (\S+)/.exec(line) : /member failed (\S+)/.exec(line);
    if (failed) accusations.push(failed[1]);
    if (side === "serf" && line.includes("memberlist: Suspect") && line.includes("no acks received")) probeFailLines++;
  };
  const agents = [];
  for (let i = 0; i < n; i++) {
    const name = `${side}-${i}`;
    const ports = [GOSSIP_BASE + i, CONTROL_BASE + i];
    const join = i === 0 ? undefined : `${HOST}:${GOSSIP_BASE}`;
    const start = side === "serf" ? startSerfAgent : startLifelineAgent;
    agents.push(await start({name, host: HOST, ports, profile: side === "serf" ? "lan" : side, join, onLine}));
    if (i === 0) await until(async () => (await agents[0].view())?.get(name) === "alive", 20_000, `${name} up`);
  }
  const names = agents.map((a) => a.name);
  const allAlive = async () => {
    const views = await Promise.all(agents.map((a) => a.view()));
    return views.every((v) => v !== undefined && names.every((x) => v.get(x) === "alive"));
  };
  const out = [];
  try {
    await until(allAlive, 90_000, `${side} N=${n} converged`);
    await sleep(5_000);
    for (const loss of losses) {
      accusations = [];
      const before = await probeFailures(side, agents, () => probeFailLines);
      setLoss(loss, n);
      await sleep(phaseMs);
      setLoss(0, n);
      const stopped = performance.now();
      const recovered = await until(allAlive, quietMs, `${side} N=${n} alive again`).then(
        () => performance.now() - stopped,
        () => undefined,
      );
      await sleep(Math.max(0, quietMs - (performance.now() - stopped)));
      const after = await probeFailures(side, agents, () => probeFailLines);
      const accused = [...new Set(accusations)].sort();
      const row = {
        side,
        n,
        loss,
        phaseS: phaseMs / 1000,
        probeFailures: after - before,
        healthyDeclaredFailed: accused.length,
        failedDeclarations: accusations.length,
        accused,
        recoveredS: recovered === undefined ? null : Math.round(recovered / 100) / 10,
        loadAvg1m: loadavg()[0],
      };
      console.log(JSON.stringify(row));
      out.push(row);
    }
  } finally {
    for (const a of agents) a.close?.();
    await Promise.all(agents.map((a) => kill9(a.proc)));
  }
  return out;
}

/** Own failed probes so far: serf's log lines, or the sum of Lifeline's probeFailures counters. */
async function probeFailures(side, agents, serfLines) {
  if (side === "serf") return serfLines();
  const stats = await Promise.all(agents.map((a) => a.stats()));
  return stats.reduce((sum, s) => sum + (s?.core?.probeFailures ?? 0), 0);
}

async function until(check, timeoutMs, what) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return;
    await sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function printTable(rows) {
  console.log(
    "\n| N | loss | side | own failed probes | healthy agents declared failed (declarations) | all alive again after loss stopped |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const r of rows)
    console.log(
      `| ${r.n} | ${Math.round(r.loss * 100)} % | ${r.side} | ${r.probeFailures} | ${r.healthyDeclaredFailed} (${r.failedDeclarations}) | ${r.recoveredS === null ? "not within the quiet period" : `${r.recoveredS} s`} |`,
    );
}
