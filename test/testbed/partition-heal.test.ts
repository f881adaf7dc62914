/*
 * The testbed end to end, from the compiled CLI (bin/lifeline → dist/): 8 real agents in their
 * own network namespaces, split into two halves for 20 s by iptables rules, then healed. It
 * asserts what the simulator's partition-heal test asserts (test/sim/scenarios.test.ts): the
 * partition at its times, each side declaring the other dead while apart, agreement after the
 * heal, no safety violation, every expectation of the scenario met — and then that the run left
 * nothing behind: no namespace, no interface, no iptables rule (they live in the namespaces), no
 * process. About 55 s.
 */
import {execFileSync, spawn} from "node:child_process";
import {existsSync, mkdtempSync, readFileSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {fileURLToPath} from "node:url";
import {afterAll, expect, it} from "vitest";
import type {SimReport} from "../../sim/index.ts";
import {describeWithTestbed} from "../helpers/testbed-gate.ts";

const BIN = fileURLToPath(new URL("../../bin/lifeline", import.meta.url));
const BUILT = fileURLToPath(new URL("../../dist/src/testbed/index.js", import.meta.url));
const SCENARIO = fileURLToPath(new URL("../fixtures/testbed/partition-heal-short.json", import.meta.url));

function lifeline(args: readonly string[]): Promise<{code: number; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {stdio: ["ignore", "pipe", "pipe"]});
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("exit", (code) => resolve({code: code ?? 1, stdout, stderr}));
  });
}

const sh = (cmd: string, args: readonly string[]): string => execFileSync(cmd, args, {encoding: "utf8"});

describeWithTestbed("testbed: partition-heal on 8 real agents", () => {
  const dir = mkdtempSync(join(tmpdir(), "lifeline-testbed-test-"));
  afterAll(() => rmSync(dir, {recursive: true, force: true}));

  it("agrees after the heal, breaks no safety rule, and leaves nothing behind", {timeout: 90_000}, async () => {
    expect(existsSync(BUILT), "dist/ is missing: run `npm run build` first").toBe(true);
    const json = join(dir, "report.json");
    const {code, stdout, stderr} = await lifeline(["testbed", "--scenario", SCENARIO, "--json", json]);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    const runId = /testbed: run (\S+): creating/.exec(stderr)?.[1];
    expect(runId, stderr).toBeDefined();

    const r = JSON.parse(readFileSync(json, "utf8")) as SimReport;
    expect(r.run).toBe("testbed");
    expect(r.traceHash).toBeNull();
    expect(r.nodes).toBe(8);
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.checks.map((c) => c.name).sort()).toEqual(["agreeAtEnd", "healAgreementWithinMs", "safety"]);
    const partition = r.timeline.find((t) => t.kind === "partition");
    expect(partition?.atMs).toBe(12_000);
    expect(partition?.endMs).toBe(32_000);
    // Each side declares the other dead while apart: false positives by definition.
    expect(r.falsePositives.count).toBeGreaterThan(0);
    expect(r.convergence.bootstrapMs).not.toBeNull();
    expect(r.convergence.afterHeal[0]?.agreedMs).not.toBeNull();
    expect(r.stability.distinctClusterSizes).toBeGreaterThan(1);
    expect(r.safety.enabled).toBe(true);
    expect(r.safety.violations).toBe(0);
    expect(r.safety.checked).toBeGreaterThan(50);
    expect(r.anomalies.decodeErrors).toBe(0);
    expect(r.load.datagrams).toBeGreaterThan(0);
    // The cut rules dropped gossip, counted from their iptables counters.
    expect(r.network.blocked).toBeGreaterThan(0);

    // Nothing of the run is left: namespaces (and with them every veth, bridge and rule), processes.
    const prefix = `lltb-${runId}-`;
    expect(sh("ip", ["netns", "list"])).not.toContain(prefix);
    expect(sh("ip", ["-o", "link"])).not.toMatch(/\bvn\d+@|lltb-/);
    expect(existsSync(join(tmpdir(), `lltb-${runId}`))).toBe(false);
    let pids = "";
    try {
      pids = sh("pgrep", ["-f", `lltb-${runId}`]);
    } catch {
      // pgrep exits 1 when nothing matches
    }
    expect(pids.trim()).toBe("");
  });

  it("refuses bad flags, naming them, before creating anything", async () => {
    const {code, stderr} = await lifeline(["testbed", "--scenario", SCENARIO, "--nodes", "0"]);
    expect(code).toBe(2);
    expect(stderr).toContain("--nodes");
    const missing = await lifeline(["testbed"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--scenario");
  });
});
