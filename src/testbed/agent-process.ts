/*
 * One real agent: `lifeline testbed-agent` (`lifeline agent` with a fault control channel on
 * stdin, src/agent/fault-gate.ts) started inside its namespace with `ip netns exec` (which execs, so the
 * child's pid is the agent's own and SIGKILL / SIGSTOP / SIGCONT / SIGTERM reach it directly);
 * `command` writes "slow MS" / "stall MS" to its stdin. Its stderr is read line by line and every member event (event-line.ts) is handed on
 * with the time the agent logged it; `stats()` reads its /v1/stats over HTTP (the runner lives in
 * the hub namespace, on the same bridge).
 */
import {type ChildProcess, spawn} from "node:child_process";
import {createInterface} from "node:readline";
import {type AgentLine, parseAgentLine} from "./event-line.ts";
import {GOSSIP_PORT, HTTP_PORT, hostPort} from "./plan.ts";

/** What starting one agent takes. */
export interface AgentProcessInit {
  readonly namespace: string;
  /** The `lifeline` executable (bin/lifeline of this package). */
  readonly bin: string;
  readonly name: string;
  readonly host: string;
  /** Seeds ("HOST:PORT"). */
  readonly join: readonly string[];
  /** JSON file of createAgent options (profile, protocol fields). */
  readonly configFile: string;
  readonly httpToken: string;
  readonly seed: number;
  readonly onLine: (line: AgentLine) => void;
  /** Every raw stderr line (debugging), when set. */
  readonly onRawLine?: (line: string) => void;
}

/** A running (or finished) agent process. */
export class AgentProcess {
  readonly name: string;
  readonly host: string;
  private readonly child: ChildProcess;
  private readonly token: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  running = true;

  constructor(init: AgentProcessInit) {
    this.name = init.name;
    this.host = init.host;
    this.token = init.httpToken;
    const args = [
      "netns",
      "exec",
      init.namespace,
      process.execPath,
      init.bin,
      "testbed-agent",
      "--name",
      init.name,
      "--bind",
      hostPort(init.host, GOSSIP_PORT),
      "--http",
      hostPort(init.host, HTTP_PORT),
      "--http-token",
      init.httpToken,
      "--config",
      init.configFile,
      "--seed",
      String(init.seed),
      ...init.join.flatMap((seed) => ["--join", seed]),
    ];
    this.child = spawn("ip", args, {stdio: ["pipe", "ignore", "pipe"], env: {...process.env, DEBUG: ""}});
    // A write after the process died fails with EPIPE: the exit handler below already knows.
    this.child.stdin?.on("error", () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.once("exit", () => {
        this.running = false;
        resolve();
      });
      this.child.once("error", () => {
        this.running = false;
        resolve();
      });
    });
    const lines = createInterface({input: this.child.stderr as NodeJS.ReadableStream});
    lines.on("line", (line) => {
      init.onRawLine?.(line);
      const parsed = parseAgentLine(line);
      if (parsed !== undefined) init.onLine(parsed);
    });
  }

  /** Sends `signal` to the agent (no-op once it exited). */
  signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      this.child.kill(signal);
    } catch {
      // exited meanwhile
    }
  }

  /** Sends one fault command line ("slow 1500", "stall 800"; src/agent/fault-gate.ts) to the agent's stdin. */
  command(line: string): void {
    if (!this.running) return;
    this.child.stdin?.write(`${line}\n`);
  }

  /** The agent's /v1/stats, or undefined when it does not answer within `timeoutMs`. */
  async stats(timeoutMs = 2_000): Promise<Record<string, unknown> | undefined> {
    if (!this.running) return undefined;
    try {
      const response = await fetch(`http://${hostPort(this.host, HTTP_PORT)}/v1/stats`, {
        headers: {authorization: `Bearer ${this.token}`},
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) return undefined;
      return (await response.json()) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }
}
