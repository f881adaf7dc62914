/*
 * Whether this machine can host the network-namespace testbed (root, `ip`, `iptables-restore`),
 * and what to do when it cannot. CI (`.ci/run`, root) sets LIFELINE_REQUIRE_TESTBED=1: there a
 * machine that cannot host it is a failure, reported by a test that names the reason. Elsewhere
 * (a developer without root) the testbed tests are skipped with a console warning.
 */
import {execFileSync} from "node:child_process";
import {describe, it} from "vitest";

/** What `testbedGate` found out. */
export interface TestbedGate {
  readonly available: boolean;
  /** LIFELINE_REQUIRE_TESTBED=1: a machine without what the testbed needs fails the suite. */
  readonly required: boolean;
  /** Why it is not available. */
  readonly detail: string;
}

function probe(): string | undefined {
  if (process.getuid?.() !== 0) return "not root (the testbed creates network namespaces and iptables rules)";
  for (const [tool, args] of [
    ["ip", ["-V"]],
    ["iptables-restore", ["-V"]],
  ] as const) {
    try {
      execFileSync(tool, args, {stdio: "ignore", timeout: 10_000});
    } catch {
      return `${tool} is missing (apt-get install -y iproute2 iptables)`;
    }
  }
  return undefined;
}

/** Probes the machine (each call; it is cheap). */
export function testbedGate(): TestbedGate {
  const why = probe();
  return {available: why === undefined, required: process.env.LIFELINE_REQUIRE_TESTBED === "1", detail: why ?? ""};
}

/**
 * `describe` for a block that needs the testbed. Available: runs the block. Not available and
 * LIFELINE_REQUIRE_TESTBED=1: one failing test naming the reason. Otherwise: a warning and a skip.
 */
export function describeWithTestbed(name: string, body: () => void): void {
  const gate = testbedGate();
  if (!gate.available && gate.required) {
    describe(name, () => {
      it("can host the testbed, which LIFELINE_REQUIRE_TESTBED=1 requires", () => {
        throw new Error(`LIFELINE_REQUIRE_TESTBED=1 but the testbed cannot run here: ${gate.detail}`);
      });
    });
    return;
  }
  if (!gate.available) {
    console.warn(
      `[testbed] SKIPPING "${name}": ${gate.detail}. Run as root; CI sets LIFELINE_REQUIRE_TESTBED=1 and fails instead.`,
    );
  }
  describe.skipIf(!gate.available)(name, body);
}
