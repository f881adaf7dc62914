/*
 * The real HashiCorp `serf agent` as a test peer. `startSerf` launches one on free loopback ports
 * (gossip on -bind, its own -rpc-addr), waits until its RPC answers and it lists itself alive, and
 * returns a handle that reads `serf members -format=json`, asks it to join, leaves gracefully
 * (`serf leave`, after which the agent exits) or kills it with SIGKILL by PID. Every process is
 * registered with serf-children.ts so the test file's afterAll (killAllChildren) removes it even
 * when a test fails.
 *
 *   test ──spawn──> serf agent -node N -bind 127.0.0.1:P -rpc-addr 127.0.0.1:R -profile local
 *   test ──exec───> serf members -format=json -rpc-addr 127.0.0.1:R   (parsed into SerfMember[])
 */
import {execFile} from "node:child_process";
import {promisify} from "node:util";
import {type ChildAgent, signalChild, spawnChild, waitForExit} from "./serf-children.ts";
import {serfBinary} from "./serf-gate.ts";
import {freePort} from "./serf-ports.ts";
import {waitUntil} from "./serf-wait.ts";

const execFileAsync = promisify(execFile);

/** Options for `startSerf`; everything but `name` has a test-friendly default. */
export interface SerfInit {
  readonly name: string;
  /** Loopback host to bind. Default 127.0.0.1. */
  readonly host?: string;
  /** Gossip port (UDP and TCP). Default: a free port. */
  readonly port?: number;
  /** RPC port. Default: a free port. */
  readonly rpcPort?: number;
  /** memberlist timing profile. Default "local" (1 s probes, 200 ms timeout: fast detection). */
  readonly profile?: "lan" | "wan" | "local";
  /** Base64 key for -encrypt. */
  readonly encrypt?: string;
  /** Pass -disable-compression (serf compresses by default). */
  readonly disableCompression?: boolean;
  readonly tags?: Readonly<Record<string, string>>;
  /** Addresses (host:port) for -join; serf exits if none of them can be joined. */
  readonly join?: readonly string[];
  /** -log-level. Default "debug" (memberlist's debug lines are the best interop diagnostics). */
  readonly logLevel?: "trace" | "debug" | "info" | "warn" | "err";
  /** -event-handler values, e.g. "user:deploy=cat >> /tmp/x" or "query:uptime=echo up". */
  readonly eventHandlers?: readonly string[];
  /** How long to wait for the RPC to answer. Default 15 s. */
  readonly readyTimeoutMs?: number;
}

/** One row of `serf members -format=json`. */
export interface SerfMember {
  readonly name: string;
  /** "ip:port" */
  readonly addr: string;
  readonly port: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly status: "alive" | "leaving" | "left" | "failed" | string;
  readonly protocol: {readonly min: number; readonly max: number; readonly version: number};
}

/** Parses the output of `serf members -format=json`; throws on anything else. */
export function parseSerfMembers(json: string): SerfMember[] {
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== "object" || parsed === null || !Array.isArray((parsed as {members?: unknown}).members)) {
    throw new Error(`serf members: expected {"members": [...]}, got ${json.slice(0, 200)}`);
  }
  return (parsed as {members: unknown[]}).members.map((row) => {
    const m = row as Partial<SerfMember>;
    if (typeof m.name !== "string" || typeof m.addr !== "string" || typeof m.status !== "string") {
      throw new Error(`serf members: malformed member ${JSON.stringify(row)}`);
    }
    return {
      name: m.name,
      addr: m.addr,
      port: Number(m.port),
      tags: m.tags ?? {},
      status: m.status,
      protocol: m.protocol ?? {min: 0, max: 0, version: 0},
    };
  });
}

/** A running serf agent. */
export class SerfAgent {
  readonly name: string;
  /** Gossip address, "127.0.0.1:port". */
  readonly bindAddr: string;
  readonly host: string;
  readonly port: number;
  readonly rpcAddr: string;
  readonly child: ChildAgent;

  constructor(name: string, host: string, port: number, rpcAddr: string, child: ChildAgent) {
    this.name = name;
    this.host = host;
    this.port = port;
    this.bindAddr = `${host}:${port}`;
    this.rpcAddr = rpcAddr;
    this.child = child;
  }

