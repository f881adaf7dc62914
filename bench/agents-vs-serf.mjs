#!/usr/bin/env node
/*
 * Side-by-side benchmark of real Lifeline agents and real serf agents on this machine, in one
 * run (machines drift; only a same-run comparison is fair). For each cluster size N and trial,
 * and for each side in alternating order, it:
 *
 *   1. starts N agents at once without a seed and waits until each answers on its own
 *      (start-up: spawn → last agent answering), then asks agents 1..N-1 to join agent 0 at the
 *      same moment (serf: RPC join; Lifeline: POST /v1/join);
 *   2. polls every agent's member list every --poll-ms until all N agents see N alive
 *      (convergence, measured from the join request, so process start-up is not in it).
 *      With --start cold instead: agent 0 first, then 1..N-1 spawned at once with a join flag,
 *      and convergence is measured from that spawn (start-up included);
 *   3. waits --settle-s, then measures steady CPU (utime+stime from /proc/PID/stat over
 *      --window-s, polling paused) and RSS (VmRSS) of every agent;
 *   4. --kills times: kill -9 a random non-seed agent, polls the survivors until all mark it
 *      failed, and records kill → first and kill → last detection; waits --kill-gap-s between kills;
 *   5. kills everything by PID.
 *
 * Both sides run the same memberlist timing profile (--profile, LAN by default), unless
 * --lifeline-profile gives Lifeline another one (swift: its own LAN profile). Lifeline agents
 * are `node bin/lifeline agent ...` child processes, run from a private copy of dist/ taken at
 * start so that a rebuild during the run cannot change them (run `npm run build` first); serf agents are
 * `serf agent ...`. Membership is read over serf's RPC and Lifeline's HTTP /v1/members.
 *
 * Usage:  node bench/agents-vs-serf.mjs [--n 5,16,32] [--trials 2] [--kills 2] [--window-s 20]
 *           [--settle-s 5] [--poll-ms 50] [--profile lan] [--lifeline-profile swift] [--sides serf,lifeline] [--timeout-s 60]
 *           [--kill-gap-s 3] [--start join|cold] [--out bench/results]
 * Prints a table with Lifeline / serf ratios and writes JSON to bench/results/ (gitignored).
 */
import {mkdirSync, writeFileSync} from "node:fs";
import os from "node:os";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {parseArgs} from "node:util";
import {freePort, installCleanup, kill9, killAll} from "./lib/agent-procs.mjs";
import {lifelineReady, lifelineVersion, startLifelineAgent} from "./lib/lifeline-side.mjs";
import {rssBytes, startCpuWindow} from "./lib/proc-stat.mjs";
import {serfVersion, startSerfAgent} from "./lib/serf-side.mjs";
import {median, percentile, sum} from "./lib/stats.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const HOST = "127.0.0.1";

const {values: flags} = parseArgs({
  options: {
    n: {type: "string", default: "5,16"},
    trials: {type: "string", default: "2"},
    kills: {type: "string", default: "2"},
    "window-s": {type: "string", default: "20"},
    "settle-s": {type: "string", default: "5"},
    "poll-ms": {type: "string", default: "50"},
    profile: {type: "string", default: "lan"},
    "lifeline-profile": {type: "string"},
    sides: {type: "string", default: "serf,lifeline"},
    "timeout-s": {type: "string", default: "60"},
    "kill-gap-s": {type: "string", default: "3"},
    start: {type: "string", default: "join"},
    out: {type: "string", default: join(ROOT, "bench", "results")},
    help: {type: "boolean", default: false},
  },
});

function positiveInt(name, text, min = 1) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    console.error(`invalid --${name} ${JSON.stringify(text)}; must be an integer >= ${min}`);
    process.exit(2);
  }
  return value;
}

if (flags.help) {
  console.log(
    "node bench/agents-vs-serf.mjs [--n 5,16,32] [--trials 2] [--kills 2] [--window-s 20] [--settle-s 5] [--poll-ms 50] [--profile lan|wan|local] [--lifeline-profile lan|wan|local|swift] [--sides serf,lifeline] [--timeout-s 60] [--kill-gap-s 3] [--start join|cold] [--out DIR]",
  );
  process.exit(0);
}

