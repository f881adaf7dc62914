/*
 * Which commands get the agent's V8 flags, and when they are left alone. setFlagsFromString is
 * mocked: the test process keeps its own V8.
 */
import {beforeEach, describe, expect, it, vi} from "vitest";

const setFlags = vi.fn();
vi.mock("node:v8", () => ({setFlagsFromString: (flag: string) => setFlags(flag)}));

const {AGENT_V8_FLAGS, tuneV8For} = await import("../../../src/cli/v8-tuning.ts");
const ALL = AGENT_V8_FLAGS.map((f) => f.flag);

describe("tuneV8For", () => {
  beforeEach(() => setFlags.mockClear());

  it("sets every flag for agent and testbed-agent, and none for other commands", () => {
    expect(tuneV8For("agent", {}, [])).toEqual(ALL);
    expect(tuneV8For("testbed-agent", {}, [])).toEqual(ALL);
    expect(setFlags.mock.calls.map((c) => c[0])).toEqual([...ALL, ...ALL]);
    setFlags.mockClear();
    for (const command of ["members", "sim", "demo", undefined]) expect(tuneV8For(command, {}, [])).toEqual([]);
    expect(setFlags).not.toHaveBeenCalled();
  });

  it("LIFELINE_V8_TUNING=off sets nothing", () => {
    expect(tuneV8For("agent", {LIFELINE_V8_TUNING: "off"}, [])).toEqual([]);
    expect(setFlags).not.toHaveBeenCalled();
  });

  it("sets no-opt, a fixed young generation, size-first heap heuristics and no baseline compiler", () => {
    expect(ALL).toEqual(["--no-opt", "--semi-space-growth-factor=1", "--optimize-for-size", "--no-sparkplug"]);
  });

  it("leaves a setting node was given on its command line or in NODE_OPTIONS", () => {
    expect(tuneV8For("agent", {}, ["--opt"])).toEqual(ALL.filter((f) => f !== "--no-opt"));
    expect(
      tuneV8For("agent", {NODE_OPTIONS: "--max-old-space-size=64 --semi_space_growth_factor=4 --sparkplug"}, []),
    ).toEqual(["--no-opt", "--optimize-for-size"]);
    expect(
      tuneV8For("agent", {}, ["--no-opt", "--semi-space-growth-factor=2", "--no-optimize-for-size", "--sparkplug"]),
    ).toEqual([]);
  });
});
