import {join} from "node:path";
import {describe, expect, it} from "vitest";
import {resumeOrder} from "../../sim/event-loop.ts";
import {createSimulation, loadScenarioFile, runScenario} from "../../sim/index.ts";

const SCENARIO = join(import.meta.dirname, "../../sim/scenarios/stall.json");

describe("event-loop resume order", () => {
  it("puts the expired timers first after a stall and the socket reads first after a pause", () => {
    const held = ["p1", "t1", "p2", "t2"];
    const isTimer = (e: string) => e.startsWith("t");
    expect(resumeOrder(held, isTimer, "timers")).toEqual(["t1", "t2", "p1", "p2"]);
    expect(resumeOrder(held, isTimer, "poll")).toEqual(["p1", "p2", "t1", "t2"]);
  });
});

describe("stall fault", () => {
  it("holds everything during the stall, then runs the expired timers before the waiting packets", () => {
    const lines: string[] = [];
    const sim = createSimulation({nodes: 8, seed: 21, trace: (l) => lines.push(l)});
    sim.runForMs(10_000);
    // Long enough that some member's probe (a packet) reaches n3 during the stall: 7 probers,
    // one probe each per second, spread over 7 targets.
    sim.stall("n3", 4_000);
    expect(sim.isStalled("n3")).toBe(true);
    sim.runForMs(5_000);
    expect(sim.isStalled("n3")).toBe(false);
    const inputs = lines
      .map((l) => /^(\d+) n3 <- (\w+)/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({t: Number(m[1]), kind: m[2] as string}));
    expect(inputs.filter((x) => x.t > 10_000 && x.t < 14_000)).toEqual([]);
    const atResume = inputs.filter((x) => x.t === 14_000).map((x) => x.kind);
    expect(atResume[0]).toBe("timer");
    expect(atResume).toContain("packet");
    expect(atResume.lastIndexOf("timer")).toBeLessThan(atResume.indexOf("packet"));
    expect(sim.timeline.find((e) => e.kind === "stall")?.endMs).toBe(14_000);
  });

  it("in the shipped scenario, suspects stalled nodes now and then, never a healthy one, and declares nobody failed", () => {
    const lines: string[] = [];
    const scenario = loadScenarioFile(SCENARIO);
    const {report} = runScenario(scenario, {}, {trace: (l) => lines.push(l)});
    expect(report.checks.filter((k) => !k.ok)).toEqual([]);
    const stalls = report.timeline.filter((e) => e.kind === "stall");
    const stallers = new Set(stalls.map((e) => e.label.split(" ")[0]));
    expect(stallers.size).toBe(3);
    expect(stalls.length).toBe(24);
    const suspected = lines
      .map((l) => / ! memberSuspect (n\d+) /.exec(l)?.[1])
      .filter((name): name is string => name !== undefined);
    expect(suspected.filter((name) => stallers.has(name)).length).toBeGreaterThan(0);
    expect(suspected.filter((name) => !stallers.has(name))).toEqual([]);
    expect(lines.filter((l) => / ! memberDown /.test(l))).toEqual([]);
    expect(report.falsePositives.count).toBe(0);
  });
});
