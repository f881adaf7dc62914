import {describe, expect, it} from "vitest";
import {type CoalescibleEvent, UserEventCoalescer} from "../../../src/hooks/user-coalescer.ts";

interface E extends CoalescibleEvent {
  readonly payload: string;
}
const ev = (name: string, lTime: number, payload: string, coalesce = true): E => ({name, lTime, payload, coalesce});
const payloads = (events: readonly E[]) => events.map((e) => `${e.name}@${e.lTime}=${e.payload}`);

describe("UserEventCoalescer", () => {
  const config = {coalescePeriodMs: 3_000, quiescentPeriodMs: 1_000};

  it("passes events without the coalesce flag through at once", () => {
    const c = new UserEventCoalescer<E>(config);
    expect(payloads(c.offer(0, ev("deploy", 1, "v1", false)))).toEqual(["deploy@1=v1"]);
    expect(c.size).toBe(0);
    expect(c.dueMs).toBeUndefined();
  });

  it("keeps only the latest LTime per name and lets it through a quiet period after the last", () => {
    const c = new UserEventCoalescer<E>(config);
    expect(c.offer(0, ev("deploy", 1, "v1"))).toEqual([]);
    expect(c.offer(200, ev("deploy", 3, "v3"))).toEqual([]);
    expect(c.offer(400, ev("deploy", 2, "v2"))).toEqual([]); // older than held: superseded
    expect(c.dueMs).toBe(1_400);
    expect(c.flushDue(1_399)).toEqual([]);
    expect(payloads(c.flushDue(1_400))).toEqual(["deploy@3=v3"]);
    expect(c.superseded).toBe(2);
    expect(c.size).toBe(0);
    expect(c.dueMs).toBeUndefined();
  });

  it("keeps every event of the latest LTime (same LTime, different payloads), as serf does", () => {
    const c = new UserEventCoalescer<E>(config);
    c.offer(0, ev("deploy", 5, "a"));
    c.offer(10, ev("deploy", 5, "b"));
    expect(payloads(c.flush())).toEqual(["deploy@5=a", "deploy@5=b"]);
  });

  it("coalesces each name on its own and flushes names in the order first held", () => {
    const c = new UserEventCoalescer<E>(config);
    c.offer(0, ev("restart", 1, "r1"));
    c.offer(10, ev("deploy", 2, "d2"));
    c.offer(20, ev("restart", 4, "r4"));
    c.offer(30, ev("deploy", 3, "d3"));
    expect(payloads(c.flushDue(2_000))).toEqual(["restart@4=r4", "deploy@3=d3"]);
  });

  it("flushes at the end of the coalesce period even when events keep coming", () => {
    const c = new UserEventCoalescer<E>(config);
    for (let t = 0; t <= 2_800; t += 400) c.offer(t, ev("tick", t + 1, `t${t}`));
    expect(c.dueMs).toBe(3_000); // quiet end 3200 is later than window end 3000
    expect(payloads(c.flushDue(3_000))).toEqual(["tick@2801=t2800"]);
    // A new window starts with the next event.
    c.offer(3_100, ev("tick", 3_101, "late"));
    expect(c.dueMs).toBe(4_100);
  });

  it("passes everything through when a period is 0 (coalescing off)", () => {
    for (const off of [
      {coalescePeriodMs: 0, quiescentPeriodMs: 1_000},
      {coalescePeriodMs: 3_000, quiescentPeriodMs: 0},
    ]) {
      const c = new UserEventCoalescer<E>(off);
      expect(c.enabled).toBe(false);
      expect(payloads(c.offer(0, ev("deploy", 1, "v1")))).toEqual(["deploy@1=v1"]);
      expect(payloads(c.offer(1, ev("deploy", 2, "v2")))).toEqual(["deploy@2=v2"]);
    }
  });
});
