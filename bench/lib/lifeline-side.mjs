/*
 * The Lifeline half of the side-by-side benchmark: one `node bin/lifeline agent` child process
 * per member (the built CLI from dist/), its member list read over the agent's HTTP API
 * (/v1/members) with a keep-alive connection. States are normalised to alive, failed, left.
 */
import {spawnSync} from "node:child_process";
import {cpSync, existsSync, readFileSync, rmSync} from "node:fs";
import {Agent, request} from "node:http";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {spawnAgent} from "./agent-procs.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
// The agents run from a private copy of dist/ (inside the repo, so node_modules still resolves):
// other engineers rebuilding dist/ during a long run must not change the code under test.
const SNAPSHOT = join(ROOT, "bench", "results", `.lifeline-dist-${process.pid}`);
let bin = join(ROOT, "bin", "lifeline");

/**
 * Copies dist/ and bin/ to a private snapshot and checks that the CLI loads from it. Returns why
 * Lifeline agents cannot be started, or undefined when they can.
 */
export function lifelineReady() {
  if (!existsSync(CLI)) return `Lifeline is not built (${CLI} is missing): run \`npm run build\` first`;
  let lastError = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    rmSync(SNAPSHOT, {recursive: true, force: true});
    cpSync(join(ROOT, "dist"), join(SNAPSHOT, "dist"), {recursive: true});
    cpSync(join(ROOT, "bin"), join(SNAPSHOT, "bin"), {recursive: true});
    const check = spawnSync(process.execPath, [join(SNAPSHOT, "bin", "lifeline"), "agent", "--help"], {
      encoding: "utf8",
    });
    if (check.status === 0) {
      bin = join(SNAPSHOT, "bin", "lifeline");
      process.once("exit", () => rmSync(SNAPSHOT, {recursive: true, force: true}));
      return undefined;
    }
    lastError = `${check.stdout}${check.stderr}`.trim();
    spawnSync("sleep", ["2"]);
  }
  return `the built Lifeline CLI does not load (is dist/ being rebuilt?): ${lastError}`;
}

/** package.json version and the git commit the run measured. */
export function lifelineVersion() {
  let version;
  try {
    version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
  } catch {
    version = undefined;
  }
  const head = spawnSync("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"], {encoding: "utf8"});
  return `${version ?? "?"} (git ${head.status === 0 ? head.stdout.trim() : "?"})`;
}

const keepAlive = new Agent({keepAlive: true, maxSockets: 2});

function getJson(host, port, path) {
  return new Promise((resolve, reject) => {
    const req = request({host, port, path, agent: keepAlive, timeout: 2_000}, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

function postJson(host, port, path, body) {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = request(
      {
        host,
        port,
        path,
        method: "POST",
        agent: keepAlive,
        timeout: 15_000,
        headers: {"content-type": "application/json", "content-length": data.length},
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${text}`));
          resolve(JSON.parse(text));
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(data);
  });
}

function normalise(state) {
  if (state === "alive" || state === "suspect") return "alive";
  if (state === "dead" || state === "failed") return "failed";
  return state;
}

/**
 * Starts a Lifeline agent on `ports` = [gossip, http]; `join` is "host:port" or undefined;
 * `extraArgs` are more agent flags, `onLine` sees every output line.
 */
export async function startLifelineAgent({name, host, ports, profile, join: seed, extraArgs = [], onLine}) {
  const [port, httpPort] = ports;
  const args = [
    bin,
    "agent",
    "--name",
    name,
    "--bind",
    `${host}:${port}`,
    "--http",
    `${host}:${httpPort}`,
    "--profile",
    profile,
  ];
  if (seed) args.push("--join", seed);
  args.push(...extraArgs);
  const proc = spawnAgent(`lifeline ${name}`, process.execPath, args, onLine);
  return {
    name,
    pid: proc.pid,
    addr: `${host}:${port}`,
    proc,
    async view() {
      if (proc.exited) return undefined;
      try {
        const body = await getJson(host, httpPort, "/v1/members");
        const members = Array.isArray(body) ? body : body.members;
        return new Map(members.map((m) => [m.name, normalise(m.state ?? m.status)]));
      } catch {
        return undefined;
      }
    },
    /** GET /v1/stats (protocol counters), or undefined when the agent does not answer. */
    async stats() {
      try {
        return await getJson(host, httpPort, "/v1/stats");
      } catch {
        return undefined;
      }
    },
    /** Joins `addr` through POST /v1/join (the agent must be answering). */
    async join(addr) {
      const body = await postJson(host, httpPort, "/v1/join", {addrs: [addr]});
      if (!(body.joined >= 1)) throw new Error(`lifeline ${name} could not join ${addr}: ${JSON.stringify(body)}`);
    },
    close() {},
  };
}
