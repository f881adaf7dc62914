/* Serf's Lamport clock and de-duplication ring, by table. */
import {describe, expect, it} from "vitest";
import {LamportClock, RecentBuffer} from "../../../src/serf/index.ts";

describe("LamportClock", () => {
  it("moves past a witnessed value that is not older than ours, and ignores older ones", () => {
    const clock = new LamportClock();
    expect(clock.increment()).toBe(1);
    clock.witness(0);
    expect(clock.time).toBe(1);
    clock.witness(1);
    expect(clock.time).toBe(2);
    clock.witness(10);
    expect(clock.time).toBe(11);
  });
});

describe("RecentBuffer", () => {
  it("accepts new items, refuses duplicates at the same time and anything older than the window", () => {
    const buffer = new RecentBuffer<string>(4, (a, b) => a === b);
    expect(buffer.accept(1, "a", 2)).toBe("new");
    expect(buffer.accept(1, "a", 2)).toBe("duplicate");
    expect(buffer.accept(1, "b", 2)).toBe("new");
    // Slot 1 is reused by time 5: the old entries are gone.
    expect(buffer.accept(5, "a", 6)).toBe("new");
    expect(buffer.accept(1, "a", 5)).toBe("new");
    expect(buffer.accept(1, "c", 9)).toBe("old");
    expect(buffer.snapshot()).toHaveLength(4);
  });
});
