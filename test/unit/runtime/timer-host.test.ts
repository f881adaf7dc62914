import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {type Effect, lanConfig} from "../../../src/core/index.ts";
import {createNodeTimerHost, Driver, type TimerHost} from "../../../src/runtime/index.ts";
import {FakeTransport, ScriptedCore} from "../../helpers/agent-fakes.ts";

const SELF = {name: "self", addr: {host: "127.0.0.1", port: 7000}};

/** A timer host driven by hand: records every arm and fires the armed wake-up on request. */
function manualTimers(): TimerHost & {arms: number[]; disarms: number; wake(): void} {
  let fire: (() => void) | undefined;
  return {
    slackMs: 0,
    arms: [],
    disarms: 0,
    arm(atMs, f) {
      this.arms.push(atMs);
      fire = f;
    },
    disarm() {
      this.disarms++;
      fire = undefined;
    },
    wake() {
      const f = fire;
      fire = undefined;
      f?.();
    },
  };
}

describe("Driver with an injected TimerHost", () => {
  it("arms one wake-up at the earliest deadline, re-arms only when it moves, and runs what is due", () => {
    let now = 0;
    const core = new ScriptedCore((input): Effect[] =>
      input.type === "start"
        ? [
            {type: "setTimer", timer: {type: "probe", token: 1}, delayMs: 300},
            {type: "setTimer", timer: {type: "gossip", token: 1}, delayMs: 100},
          ]
        : [],
    );
    const timers = manualTimers();
    const driver = new Driver(
      {config: lanConfig(), self: SELF},
      {transport: new FakeTransport(), clock: {now: () => now}, timers, createNode: () => core},
    );
    driver.start();
    expect(timers.arms).toEqual([100]);
    now = 100;
    timers.wake();
    expect(core.of("timer").map((i) => i.timer.type)).toEqual(["gossip"]);
    expect(timers.arms).toEqual([100, 300]);
    // A wake-up before the deadline (slack 0) runs nothing and arms again.
    now = 299;
    timers.wake();
    expect(core.of("timer")).toHaveLength(1);
    expect(timers.arms).toEqual([100, 300, 300]);
    now = 300;
    timers.wake();
    expect(core.of("timer").map((i) => i.timer.type)).toEqual(["gossip", "probe"]);
    driver.stop();
    expect(timers.disarms).toBe(1);
  });
});

describe("createNodeTimerHost", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("keeps at most one setTimeout and fires at the deadline", () => {
    let now = 0;
    const host = createNodeTimerHost({now: () => now});
    const fired: number[] = [];
    host.arm(50, () => fired.push(50));
    host.arm(20, () => fired.push(20));
    expect(vi.getTimerCount()).toBe(1);
    now = 19;
    vi.advanceTimersByTime(19);
    expect(fired).toEqual([]);
    now = 20;
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([20]);
    host.arm(40, () => fired.push(40));
    host.disarm();
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([20]);
    expect(host.slackMs).toBe(1);
  });
});
