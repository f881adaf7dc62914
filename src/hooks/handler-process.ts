/*
 * One handler process: `/bin/sh -c COMMAND` in its own process group, stdin written and closed,
 * stdout and stderr logged line by line (up to a byte budget), stdout optionally kept (for a
 * query's response, up to a byte bound), and the whole group SIGKILLed on timeout, so
 * `sh -c 'sleep 100; …'` dies too.
 *
 *   spawn (detached) ─▶ stdin.end(input) ─▶ lines → log, stdout → capture ─▶ exit | timeout → kill group
 */
import {type ChildProcess, spawn} from "node:child_process";
import {StringDecoder} from "node:string_decoder";

/** What one run needs. */
export interface HandlerProcessInit {
  readonly shell: string;
  readonly command: string;
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: string | Uint8Array;
  /** SIGKILL the group after this long. */
  readonly timeoutMs: number;
  /** Output bytes (stdout + stderr) logged; the rest is counted in `outputBytesDropped`. */
  readonly maxOutputBytes: number;
  /** Keep up to this many stdout bytes in `stdout`; more sets `stdoutOverflow`. Undefined: keep none. */
  readonly captureStdoutBytes?: number;
  /** One call per output line, `stream` naming where it came from. */
  readonly onLine: (stream: "stdout" | "stderr", line: string) => void;
}

/** How one run ended. */
export interface HandlerProcessResult {
  /** Exit code, or null when killed by a signal or never started. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  /** Set when the process could not be started. */
  readonly error?: string;
  readonly durationMs: number;
  /** The stdout kept (empty unless `captureStdoutBytes` was set). */
  readonly stdout: Uint8Array;
  /** Stdout went past `captureStdoutBytes`; `stdout` holds only the first part. */
  readonly stdoutOverflow: boolean;
  readonly outputBytesDropped: number;
}

/** A started run: its outcome, and a way to end it early (SIGKILL to its group). */
export interface HandlerProcess {
  readonly done: Promise<HandlerProcessResult>;
  kill(): void;
}

/** After "exit", how long to wait for the pipes to close before moving on (a grandchild may hold them). */
const CLOSE_GRACE_MS = 200;

/** Starts one handler process. Never throws: a spawn failure is a result with `error`. */
export function startHandlerProcess(init: HandlerProcessInit): HandlerProcess {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let child: ChildProcess;
  try {
    child = spawn(init.shell, ["-c", init.command], {
      env: init.env,
      stdio: ["pipe", "pipe", "pipe"],
      detached: true, // own process group, so a timeout kills the whole tree
    });
  } catch (error) {
    const result: HandlerProcessResult = {
      exitCode: null,
      signal: null,
      timedOut: false,
      error: (error as Error).message,
      durationMs: elapsed(),
      stdout: new Uint8Array(0),
      stdoutOverflow: false,
      outputBytesDropped: 0,
    };
    return {done: Promise.resolve(result), kill: () => undefined};
  }
  const done = new Promise<HandlerProcessResult>((resolve) => {
    let timedOut = false;
    let spawnError: string | undefined;
    let outputBytes = 0;
    let outputBytesDropped = 0;
    // BOUNDED: at most captureStdoutBytes bytes in total.
    const captured: Buffer[] = [];
    let capturedBytes = 0;
    let stdoutOverflow = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, init.timeoutMs);
    const pipeLines = (stream: NodeJS.ReadableStream | null, name: "stdout" | "stderr"): void => {
      if (!stream) return;
      const decoder = new StringDecoder("utf8");
      let partial = "";
      stream.on("data", (chunk: Buffer) => {
        if (name === "stdout" && init.captureStdoutBytes !== undefined && !stdoutOverflow) {
          if (capturedBytes + chunk.length > init.captureStdoutBytes) {
            stdoutOverflow = true;
            const room = init.captureStdoutBytes - capturedBytes;
            captured.push(chunk.subarray(0, room));
            capturedBytes += room;
          } else {
            captured.push(chunk);
            capturedBytes += chunk.length;
          }
        }
        if (outputBytes + chunk.length > init.maxOutputBytes) {
          outputBytesDropped += chunk.length;
          return;
        }
        outputBytes += chunk.length;
        partial += decoder.write(chunk);
        const lines = partial.split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) init.onLine(name, line);
      });
      stream.on("end", () => {
        partial += decoder.end();
        if (partial !== "") init.onLine(name, partial);
      });
    };
    pipeLines(child.stdout, "stdout");
    pipeLines(child.stderr, "stderr");
    // A handler that does not read stdin closes it early: EPIPE is expected, not an error.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(init.stdin);
    let exit: {code: number | null; signal: string | null} | undefined;
    let finished = false;
    let closeGrace: ReturnType<typeof setTimeout> | undefined;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearTimeout(closeGrace);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve({
        exitCode: spawnError ? null : (exit?.code ?? null),
        signal: exit?.signal ?? null,
        timedOut,
        ...(spawnError ? {error: spawnError} : {}),
        durationMs: elapsed(),
        stdout: new Uint8Array(Buffer.concat(captured)),
        stdoutOverflow,
        outputBytesDropped,
      });
    };
    child.once("error", (error) => {
      spawnError = error.message;
      closeGrace = setTimeout(finish, CLOSE_GRACE_MS);
    });
    child.once("exit", (code, signal) => {
      exit = {code, signal};
      // Normally "close" follows at once (the pipes drain); give it a moment, then move on.
      closeGrace = setTimeout(finish, CLOSE_GRACE_MS);
    });
    child.once("close", (code, signal) => {
      exit ??= {code, signal};
      finish();
    });
  });
  return {done, kill: () => killGroup(child)};
}

/** SIGKILL the child's process group (it leads one: spawned detached); fall back to the child. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}
