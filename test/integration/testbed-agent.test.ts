/*
 * `lifeline testbed-agent` as the testbed runs it, on loopback: a real process from the compiled
 * CLI that takes fault commands on stdin. A stall blocks its event loop (its own event-loop delay
 * metric shows it), a bad line is logged and ignored, and SIGTERM still leaves and exits 0.
 */
import {type ChildProcessWithoutNullStreams, spawn} from "node:child_process";
import {existsSync} from "node:fs";
import {fileURLToPath} from "node:url";
import {afterEach, describe, expect, it} from "vitest";

const BIN = fileURLToPath(new URL("../../bin/lifeline", import.meta.url));
const BUILT = fileURLToPath(new URL("../../dist/src/cli/commands/testbed-agent.js", import.meta.url));

/** Resolves with the first stderr text matching `pattern` (the whole stderr so far on failure). */
function waitForLine(child: ChildProcessWithoutNullStreams, seen: {text: string}, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const m = pattern.exec(seen.text);
      if (m) resolve(m[0]);
      return m !== null;
    };
    if (check()) return;
    const onData = (): void => {
      if (check()) child.stderr.off("data", onData);
    };
    child.stderr.on("data", onData);
    child.once("exit", () => reject(new Error(`exited before ${pattern}:\n${seen.text}`)));
  });
}

describe("lifeline testbed-agent", () => {
  let child: ChildProcessWithoutNullStreams | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
  });

  it("stalls its event loop on `stall MS`, ignores a bad line, and still leaves on SIGTERM", async () => {
    expect(existsSync(BUILT), "dist/ is missing: run `npm run build` first").toBe(true);
    const proc = spawn(
      process.execPath,
      [BIN, "testbed-agent", "--name", "tb-1", "--bind", "127.0.0.1:0", "--http", "127.0.0.1:0", "--seed", "7"],
      {stdio: ["pipe", "pipe", "pipe"], env: {...process.env, DEBUG: ""}},
    );
    child = proc;
    const seen = {text: ""};
    proc.stderr.on("data", (d: Buffer) => {
      seen.text += d.toString();
    });
    const listening = await waitForLine(proc, seen, /http (127\.0\.0\.1:\d+)/);
    const http = listening.slice("http ".length);
    const health = async (): Promise<{eventLoopDelayMs: {maxMs: number}}> =>
      (await (await fetch(`http://${http}/v1/health`)).json()) as {eventLoopDelayMs: {maxMs: number}};
    expect((await health()).eventLoopDelayMs.maxMs).toBeLessThan(1_000);

    proc.stdin.write("stall 1500\n");
    await waitForLine(proc, seen, /fault stall 1500 ms/);
    // The monitor sees the blocked loop once it runs again.
    let maxMs = 0;
    while (maxMs < 1_400) {
      maxMs = (await health()).eventLoopDelayMs.maxMs;
      if (maxMs < 1_400) await new Promise((r) => setImmediate(r));
    }
    expect(maxMs).toBeGreaterThanOrEqual(1_400);

    proc.stdin.write("slow -1\n");
    await waitForLine(proc, seen, /fault command ignored: slow: MS must be a whole number/);
    proc.stdin.write("slow 50\n");
    await waitForLine(proc, seen, /fault slow 50 ms/);

    const exited = new Promise<number | null>((resolve) => proc.once("exit", resolve));
    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(seen.text).toContain("left; stopped");
  });
});