  get pid(): number {
    return this.child.pid;
  }

  /** The agent's output so far (bounded tail), for failure messages. */
  logs(): string {
    return this.child.output();
  }

  /** Runs a serf client command against this agent's RPC and returns its stdout. */
  async rpc(args: readonly string[], timeoutMs = 10_000): Promise<string> {
    const [command, ...rest] = args;
    if (command === undefined) throw new Error("rpc: no command");
    const {stdout} = await execFileAsync(serfBinary(), [command, `-rpc-addr=${this.rpcAddr}`, ...rest], {
      timeout: timeoutMs,
      encoding: "utf8",
    });
    return stdout;
  }

  /** `serf members -format=json`, parsed. Includes failed and left members. */
  async members(): Promise<SerfMember[]> {
    return parseSerfMembers(await this.rpc(["members", "-format=json"]));
  }

  /** This agent's view of one member, or undefined when it does not know the name. */
  async member(name: string): Promise<SerfMember | undefined> {
    return (await this.members()).find((m) => m.name === name);
  }

  /** Waits until this agent reports `name` with `status` (e.g. "alive", "failed", "left"). */
  async waitForStatus(name: string, status: string, timeoutMs: number): Promise<SerfMember> {
    return waitUntil(
      async () => {
        const m = await this.member(name);
        return m?.status === status ? m : undefined;
      },
      {
        what: `serf ${this.name} shows ${name} as ${status}`,
        timeoutMs,
        intervalMs: 100,
        diagnose: async () => `serf ${this.name} members: ${JSON.stringify(await this.members().catch(String))}`,
      },
    );
  }

  /** `serf join addr...` through this agent's RPC. */
  async join(...addrs: string[]): Promise<void> {
    await this.rpc(["join", ...addrs]);
  }

  /** Graceful leave (`serf leave`: leave intent, memberlist leave, shutdown); waits for the process to exit. */
  async leave(timeoutMs = 15_000): Promise<void> {
    await this.rpc(["leave"], timeoutMs);
    await waitForExit(this.child, timeoutMs);
  }

  /** kill -9 by PID; waits until the process is gone. */
  async kill9(): Promise<void> {
    await signalChild(this.child, "SIGKILL");
  }

  hasExited(): boolean {
    return this.child.hasExited();
  }
}

/** Starts `serf agent` and resolves once its RPC answers and it lists itself alive. */
export async function startSerf(init: SerfInit): Promise<SerfAgent> {
  const host = init.host ?? "127.0.0.1";
  const port = init.port ?? (await freePort(host));
  const rpcPort = init.rpcPort ?? (await freePort(host));
  const rpcAddr = `${host}:${rpcPort}`;
  const args = [
    "agent",
    `-node=${init.name}`,
    `-bind=${host}:${port}`,
    `-rpc-addr=${rpcAddr}`,
    `-profile=${init.profile ?? "local"}`,
    `-log-level=${init.logLevel ?? "debug"}`,
  ];
  if (init.encrypt !== undefined) args.push(`-encrypt=${init.encrypt}`);
  if (init.disableCompression) args.push("-disable-compression");
  for (const [key, value] of Object.entries(init.tags ?? {})) args.push("-tag", `${key}=${value}`);
  for (const addr of init.join ?? []) args.push(`-join=${addr}`);
  for (const handler of init.eventHandlers ?? []) args.push(`-event-handler=${handler}`);
  const child = spawnChild(`serf ${init.name}`, serfBinary(), args);
  const agent = new SerfAgent(init.name, host, port, rpcAddr, child);
  await waitUntil(
    async () => {
      if (child.hasExited()) throw new Error(`serf ${init.name} exited during start-up`);
      const self = await agent.member(init.name);
      return self?.status === "alive";
    },
    {
      what: `serf ${init.name} answers on ${rpcAddr} and lists itself alive`,
      timeoutMs: init.readyTimeoutMs ?? 15_000,
      intervalMs: 50,
      diagnose: () => `serf agent ${args.join(" ")}\n--- output ---\n${child.output()}`,
    },
  ).catch(async (error: unknown) => {
    await signalChild(child, "SIGKILL").catch(() => undefined);
    throw error;
  });
  return agent;
}
