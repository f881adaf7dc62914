/*
 * A singleton job with failover: exactly one node of the cluster runs the job — the leader for
 * the job's key (agent.leader({key})) — and when that node dies or leaves, the job starts on
 * the key's next owner, which every agent computes alike without exchanging a message.
 *
 *   every agent:  on ring:changed / member:updated / member:down  →  leader(key) === me ?
 *                    yes and not running → job.start()        no and running → job.stop()
 *
 * Guarantee (see src/ring/leader.ts): once the agents' member lists agree, exactly one agent
 * runs the job. It is not consensus — for about one detection bound after a failure, or for the
 * whole of a network partition, two agents may run it (or none). Fence real side effects (a
 * lease, a compare-and-set) if two copies at once would do harm.
 *
 * Run three of them (`npm install` compiles this file to dist/examples/singleton-job.js; Node ≥ 22.18
 * can also run the .ts directly):
 *   node dist/examples/singleton-job.js --name a --bind 127.0.0.1:7101 --http 127.0.0.1:7201
 *   node dist/examples/singleton-job.js --name b --bind 127.0.0.1:7102 --http 0 --join 127.0.0.1:7101
 *   node dist/examples/singleton-job.js --name c --bind 127.0.0.1:7103 --http 0 --join 127.0.0.1:7101
 * One prints "nightly-report: running on …" every second; kill it and another takes over.
 */
import {pathToFileURL} from "node:url";
import {type Agent, type AgentInit, createAgent} from "../src/agent/index.ts";
import type {LeaderOptions} from "../src/ring/leader.ts";

/** The work that must run on one node only. */
export interface SingletonJob {
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

/** A running singleton controller. */
export interface Singleton {
  /** Whether this agent runs the job now. */
  readonly running: boolean;
  /** Stops watching and stops the job here if it runs. */
  close(): Promise<void>;
}

/**
 * Runs `job` on this agent while it is the leader for `key` (among members carrying `tags`),
 * re-checking on every membership change. Start/stop calls are serialized: the job is never
 * started twice on one agent, and stop always follows start.
 */
export function runSingleton(
  agent: Agent,
  key: string,
  job: SingletonJob,
  options: Omit<LeaderOptions, "key"> = {},
): Singleton {
  let running = false;
  let closed = false;
  let chain: Promise<void> = Promise.resolve();

  const check = (): void => {
    chain = chain
      .then(async () => {
        const leads = !closed && agent.state === "running" && agent.leader({...options, key}) === agent.name;
        if (leads && !running) {
          running = true;
          await job.start();
        } else if (!leads && running) {
          running = false;
          await job.stop();
        }
      })
      .catch((error: unknown) => {
        console.error(`singleton ${key}: ${(error as Error).message}`);
      });
  };

  const events = ["ring:changed", "member:updated", "member:down", "member:up", "left"] as const;
  for (const event of events) agent.on(event, check);
  check();

  return {
    get running() {
      return running;
    },
    async close() {
      closed = true;
      for (const event of events) agent.off(event, check);
      check();
      await chain;
    },
  };
}

/** Reads `--flag value` pairs (a tiny parser: this is an example). */
function parseArgs(args: readonly string[]): AgentInit & {key: string} {
  const values = new Map<string, string[]>();
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i] as string;
    const value = args[i + 1];
    if (!flag.startsWith("--") || value === undefined) throw new Error(`usage: --flag value pairs, got ${flag}`);
    values.set(flag.slice(2), [...(values.get(flag.slice(2)) ?? []), value]);
  }
  const one = (name: string) => values.get(name)?.at(-1);
  const http = one("http");
  return {
    key: one("key") ?? "nightly-report",
    ...(one("name") ? {name: one("name") as string} : {}),
    bind: one("bind") ?? "127.0.0.1:7946",
    ...(http && http !== "0" ? {http} : {}),
    join: values.get("join") ?? [],
    profile: "local",
  };
}

/** Starts an agent and a singleton job that logs a line every second while it runs here. */
export async function main(args: readonly string[]): Promise<{agent: Agent; singleton: Singleton}> {
  const {key, ...init} = parseArgs(args);
  const agent = await createAgent(init);
  let timer: ReturnType<typeof setInterval> | undefined;
  const singleton = runSingleton(agent, key, {
    start: () => {
      console.log(`${key}: started on ${agent.name}`);
      timer = setInterval(() => console.log(`${key}: running on ${agent.name}`), 1_000);
    },
    stop: () => {
      clearInterval(timer);
      console.log(`${key}: stopped on ${agent.name}`);
    },
  });
  const shutdown = async (): Promise<void> => {
    await singleton.close();
    await agent.leave().catch(() => undefined);
    await agent.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown());
  process.once("SIGTERM", () => void shutdown());
  return {agent, singleton};
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
}
