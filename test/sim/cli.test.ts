import {mkdtempSync, readFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, it} from "vitest";
import {progressLine} from "../../src/cli/commands/sim.ts";
import {run as runCli} from "../../src/cli/main.ts";

/** `lifeline sim ARGS`, in-process, with stdout and stderr split into non-empty lines. */
async function run(args: string[]): Promise<{out: string[]; err: string[]; code: number}> {
  const out: string[] = [];
  const err: string[] = [];
  const lines = (into: string[]) => (text: string) => into.push(...text.split("\n").filter((l) => l !== ""));
  const code = await runCli(["sim", ...args], {stdout: lines(out), stderr: lines(err)});
  return {out, err, code};
}

describe("lifeline sim", () => {
  it.each([
    [["--nodes", "abc"], "--nodes"],
    [["--nodes", "0"], "--nodes"],
    [["--bogus"], "--bogus"],
    [["--loss", "1.5"], "--loss"],
    [["--duration-ms", "soon"], "--duration-ms"],
    [["--crash", "n1"], "--crash"],
    [["--stall", "n1@5s"], "--stall"],
    [["--partition", "0%-50%@10s"], "--partition"],
    [["--probe-timeout-ms", "5000"], "--probe-timeout-ms"],
    [["--probe-interval-ms", "x"], "--probe-interval-ms"],
    [["--profile", "moon"], "--profile"],
    [["--nodes", "5", "--crash", "n9@1s"], "n9"],
  ])("exits 2 with one line naming the problem for %j", async (args, flag) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toContain(flag);
  });

  it("stalls a node's event loop with --stall and shows it on the timeline", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lifeline-sim-"));
    const r = await run(["--nodes", "6", "--seed", "5", "--duration-ms", "20s", "--stall", "n2@5s+2s", "--quiet"]);
    expect(r.code).toBe(0);
    expect(r.out.join("\n")).toContain("--stall n2@5s+2s");
    const json = await run([
      "--nodes",
      "6",
      "--seed",
      "5",
      "--duration-ms",
      "20s",
      "--stall",
      "n2@5s+2s",
      "--quiet",
      "--json",
      join(dir, "s.json"),
    ]);
    expect(json.code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, "s.json"), "utf8"));
    expect(report.timeline).toContainEqual(expect.objectContaining({kind: "stall", atMs: 5_000, endMs: 7_000}));
  });

  it("runs a labelled cluster with --label and keeps the flag in the reproduce line", async () => {
    const r = await run(["--nodes", "6", "--seed", "5", "--duration-ms", "20s", "--label", "blue", "--quiet"]);
    expect(r.code).toBe(0);
    expect(r.out.join("\n")).toContain("--label blue");
    expect(r.out.join("\n")).not.toContain("label mismatches");
  });

  it("prints the seed first, a summary, and a reproduce line last; writes JSON and HTML", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lifeline-sim-"));
    const r = await run([
      "--nodes",
      "8",
      "--seed",
      "77",
      "--duration-ms",
      "40s",
      "--crash",
      "n3@10s",
      "--probe-interval-ms",
      "800",
      "--json",
      join(dir, "r.json"),
      "--html",
      join(dir, "r.html"),
    ]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^SEED=77 /);
    expect(r.out.at(-1)).toBe(
      "reproduce with: lifeline sim --nodes 8 --duration-ms 40s --crash n3@10s --probe-interval-ms 800 --seed 77",
    );
    expect(r.out.some((l) => l.startsWith("full detection"))).toBe(true);
    const report = JSON.parse(readFileSync(join(dir, "r.json"), "utf8"));
    expect(report.seed).toBe(77);
    expect(report.config.probeIntervalMs).toBe(800);
    expect(report.detection.crashes).toBe(1);
    const html = readFileSync(join(dir, "r.html"), "utf8");
    expect(html).toContain("<svg");
    expect(html).toContain("crash");
    expect(html).not.toContain("<script");
  });

  it("gives the same trace hash for the same command twice", async () => {
    const args = ["--nodes", "6", "--duration-ms", "15s", "--loss", "0.1", "--seed", "5"];
    const hash = (lines: string[]) => lines.find((l) => l.startsWith("trace hash"));
    const a = await run(args);
    const b = await run(args);
    expect(hash(a.out)).toBeDefined();
    expect(hash(a.out)).toBe(hash(b.out));
  });

  it("prints, writes and renders the user-event and query figures of a scenario with serf traffic", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lifeline-sim-serf-"));
    const file = join(import.meta.dirname, "../../sim/scenarios/user-events-loss.json");
    const r = await run([
      "--scenario",
      file,
      "--nodes",
      "12",
      "--json",
      join(dir, "r.json"),
      "--html",
      join(dir, "r.html"),
    ]);
    expect(r.code).toBe(0);
    const text = r.out.join("\n");
    expect(text).toMatch(/user events\s+\d+ sent; completeness \d+\.\d+% \(\d+\/\d+\)/);
    expect(text).toMatch(/event latency\s+p50 \d+ ms/);
    expect(text).toMatch(/queries\s+\d+ sent; acks/);
    const report = JSON.parse(readFileSync(join(dir, "r.json"), "utf8"));
    expect(report.serf.events.count).toBeGreaterThan(10);
    expect(report.serf.events.perEvent[0]).toHaveProperty("latencyMs");
    const html = readFileSync(join(dir, "r.html"), "utf8");
    expect(html).toContain("<h2>User events</h2>");
    expect(html).toContain("<h2>Queries</h2>");
    expect(html).toContain("user event delivery latency by send time");
  });

  it("runs a scenario file with overrides and exits 1 when an expectation fails", async () => {
    const file = join(import.meta.dirname, "../../sim/scenarios/crash-one.json");
    const ok = await run(["--scenario", file, "--nodes", "10", "--quiet"]);
    expect(ok.code).toBe(0);
    expect(ok.out[0]).toBe("SEED=1 scenario=crash-one nodes=10 durationMs=150000");
    const failing = await run(["--scenario", file, "--nodes", "10", "--duration-ms", "61s", "--quiet"]);
    expect(failing.code).toBe(1);
    expect(failing.out.some((l) => l.startsWith("FAILED:"))).toBe(true);
    expect(failing.out.at(-1)).toMatch(
      /^reproduce with: lifeline sim --scenario .*crash-one.json --nodes 10 --duration-ms 61s --seed 1$/,
    );
  });

  it("reads --flag=value and -flag as every lifeline command does", async () => {
    const r = await run(["--nodes=4", "-duration-ms", "5s", "--seed=3", "--quiet"]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe("SEED=3 scenario=cli nodes=4 durationMs=5000");
    expect(r.out.at(-1)).toBe("reproduce with: lifeline sim --nodes 4 --duration-ms 5s --seed 3");
  });

  it("prints --help from its flag table, every core config field included", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    const text = r.out.join("\n");
    for (const flag of [
      "--scenario FILE",
      "--nodes N",
      "--crash SEL@TIME[+T]",
      "--no-safety",
      "--probe-interval-ms N",
    ]) {
      expect(text).toContain(flag);
    }
    expect(text).toContain("Selectors (SEL, A, B)");
  });

  it("names a bad scenario file", async () => {
    const r = await run(["--scenario", "/nonexistent/x.json"]);
    expect(r.code).toBe(2);
    expect(r.err[0]).toContain("/nonexistent/x.json");
  });

  it("writes a log's progress line with virtual time, wall time and memory", () => {
    expect(progressLine(12_345, 420_000, 45_400, "rss 3.2 GB, heap 2.9 GB")).toBe(
      "progress: 12.3/420 s virtual, 45 s wall, rss 3.2 GB, heap 2.9 GB\n",
    );
  });
});
