/*
 * Whether the real `serf` binary can be used, and what to do when it cannot. CI (`.ci/run`)
 * installs serf and sets LIFELINE_REQUIRE_SERF=1: there a missing binary is a failure, reported
 * by a test that fails with the reason. On a developer machine without serf the interop tests are
 * skipped, with a console warning so the skip is visible.
 */
import {execFileSync} from "node:child_process";
import {describe, it} from "vitest";

/** The serf executable: LIFELINE_SERF_BIN if set (to test another build), else `serf` on PATH. */
export function serfBinary(): string {
  return process.env.LIFELINE_SERF_BIN || "serf";
}

/** What `serfGate` found out. */
export interface SerfGate {
  /** `serf version` ran and exited 0. */
  readonly available: boolean;
  /** LIFELINE_REQUIRE_SERF=1: a missing binary must fail the suite. */
  readonly required: boolean;
  /** First line of `serf version`, or why it could not be run. */
  readonly detail: string;
}

let cached: SerfGate | undefined;

/** Probes `serf version` once per process. */
export function serfGate(): SerfGate {
  if (cached) return cached;
  const required = process.env.LIFELINE_REQUIRE_SERF === "1";
  try {
    const out = execFileSync(serfBinary(), ["version"], {
      encoding: "utf8",
      timeout: 10_000,
      stdio: ["ignore", "pipe", "pipe"],
    });
    cached = {available: true, required, detail: out.split("\n")[0] ?? ""};
  } catch (error) {
    cached = {available: false, required, detail: error instanceof Error ? error.message : String(error)};
  }
  return cached;
}

/**
 * `describe` for a block that needs the serf binary. With serf: runs the block. Without serf and
 * LIFELINE_REQUIRE_SERF=1: registers one failing test naming the problem. Without serf otherwise:
 * warns on the console and skips the block.
 */
export function describeWithSerf(name: string, body: () => void): void {
  const gate = serfGate();
  if (!gate.available && gate.required) {
    describe(name, () => {
      it("finds the serf binary, which LIFELINE_REQUIRE_SERF=1 requires", () => {
        throw new Error(
          `LIFELINE_REQUIRE_SERF=1 but \`serf version\` failed (${gate.detail}); install it with \`apt-get install -y serf\``,
        );
      });
    });
    return;
  }
  if (!gate.available) {
    console.warn(
      `[interop] SKIPPING "${name}": the serf binary is not installed (${gate.detail}). ` +
        "Install it with `apt-get install -y serf`; CI sets LIFELINE_REQUIRE_SERF=1 and fails instead.",
    );
  }
  describe.skipIf(!gate.available)(name, body);
}
