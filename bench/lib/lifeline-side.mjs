/*
 * The Lifeline half of the side-by-side benchmark: one `node bin/lifeline agent` child process
 * per member (the built CLI from dist/), its member list read over the agent's HTTP API
 * (/v1/members) with a keep-alive connection. States are normalised to alive, failed, left.
 */
import {existsSync, readFileSync} from "node:fs";
import {Agent, request} from "node:http";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {spawnAgent} from "./agent-procs.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = join(ROOT, "bin", "lifeline");
const CLI = join(ROOT, "dist", "src", "agent", "cli.js");

/** Why Lifeline agents cannot be started, or undefined when they can. */
export function lifelineReady() {
  if (!existsSync(CLI)) return `Lifeline is not built (${CLI} is missing): run \`npm run build\` first`;
  return undefined;
}

/** package.json version plus the git state is recorded by the caller; here just the version. */
export function lifelineVersion() {
  try {
    return JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
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

/** Starts a Lifeline agent on `ports` = [gossip, http]; `join` is "host:port" or undefined. */
export async function startLifelineAgent({name, host, ports, profile, join: seed}) {
  const [port, httpPort] = ports;
  const args = [
    BIN,
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
  const proc = spawnAgent(`lifeline ${name}`, process.execPath, args);
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
    /** Joins `addr` through POST /v1/join (the agent must be answering). */
    async join(addr) {
      const body = await postJson(host, httpPort, "/v1/join", {addrs: [addr]});
      if (!(body.joined >= 1)) throw new Error(`lifeline ${name} could not join ${addr}: ${JSON.stringify(body)}`);
    },
    close() {},
  };
}
