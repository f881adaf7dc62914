#!/usr/bin/env node
/*
 * `npm run bench`: every benchmark in one go, each in its own process, in this order:
 *   1. codec and core micro-benchmarks (vitest bench: encode/decode rates, SwimNode.handle rate);
 *   2. simulator scale (bench/sim-scale.mjs: simulated node-seconds per wall-second);
 *   3. with --agents: real Lifeline agents side by side with real serf agents
 *      (bench/agents-vs-serf.mjs; needs Debian's serf).
 * Flags after `--` go to nothing else; run a single script directly for its own flags.
 *
 *   npm run bench                 # 1 and 2
 *   npm run bench -- --agents     # 1, 2 and 3
 *   npm run bench -- --quick      # 1, and 2 at 100 and 1,000 nodes only
 */
import {spawnSync} from "node:child_process";
import os from "node:os";

const args = new Set(process.argv.slice(2));
for (const a of args) {
  if (!["--agents", "--quick"].includes(a)) {
    console.error(`bench: unknown flag ${a}; known: --agents, --quick`);
    process.exit(2);
  }
}
console.log(
  `machine: ${os.cpus()[0]?.model ?? "?"} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
);

function run(cmd, argv) {
  console.log(`\n$ ${cmd} ${argv.join(" ")}`);
  const r = spawnSync(cmd, argv, {stdio: "inherit"});
  if (r.status !== 0) {
    console.error(`bench: ${cmd} ${argv.join(" ")} exited ${r.status ?? r.signal}`);
    process.exit(1);
  }
}

run("npx", ["vitest", "bench", "--run", "bench/codec.bench.ts", "bench/core.bench.ts"]);
run("node", ["bench/sim-scale.mjs", ...(args.has("--quick") ? ["--sizes", "100,1000"] : [])]);
if (args.has("--agents")) run("node", ["bench/agents-vs-serf.mjs"]);
