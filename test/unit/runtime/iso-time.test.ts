/* isoTime is new Date(ms).toISOString(), character for character, without the ICU time-zone load. */
import {describe, expect, it} from "vitest";
import {isoTime} from "../../../src/runtime/index.ts";

describe("isoTime", () => {
  it("matches toISOString across years, months, padding and milliseconds", () => {
    const samples = [
      0,
      1,
      999,
      Date.UTC(2026, 11, 3, 13, 25, 4, 7),
      Date.UTC(2000, 1, 29, 23, 59, 59, 999),
      Date.UTC(1969, 11, 31, 23, 59, 59, 1),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.UTC(100, 0, 1),
      -62198755200000, // year 0
    ];
    for (let i = 0; i < 2000; i++) samples.push(Math.floor(Math.random() * 4e12) - 1e12);
    for (const ms of samples) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it("defaults to now", () => {
    const before = Date.now();
    const text = isoTime();
    expect(Date.parse(text)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(text)).toBeLessThanOrEqual(Date.now());
  });

  it("hands years outside 0–9999 to toISOString (the extended ±YYYYYY form)", () => {
    const far = Date.UTC(10000, 0, 1);
    expect(isoTime(far)).toBe(new Date(far).toISOString());
    expect(isoTime(Date.UTC(-1, 0, 1))).toBe(new Date(Date.UTC(-1, 0, 1)).toISOString());
  });
});
