/*
 * A Lifeline agent as a separate OS process (`node bin/lifeline agent ...` from the built dist/),
 * for the interop tests that must kill -9 a Lifeline agent — which an in-process agent cannot
 * survive. Its membership is read over its HTTP API (GET /v1/members). The process is registered
 * with test/helpers/serf-children.ts, so the test file's afterAll kills it by PID.
 */
import {execFile} from "node:child_process";
import {existsSync} from "node:fs";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {promisify} from "node:util";
import {type ChildAgent, signalChild, spawnChild} from "../helpers/serf-children.ts";
import {freePort} from "../helpers/serf-ports.ts";
import {waitUntil} from "../helpers/serf-wait.ts";

const execFileAsync = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = join(ROOT, "bin", "lifeline");
const BUILT_CLI = join(ROOT, "dist", "src", "cli", "main.js");

/** Why the built CLI cannot run (dist/ missing), or undefined when it can. */
export function lifelineBuildProblem(): string | undefined {
  return existsSync(BUILT_CLI)
    ? undefined
    : `the compiled Lifeline CLI is missing (${BUILT_CLI}); run \`npm run build\` before the interop tests`;
}

/** One row of GET /v1/members. */
export interface HttpMember {
  readonly name: string;
  readonly addr: string;
  readonly port: number;
  readonly state: string;
  readonly incarnation: number;
  readonly tags: Readonly<Record<string, string>>;
}

/** Options of `startLifelineProcess`. */
export interface LifelineProcessInit {
  readonly name: string;
  readonly join?: readonly string[];
  readonly profile?: "lan" | "wan" | "local";
  readonly tags?: Readonly<Record<string, string>>;
  readonly encrypt?: string;
  /** `--event-handler` values. */
  readonly eventHandlers?: readonly string[];
  readonly readyTimeoutMs?: number;
}

/** A running `lifeline agent` child process. */
export class LifelineProcess {
  readonly name: string;
  readonly bindAddr: string;
  readonly httpAddr: string;
  readonly child: ChildAgent;

  constructor(name: string, bindAddr: string, httpAddr: string, child: ChildAgent) {
    this.name = name;
    this.bindAddr = bindAddr;
    this.httpAddr = httpAddr;
    this.child = child;
  }

  get pid(): number {
    return this.child.pid;
  }

  logs(): string {
    return this.child.output();
  }

  /** GET /v1/members, parsed. */
  async members(): Promise<HttpMember[]> {
    const response = await fetch(`http://${this.httpAddr}/v1/members`, {signal: AbortSignal.timeout(3_000)});
    if (!response.ok) throw new Error(`GET /v1/members on ${this.name}: HTTP ${response.status}`);
    const body: unknown = await response.json();
    if (!Array.isArray(body))
      throw new Error(`GET /v1/members on ${this.name}: expected an array, got ${JSON.stringify(body)}`);
    return body as HttpMember[];
  }

  /** Waits until this agent lists `name` in `state`. */
  async waitForState(name: string, state: string, timeoutMs: number): Promise<HttpMember> {
    return waitUntil(
      async () => {
        const m = (await this.members()).find((x) => x.name === name);
        return m?.state === state ? m : undefined;
      },
      {
        what: `lifeline ${this.name} shows ${name} as ${state}`,
        timeoutMs,
        diagnose: async () =>
          `members: ${JSON.stringify(await this.members().catch(String))}\n--- output ---\n${this.logs()}`,
      },
    );
  }

  /** Runs `lifeline <command> --http <this agent's API> args...` and returns its stdout. */
  async cli(command: string, ...args: string[]): Promise<string> {
    const {stdout} = await execFileAsync(process.execPath, [BIN, command, "--http", this.httpAddr, ...args], {
      encoding: "utf8",
      timeout: 15_000,
    });
    return stdout;
  }

  /** SIGTERM by PID (the CLI then leaves gracefully and exits); waits until the process is gone. */
  async terminate(timeoutMs = 15_000): Promise<void> {
    await signalChild(this.child, "SIGTERM", timeoutMs);
  }

  /** kill -9 by PID; waits until the process is gone. */
  async kill9(): Promise<void> {
    await signalChild(this.child, "SIGKILL");
  }
}

/** Spawns `node bin/lifeline agent` on free loopback ports; resolves once its HTTP API lists it alive. */
export async function startLifelineProcess(init: LifelineProcessInit): Promise<LifelineProcess> {
  const problem = lifelineBuildProblem();
  if (problem) throw new Error(problem);
  const host = "127.0.0.1";
  const bindAddr = `${host}:${await freePort(host)}`;
  const httpAddr = `${host}:${await freePort(host)}`;
  const args = [BIN, "agent", "--name", init.name, "--bind", bindAddr, "--http", httpAddr];
  args.push("--profile", init.profile ?? "local");
  for (const addr of init.join ?? []) args.push("--join", addr);
  for (const [key, value] of Object.entries(init.tags ?? {})) args.push("--tag", `${key}=${value}`);
  if (init.encrypt !== undefined) args.push("--encrypt", init.encrypt);
  for (const handler of init.eventHandlers ?? []) args.push("--event-handler", handler);
  const child = spawnChild(`lifeline ${init.name}`, process.execPath, args, {
    ...process.env,
    DEBUG: "lifeline:agent,lifeline:member,lifeline:join",
  });
  const agent = new LifelineProcess(init.name, bindAddr, httpAddr, child);
  await waitUntil(
    async () => {
      if (child.hasExited()) throw new Error(`lifeline ${init.name} exited during start-up`);
      return (await agent.members()).some((m) => m.name === init.name && m.state === "alive");
    },
    {
      what: `lifeline ${init.name} serves /v1/members on ${httpAddr} and lists itself alive`,
      timeoutMs: init.readyTimeoutMs ?? 15_000,
      diagnose: () => `node ${args.join(" ")}\n--- output ---\n${child.output()}`,
    },
  ).catch(async (error: unknown) => {
    await signalChild(child, "SIGKILL").catch(() => undefined);
    throw error;
  });
  return agent;
}
