/*
 * The event-loop delay monitor on this process's real loop: a synchronous block shows as the
 * maximum delay of the window, and it outlives the window's rotation for one more window.
 */
import {afterEach, describe, expect, it} from "vitest";
import {EventLoopDelayMonitor} from "../../../src/agent/event-loop-delay.ts";

/** Blocks this process's event loop for `ms` (the stall under test). */
function blockLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: nothing else on this loop runs
  }
}

/** Lets the loop run its timers for about `ms` (the monitor samples on its own timer). */
const turn = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("EventLoopDelayMonitor", () => {
  let monitor: EventLoopDelayMonitor | undefined;
  afterEach(() => monitor?.stop());

  it("reads zeros before start", () => {
    expect(new EventLoopDelayMonitor().read()).toEqual({p50Ms: 0, p99Ms: 0, maxMs: 0});
  });

  it("reports a 150 ms block as the maximum, while the median stays low", async () => {
    monitor = new EventLoopDelayMonitor({windowMs: 60_000, resolutionMs: 5});
    monitor.start();
    await turn(50);
    blockLoop(150);
    await turn(30);
    const delay = monitor.read();
    // The sampling period hides up to one resolution of the block; a slower machine only adds.
    expect(delay.maxMs).toBeGreaterThanOrEqual(140);
    expect(delay.p50Ms).toBeLessThan(delay.maxMs);
  });

  it("keeps a block that straddled a window's end for the next window", async () => {
    monitor = new EventLoopDelayMonitor({windowMs: 40, resolutionMs: 5});
    monitor.start();
    await turn(20);
    blockLoop(120);
    await turn(10);
    expect(monitor.read().maxMs).toBeGreaterThanOrEqual(60);
  });

  it("reads zeros again after stop", async () => {
    monitor = new EventLoopDelayMonitor({resolutionMs: 5});
    monitor.start();
    await turn(20);
    monitor.stop();
    expect(monitor.read()).toEqual({p50Ms: 0, p99Ms: 0, maxMs: 0});
  });
});
