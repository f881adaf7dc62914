/*
 * Polling for conditions on real processes (interop tests only: the agents run on the wall
 * clock, so the only way to observe them is to ask repeatedly until a deadline). On timeout the
 * error names what was awaited and the last observation, which is what makes a failing interop
 * test diagnosable.
 */

/** Options of `waitUntil`. */
export interface WaitOptions {
  /** What is awaited, in words, for the timeout message. */
  readonly what: string;
  readonly timeoutMs: number;
  /** Pause between checks. Default 100 ms. */
  readonly intervalMs?: number;
  /** Extra context for the timeout message (e.g. process logs), computed only on failure. */
  readonly diagnose?: () => string | Promise<string>;
}

/**
 * Calls `check` until it returns something other than `undefined` or `false`, and returns that.
 * A `check` that throws counts as "not yet" (the last error is reported on timeout).
 */
export async function waitUntil<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions,
): Promise<T> {
  const started = performance.now();
  let last: unknown = "never checked";
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (error) {
      last = error instanceof Error ? error.message : error;
    }
    if (performance.now() - started >= options.timeoutMs) break;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
  const extra = options.diagnose ? `\n${await options.diagnose()}` : "";
  throw new Error(
    `timed out after ${options.timeoutMs} ms waiting until ${options.what} (last check: ${String(last)})${extra}`,
  );
}
