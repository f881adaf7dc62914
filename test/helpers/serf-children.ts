/*
 * Bookkeeping for the real processes that interop tests start (serf agents, Lifeline agents run
 * as `node bin/lifeline agent`): each is registered by PID when spawned, its output is kept in a
 * bounded tail for failure messages, and every one still running is killed by PID — in the test
 * file's afterAll via `killAllChildren`, and as a last resort on process exit — so a failing or
 * timed-out test never leaves agents behind.
 */
import {type ChildProcess, spawn} from "node:child_process";

const TAIL_LINES = 400;

/** A spawned agent process with the tail of its output. */
export interface ChildAgent {
  readonly label: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** The last lines of stdout and stderr, interleaved as they arrived. */
  output(): string;
  /** Whether the process has exited (or was killed). */
  hasExited(): boolean;
  /** Resolves with the exit code (null after a signal) once the process is gone. */
  readonly exited: Promise<number | null>;
}

// BOUNDED: one entry per process a test file starts; entries leave on exit.
const live = new Map<number, ChildAgent>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const pid of live.keys()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

/** Spawns `command args` and registers it; throws if it cannot be started at all. */
export function spawnChild(
  label: string,
  command: string,
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
): ChildAgent {
  installExitHook();
  const child = spawn(command, [...args], {stdio: ["ignore", "pipe", "pipe"], env: env ?? process.env});
  if (child.pid === undefined) throw new Error(`could not spawn ${label}: ${command} ${args.join(" ")}`);
  const pid = child.pid;
  // BOUNDED: TAIL_LINES lines.
  const lines: string[] = [];
  let partial = "";
  const collect = (chunk: Buffer): void => {
    const text = partial + chunk.toString("utf8");
    const parts = text.split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      if (lines.length > TAIL_LINES) lines.shift();
    }
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let done = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      done = true;
      live.delete(pid);
      resolve(code);
    });
  });
  const agent: ChildAgent = {
    label,
    pid,
    process: child,
    output: () => [...lines, partial].join("\n"),
    hasExited: () => done,
    exited,
  };
  live.set(pid, agent);
  return agent;
}

/** Sends `signal` to the child by PID and waits (at most `timeoutMs`) for it to exit. */
export async function signalChild(child: ChildAgent, signal: NodeJS.Signals, timeoutMs = 10_000): Promise<void> {
  if (child.hasExited()) return;
  try {
    process.kill(child.pid, signal);
  } catch {
    // raced with its exit
  }
  await waitForExit(child, timeoutMs);
}

/** Waits for the child to exit; on timeout kills it with SIGKILL and throws. */
export async function waitForExit(child: ChildAgent, timeoutMs: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const result = await Promise.race([child.exited, timeout]);
  clearTimeout(timer);
  if (result === "timeout") {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
    await child.exited;
    throw new Error(`${child.label} (pid ${child.pid}) did not exit within ${timeoutMs} ms; killed it`);
  }
  return result;
}

/** Kills every registered child that is still running, by PID, and waits for each to go. */
export async function killAllChildren(): Promise<void> {
  const all = [...live.values()];
  await Promise.all(all.map((child) => signalChild(child, "SIGKILL", 5_000).catch(() => undefined)));
}
