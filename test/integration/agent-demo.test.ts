/*
 * `lifeline demo` end to end, from the compiled CLI (bin/lifeline → dist/): real agent processes
 * on loopback, one really SIGKILLed and one stopped with SIGTERM. The demo itself checks that
 * every survivor noticed; this test checks the exit code and the reported times against the
 * bound the demo's config implies. Needs `npm run build` (npm install runs it).
 */
import {spawn} from "node:child_process";
import {existsSync} from "node:fs";
import {fileURLToPath} from "node:url";
import {describe, expect, it} from "vitest";
import {detectionBound} from "../../src/core/bounds.ts";
import {localConfig, resolveConfig} from "../../src/core/index.ts";

const BIN = fileURLToPath(new URL("../../bin/lifeline", import.meta.url));
const BUILT = fileURLToPath(new URL("../../dist/src/cli/demo.js", import.meta.url));

function runDemo(args: readonly string[]): Promise<{code: number | null; out: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "demo", ...args], {env: {...process.env, NO_COLOR: "1"}});
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.stderr.on("data", (chunk) => {
      out += chunk;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`demo did not finish within 45 s:\n${out}`));
    }, 45_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({code, out});
    });
  });
}

function seconds(out: string, label: string): number {
  const line = out.split("\n").find((l) => l.includes(label));
  const match = line ? /(\d+\.\d\d) s/.exec(line) : null;
  if (!match) throw new Error(`no "${label}" line in:\n${out}`);
  return Number(match[1]) * 1000;
}

describe("lifeline demo", () => {
  it("SIGKILLs one agent process, stops another gracefully, and reports times within the config's bound", async () => {
    expect(existsSync(BUILT), "dist/ is missing: run `npm run build` first").toBe(true);
    const {code, out} = await runDemo(["--nodes", "3", "--quick"]);
    expect(code, out).toBe(0);
    expect(out).toContain("▸ kill -9 node2");
    expect(out).toMatch(/node1 marks node2 failed/);
    expect(out).toMatch(/node1 sees node3 left/);
    // The demo reports the bound for the observers' highest awareness score (0 on an idle machine).
    const line = out.split("\n").find((l) => l.includes("kill -9 → every agent marked it failed")) ?? "";
    const score = Number(/awareness score reached (\d+)/.exec(line)?.[1] ?? 0);
    const config = resolveConfig({probeIntervalMs: 200, probeTimeoutMs: 100}, localConfig());
    const bound = detectionBound(config, 3, score).totalMs;
    expect(line).toContain(`config bound ${(bound / 1000).toFixed(2)} s`);
    expect(seconds(out, "kill -9 → every agent marked it failed")).toBeLessThanOrEqual(bound);
    expect(seconds(out, "graceful leave → every agent saw 'left'")).toBeLessThanOrEqual(5_000);
  });
});