const opts = {
  ns: flags.n.split(",").map((s) => positiveInt("n", s, 2)),
  trials: positiveInt("trials", flags.trials),
  kills: positiveInt("kills", flags.kills, 0),
  windowS: positiveInt("window-s", flags["window-s"]),
  settleS: positiveInt("settle-s", flags["settle-s"], 0),
  pollMs: positiveInt("poll-ms", flags["poll-ms"], 10),
  timeoutS: positiveInt("timeout-s", flags["timeout-s"]),
  killGapS: positiveInt("kill-gap-s", flags["kill-gap-s"], 0),
  profile: flags.profile,
  lifelineProfile: flags["lifeline-profile"] ?? flags.profile,
  start: flags.start,
  sides: flags.sides.split(","),
  out: flags.out,
};
if (!["lan", "wan", "local"].includes(opts.profile)) {
  console.error(`invalid --profile ${opts.profile}; must be lan, wan or local`);
  process.exit(2);
}
if (!["lan", "wan", "local", "swift"].includes(opts.lifelineProfile)) {
  console.error(`invalid --lifeline-profile ${opts.lifelineProfile}; must be lan, wan, local or swift`);
  process.exit(2);
}
if (opts.start !== "join" && opts.start !== "cold") {
  console.error(`invalid --start ${opts.start}; must be join or cold`);
  process.exit(2);
}
for (const side of opts.sides) {
  if (side !== "serf" && side !== "lifeline") {
    console.error(`invalid --sides entry ${side}; must be serf or lifeline`);
    process.exit(2);
  }
}

const SIDES = {serf: startSerfAgent, lifeline: startLifelineAgent};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

/**
 * Polls `agents` every pollMs until `done(agent, view)` has been true for every agent once, or
 * timeoutMs passes. Returns per-agent first-true time (ms since `t0`, undefined if never) and
 * calls `observe(agent, view, t)` on every answer.
 */
async function watch(agents, t0, done, timeoutMs, observe) {
  const first = new Map();
  const deadline = t0 + timeoutMs;
  while (first.size < agents.length && now() < deadline) {
    const round = now();
    await Promise.all(
      agents.map(async (agent) => {
        const view = await agent.view();
        const t = now() - t0;
        if (view === undefined) return;
        observe?.(agent, view, t);
        if (!first.has(agent.name) && done(agent, view)) first.set(agent.name, t);
      }),
    );
    const spent = now() - round;
    if (spent < opts.pollMs) await sleep(opts.pollMs - spent);
  }
  return agents.map((a) => first.get(a.name));
}

