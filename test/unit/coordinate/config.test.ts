/* The coordinate config: serf's defaults in ms, and refusal of bad values. */
import {describe, expect, it} from "vitest";
import {COORDINATE_DEFAULTS, MAX_RTT_MS, resolveCoordinateConfig} from "../../../src/coordinate/index.ts";
import {InvalidConfigError} from "../../../src/core/index.ts";

describe("coordinate config", () => {
  it("has serf's DefaultConfig values (times converted from seconds to ms)", () => {
    expect(COORDINATE_DEFAULTS).toEqual({
      dimensionality: 8,
      vivaldiErrorMax: 1.5,
      vivaldiCE: 0.25,
      vivaldiCC: 0.25,
      adjustmentWindowSize: 20,
      heightMinMs: 0.01,
      latencyFilterSize: 3,
      gravityRhoMs: 150_000,
    });
    expect(MAX_RTT_MS).toBe(10_000);
    expect(resolveCoordinateConfig()).toEqual(COORDINATE_DEFAULTS);
    expect(Object.isFrozen(resolveCoordinateConfig({dimensionality: 2}))).toBe(true);
  });

  it("accepts a disabled adjustment window and 1-dimensional coordinates", () => {
    expect(resolveCoordinateConfig({adjustmentWindowSize: 0, dimensionality: 1}).adjustmentWindowSize).toBe(0);
  });

  const bad: [string, Record<string, number>][] = [
    ["dimensionality", {dimensionality: 0}],
    ["dimensionality", {dimensionality: 2.5}],
    ["adjustmentWindowSize", {adjustmentWindowSize: -1}],
    ["latencyFilterSize", {latencyFilterSize: 0}],
    ["vivaldiErrorMax", {vivaldiErrorMax: 0}],
    ["vivaldiCE", {vivaldiCE: 1.5}],
    ["vivaldiCC", {vivaldiCC: Number.NaN}],
    ["heightMinMs", {heightMinMs: -1}],
    ["gravityRhoMs", {gravityRhoMs: Number.POSITIVE_INFINITY}],
  ];
  for (const [field, init] of bad) {
    it(`refuses ${JSON.stringify(init)}`, () => {
      let thrown: unknown;
      try {
        resolveCoordinateConfig(init);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(InvalidConfigError);
      expect((thrown as InvalidConfigError).field).toBe(field);
    });
  }
});
