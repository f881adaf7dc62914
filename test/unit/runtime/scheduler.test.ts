/*
 * The deadline heap the driver and the simulator share: earliest first, equal deadlines in the
 * order they were pushed (what makes a simulated run deterministic), popDue up to a time, clear.
 */
import {describe, expect, it} from "vitest";
import {Scheduler} from "../../../src/runtime/index.ts";

describe("Scheduler", () => {
  it("is empty at first", () => {
    const s = new Scheduler<string>();
    expect(s.size).toBe(0);
    expect(s.peek()).toBeUndefined();
    expect(s.pop()).toBeUndefined();
  });

  it("pops the earliest deadline first, whatever the push order", () => {
    const s = new Scheduler<string>();
    for (const [t, v] of [
      [30, "c"],
      [10, "a"],
      [20, "b"],
      [5, "first"],
    ] as const)
      s.push(t, v);
    expect(s.peek()?.value).toBe("first");
    expect([s.pop(), s.pop(), s.pop(), s.pop(), s.pop()].map((x) => x?.value)).toEqual([
      "first",
      "a",
      "b",
      "c",
      undefined,
    ]);
  });

  it("breaks ties by push order, also after interleaved pops", () => {
    const s = new Scheduler<number>();
    for (let i = 0; i < 5; i++) s.push(100, i);
    expect(s.pop()?.value).toBe(0);
    s.push(100, 5);
    s.push(50, -1);
    expect(Array.from({length: 6}, () => s.pop()?.value)).toEqual([-1, 1, 2, 3, 4, 5]);
  });

  it("popDue takes everything due at or before the time, in order, and leaves the rest", () => {
    const s = new Scheduler<string>();
    s.push(10, "a");
    s.push(20, "b");
    s.push(20, "c");
    s.push(21, "d");
    expect(s.popDue(20).map((x) => x.value)).toEqual(["a", "b", "c"]);
    expect(s.size).toBe(1);
    expect(s.popDue(20)).toEqual([]);
    expect(s.peek()?.timeMs).toBe(21);
  });

  it("orders many random deadlines as a stable sort would", () => {
    const s = new Scheduler<number>();
    let x = 12_345;
    const items: {t: number; i: number}[] = [];
    for (let i = 0; i < 2_000; i++) {
      x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
      const t = x % 97;
      items.push({t, i});
      s.push(t, i);
    }
    const expected = [...items].sort((a, b) => a.t - b.t || a.i - b.i).map((e) => e.i);
    const got: number[] = [];
    for (let top = s.pop(); top !== undefined; top = s.pop()) got.push(top.value);
    expect(got).toEqual(expected);
  });

  it("clear drops everything", () => {
    const s = new Scheduler<string>();
    s.push(1, "a");
    s.push(2, "b");
    s.clear();
    expect(s.size).toBe(0);
    expect(s.pop()).toBeUndefined();
  });
});