async function runTrial(side, n, trial) {
  const start = SIDES[side];
  const profile = side === "lifeline" ? opts.lifelineProfile : opts.profile;
  const prefix = `${side === "serf" ? "s" : "l"}${n}t${trial}-`;
  const names = Array.from({length: n}, (_, i) => `${prefix}${i}`);
  const ports = [];
  for (let i = 0; i < n; i++) ports.push([await freePort(HOST), await freePort(HOST)]);
  const result = {side, n, trial, load: {before: os.loadavg()}, falseFailures: [], kills: []};
  const agents = [];
  try {
    const t0 = now();
    const cold = opts.start === "cold";
    let seed;
    if (cold) {
      // Cold start: agent 0 first, then 1..N-1 spawned at once with a join flag; the time
      // includes process start-up.
      seed = await start({name: names[0], host: HOST, ports: ports[0], profile});
      agents.push(seed);
      const up = await watch([seed], now(), (a, v) => v.get(a.name) === "alive", 30_000);
      if (up[0] === undefined)
        throw new Error(`${side} seed did not answer within 30 s:\n${seed.proc.tail.join("\n")}`);
    }
    const tSpawn = now();
    for (let i = cold ? 1 : 0; i < n; i++) {
      const join = cold ? seed.addr : undefined;
      agents.push(await start({name: names[i], host: HOST, ports: ports[i], profile, join}));
    }
    seed ??= agents[0];
    result.spawnMs = now() - tSpawn;
    let tJoin = tSpawn;
    const joinErrors = [];
    if (!cold) {
      // Join mode: wait until every agent answers on its own, then ask agents 1..N-1 to join
      // agent 0 at the same moment; the time is the protocol's alone.
      const up = await watch(agents, tSpawn, (a, v) => v.get(a.name) === "alive", opts.timeoutS * 1000);
      if (up.some((t) => t === undefined)) {
        const late = agents
          .filter((_, i) => up[i] === undefined)
          .map((a) => `${a.name}: ${a.proc.tail.slice(-3).join(" | ")}`);
        throw new Error(`agents did not start within ${opts.timeoutS} s: ${late.join("; ")}`);
      }
      result.startupMs = Math.max(...up);
      tJoin = now();
      for (const a of agents.slice(1)) a.join(seed.addr).catch((e) => joinErrors.push(`${a.name}: ${e.message}`));
    }
    const answered = new Map();
    const converged = await watch(
      agents,
      tJoin,
      (_a, v) => names.every((name) => v.get(name) === "alive"),
      opts.timeoutS * 1000,
      (a, _v, t) => {
        if (!answered.has(a.name)) answered.set(a.name, t);
      },
    );
    if (cold) result.startupMs = answered.size === n ? Math.max(...answered.values()) : undefined;
    result.joinErrors = joinErrors;
    result.convergenceMs = converged.every((t) => t !== undefined) ? Math.max(...converged) : undefined;
    result.convergencePerAgentMs = Object.fromEntries(
      agents.map((a, i) => [a.name, converged[i] === undefined ? null : Math.round(converged[i])]),
    );
    result.totalStartMs = now() - t0;
    if (result.convergenceMs === undefined) {
      const missing = agents.filter((_, i) => converged[i] === undefined).map((a) => a.name);
      result.error = `not converged within ${opts.timeoutS} s (agents without a full view: ${missing.join(", ")}; join errors: ${joinErrors.join("; ") || "none"})`;
      return result;
    }

    await sleep(opts.settleS * 1000);
    const pids = agents.map((a) => a.pid);
    const stop = startCpuWindow(pids);
    await sleep(opts.windowS * 1000);
    result.cpuPct = stop();
    result.rssBytes = pids.map(rssBytes);

    const alive = agents.slice(1);
    const noteFalse = (observer, view, t, victims) => {
      for (const [name, status] of view) {
        if (status !== "alive" && !victims.has(name) && names.includes(name)) {
          result.falseFailures.push({observer: observer.name, subject: name, status, atMs: Math.round(t)});
        }
      }
    };
    const victims = new Set();
    for (let k = 0; k < opts.kills && alive.length > 1; k++) {
      const victim = alive.splice(Math.floor(Math.random() * alive.length), 1)[0];
      victims.add(victim.name);
      const survivors = agents.filter((a) => !victims.has(a.name));
      const tk = now();
      await kill9(victim.proc);
      const seen = await watch(
        survivors,
        tk,
        (_a, v) => v.get(victim.name) === "failed" || v.get(victim.name) === "left",
        opts.timeoutS * 1000,
        (a, v, t) => noteFalse(a, v, t, victims),
      );
      const defined = seen.filter((t) => t !== undefined);
      result.kills.push({
        victim: victim.name,
        firstMs: defined.length > 0 ? Math.min(...defined) : undefined,
        lastMs: defined.length === survivors.length ? Math.max(...defined) : undefined,
        detectedBy: defined.length,
        perSurvivorMs: Object.fromEntries(
          survivors.map((a, i) => [a.name, seen[i] === undefined ? null : Math.round(seen[i])]),
        ),
        survivors: survivors.length,
      });
      if (k + 1 < opts.kills) await sleep(opts.killGapS * 1000);
    }
    return result;
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    return result;
  } finally {
    for (const a of agents) a.close();
    await killAll();
    result.load.after = os.loadavg();
  }
}

function fmt(value, digits = 2) {
  return value === undefined ? "–" : value.toFixed(digits);
}

function summarise(results, side, n) {
  const rows = results.filter((r) => r.side === side && r.n === n);
  const kills = rows.flatMap((r) => r.kills);
  const cpu = rows.flatMap((r) => r.cpuPct ?? []);
  const rss = rows.flatMap((r) => (r.rssBytes ?? []).map((b) => (b === undefined ? undefined : b / 1048576)));
  const sec = (ms) => (ms === undefined ? undefined : ms / 1000);
  return {
    trials: rows.length,
    errors: rows.filter((r) => r.error).map((r) => r.error),
    convergenceS: sec(median(rows.map((r) => r.convergenceMs))),
    convergenceP90S: sec(
      percentile(
        rows.map((r) => r.convergenceMs),
        90,
      ),
    ),
    startupS: sec(median(rows.map((r) => r.startupMs))),
    firstDetectS: sec(median(kills.map((k) => k.firstMs))),
    firstDetectP90S: sec(
      percentile(
        kills.map((k) => k.firstMs),
        90,
      ),
    ),
    lastDetectS: sec(median(kills.map((k) => k.lastMs))),
    lastDetectP90S: sec(
      percentile(
        kills.map((k) => k.lastMs),
        90,
      ),
    ),
    undetected: kills.filter((k) => k.lastMs === undefined).length,
    kills: kills.length,
    cpuPctPerAgent: median(cpu),
    cpuPctAllAgents: median(rows.map((r) => (r.cpuPct ? sum(r.cpuPct) : undefined))),
    rssMbPerAgent: median(rss),
    falseFailures: rows.reduce((acc, r) => acc + r.falseFailures.length, 0),
  };
}

