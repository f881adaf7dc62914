import {describe, expect, it} from "vitest";
import {createSimulation} from "../../sim/index.ts";

/** Times at which node `name` handled an input, from the trace. */
function inputTimes(lines: string[], name: string, kind = ""): number[] {
  const re = new RegExp(`^(\\d+) ${name} <- ${kind}`);
  const out: number[] = [];
  for (const l of lines) {
    const m = re.exec(l);
    if (m) out.push(Number(m[1]));
  }
  return out;
}

describe("node faults", () => {
  it("a paused node handles nothing during the pause and everything that piled up at resume", () => {
    const lines: string[] = [];
    const sim = createSimulation({nodes: 8, seed: 11, trace: (l) => lines.push(l)});
    sim.runForMs(10_000);
    sim.pause("n2", 5_000);
    expect(sim.isPaused("n2")).toBe(true);
    sim.runForMs(8_000);
    expect(sim.isPaused("n2")).toBe(false);
    const during = inputTimes(lines, "n2").filter((t) => t > 10_000 && t < 15_000);
    expect(during).toEqual([]);
    const probeAtResume = inputTimes(lines, "n2", "timer probe$").filter((t) => t === 15_000);
    const packetsAtResume = inputTimes(lines, "n2", "packet").filter((t) => t === 15_000);
    // The probe timer that fell due during the pause fires late, at the resume instant; so do the packets.
    expect(probeAtResume.length).toBe(1);
    expect(packetsAtResume.length).toBeGreaterThan(3);
    expect(sim.timeline.find((t) => t.kind === "pause")?.endMs).toBe(15_000);
  });

  it("a crashed node handles nothing, is declared dead, and a restart refutes its way back with a higher incarnation", () => {
    const lines: string[] = [];
    const sim = createSimulation({nodes: 10, seed: 12, trace: (l) => lines.push(l)});
    sim.runForMs(10_000);
    sim.crash("n4");
    expect(sim.isUp("n4")).toBe(false);
    expect(sim.node("n4")).toBeUndefined();
    sim.runForMs(25_000);
    expect(inputTimes(lines, "n4").filter((t) => t > 10_000)).toEqual([]);
    const deadTo = sim.names.filter((n) => n !== "n4").filter((n) => sim.node(n)?.member("n4")?.state === "dead");
    expect(deadTo.length).toBe(9);
    const oldIncarnation = sim.node("n0")?.member("n4")?.incarnation ?? 0;
    expect(sim.metrics.crashes[0]?.allMs).not.toBeNull();
    sim.restart("n4");
    expect(sim.node("n4")?.incarnation).toBe(1);
    expect(sim.runUntil(() => sim.allAgree(), {maxMs: 30_000})).toBe(true);
    expect(sim.node("n4")?.incarnation).toBeGreaterThan(oldIncarnation);
    expect(sim.node("n0")?.member("n4")?.state).toBe("alive");
    expect(sim.safety?.ok).toBe(true);
  });

  it("a slow node handles every input late, gets suspected, and refutes", () => {
    const run = (slowMs: number) => {
      const lines: string[] = [];
      const sim = createSimulation({nodes: 8, seed: 13, trace: (l) => lines.push(l)});
      sim.runForMs(10_000);
      sim.slow("n1", slowMs);
      sim.runForMs(30_000);
      return {sim, lines};
    };
    const slow = run(1_500);
    const normal = run(0);
    const suspicions = (lines: string[]) => lines.filter((l) => / ! memberSuspect n1 /.test(l)).length;
    expect(suspicions(normal.lines)).toBe(0);
    expect(suspicions(slow.lines)).toBeGreaterThan(0);
    expect(slow.sim.node("n1")?.incarnation).toBeGreaterThan(1);
    // Nothing reaches n1 in the first 1.5 s after it became slow.
    expect(inputTimes(slow.lines, "n1").filter((t) => t > 10_000 && t < 11_500)).toEqual([]);
  });

  it("a graceful leave stops the node and the others record it as left", () => {
    const sim = createSimulation({nodes: 6, seed: 14});
    sim.runForMs(10_000);
    sim.leave("n5");
    sim.runForMs(10_000);
    expect(sim.isUp("n5")).toBe(false);
    expect(sim.node("n0")?.member("n5")?.state).toBe("left");
    expect(sim.allAgree()).toBe(true);
    expect(sim.metrics.falsePositives).toBe(0);
  });

  it("rejects unknown node names with an error naming the field", () => {
    const sim = createSimulation({nodes: 3});
    expect(() => sim.crash("n9")).toThrow(expect.objectContaining({name: "InvalidConfigError", field: "node"}));
  });
});
