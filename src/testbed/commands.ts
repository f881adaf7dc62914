/*
 * Running the system tools the testbed needs (`ip`, `iptables-restore`), asynchronously while a
 * run goes on and synchronously for cleanup (which must also work inside an `exit` handler).
 * Failures become TestbedError with the command line and its stderr.
 */
import {execFile, execFileSync} from "node:child_process";

/** A system command failed, or the machine cannot host a testbed (not root, a tool missing). */
export class TestbedError extends Error {
  static override name = "TestbedError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TestbedError";
  }
}

/** Runs `cmd args` (stdin `input`), resolves with stdout; rejects with a TestbedError. */
export function run(cmd: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, {encoding: "utf8", timeout: 30_000}, (error, stdout, stderr) => {
      if (error) reject(new TestbedError(`${[cmd, ...args].join(" ")}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Runs `cmd args` synchronously; returns stdout, or undefined when it failed (cleanup tolerates that). */
export function runSync(cmd: string, args: readonly string[]): string | undefined {
  try {
    return execFileSync(cmd, args, {encoding: "utf8", timeout: 30_000, stdio: ["ignore", "pipe", "pipe"]});
  } catch {
    return undefined;
  }
}