function printTable(summaries) {
  const metrics = [
    [
      opts.start === "cold" ? "cold-start convergence, all see N (s)" : "join → all see N alive (s)",
      "convergenceS",
      "convergenceP90S",
      2,
    ],
    [
      opts.start === "cold"
        ? "  of which: spawn → last agent answering (s)"
        : "start-up: spawn → last agent answering (s)",
      "startupS",
      undefined,
      2,
    ],
    ["kill -9 → first detection (s)", "firstDetectS", "firstDetectP90S", 2],
    ["kill -9 → all survivors detect (s)", "lastDetectS", "lastDetectP90S", 2],
    ["steady CPU per agent (% of a core)", "cpuPctPerAgent", undefined, 2],
    ["steady CPU, all agents (% of a core)", "cpuPctAllAgents", undefined, 1],
    ["RSS per agent (MB)", "rssMbPerAgent", undefined, 1],
    ["false failures observed", "falseFailures", undefined, 0],
  ];
  for (const {n, serf, lifeline} of summaries) {
    console.log(
      `\nN = ${n}   (serf: ${serf?.trials ?? 0} trials, ${serf?.kills ?? 0} kills; lifeline: ${lifeline?.trials ?? 0} trials, ${lifeline?.kills ?? 0} kills)`,
    );
    console.log(`| metric (median [p90]) | serf | lifeline | lifeline / serf |`);
    console.log(`|---|---|---|---|`);
    for (const [label, key, p90Key, digits] of metrics) {
      const cell = (s) =>
        s ? `${fmt(s[key], digits)}${p90Key && s[p90Key] !== undefined ? ` [${fmt(s[p90Key], digits)}]` : ""}` : "–";
      const ratio =
        serf && lifeline && serf[key] !== undefined && lifeline[key] !== undefined && serf[key] > 0
          ? `${(lifeline[key] / serf[key]).toFixed(2)}×`
          : "–";
      console.log(`| ${label} | ${cell(serf)} | ${cell(lifeline)} | ${ratio} |`);
    }
    for (const [side, s] of [
      ["serf", serf],
      ["lifeline", lifeline],
    ]) {
      if (s?.undetected) console.log(`  ${side}: ${s.undetected} of ${s.kills} kills not detected by every survivor`);
      for (const e of s?.errors ?? []) console.log(`  ${side} error: ${e}`);
    }
  }
}

async function main() {
  installCleanup();
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memGb: Math.round(os.totalmem() / 1e9),
    kernel: os.release(),
    node: process.version,
    serf: serfVersion(),
    lifeline: lifelineVersion(),
  };
  if (opts.sides.includes("serf") && !machine.serf) {
    console.error("serf is not installed (apt-get install -y serf), or pass --sides lifeline");
    process.exit(2);
  }
  if (opts.sides.includes("lifeline")) {
    const problem = lifelineReady();
    if (problem) {
      console.error(problem);
      process.exit(2);
    }
  }
  console.log(`agents-vs-serf ${JSON.stringify(opts)}`);
  console.log(`machine ${JSON.stringify(machine)}`);
  const results = [];
  for (const n of opts.ns) {
    for (let trial = 1; trial <= opts.trials; trial++) {
      const order = trial % 2 === 1 ? opts.sides : [...opts.sides].reverse();
      for (const side of order) {
        const started = now();
        const r = await runTrial(side, n, trial);
        results.push(r);
        console.log(
          `  N=${n} trial ${trial} ${side}: converged ${fmt(r.convergenceMs === undefined ? undefined : r.convergenceMs / 1000)} s, ` +
            `detect ${r.kills.map((k) => `${fmt(k.firstMs === undefined ? undefined : k.firstMs / 1000)}/${fmt(k.lastMs === undefined ? undefined : k.lastMs / 1000)}`).join(" ")} s, ` +
            `cpu ${fmt(median(r.cpuPct ?? []))} %, false ${r.falseFailures.length}` +
            `${r.error ? `, ERROR ${r.error}` : ""} (${((now() - started) / 1000).toFixed(0)} s)`,
        );
        await sleep(1000);
      }
    }
  }
  const summaries = opts.ns.map((n) => ({
    n,
    serf: opts.sides.includes("serf") ? summarise(results, "serf", n) : undefined,
    lifeline: opts.sides.includes("lifeline") ? summarise(results, "lifeline", n) : undefined,
  }));
  printTable(summaries);
  const loads = results.flatMap((r) => [r.load.before?.[0], r.load.after?.[0]]).filter((x) => x !== undefined);
  console.log(
    `\n1-minute load average seen at trial boundaries: ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on ${machine.cpus} cores (other work on the machine skews CPU and timing; both sides share it)`,
  );
  mkdirSync(opts.out, {recursive: true});
  const file = join(opts.out, `agents-vs-serf-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify({opts, machine, summaries, results}, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}

main().catch(async (error) => {
  console.error(error);
  await killAll();
  process.exit(1);
});
