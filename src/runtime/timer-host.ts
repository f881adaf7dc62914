/*
 * The driver's one wake-up. The driver keeps every deadline in its own heap (scheduler.ts) and
 * asks its TimerHost for a single wake-up at the earliest one. In a process that is one unref'd
 * setTimeout (createNodeTimerHost); in the simulator it is an event on the virtual clock. Arming
 * replaces the wake-up armed before, so a host holds at most one.
 */
import type {Clock} from "./clock.ts";

/** Where the driver's single wake-up lives. One host per driver. */
export interface TimerHost {
  /**
   * Calls `fire` once, when the driver's clock has reached `atMs` (ms, the driver's Clock),
   * replacing the wake-up armed before (if any).
   */
  arm(atMs: number, fire: () => void): void;
  /** Cancels the armed wake-up (no-op when none). */
  disarm(): void;
  /**
   * How far ahead of the clock a wake-up may come, in ms: the driver also runs deadlines that
   * close when it wakes. setTimeout has whole-ms resolution (1); a virtual clock is exact (0).
   */
  readonly slackMs: number;
}

/** The Node implementation: one unref'd setTimeout, so the timer alone keeps no process alive. */
export function createNodeTimerHost(clock: Clock): TimerHost {
  let armed: ReturnType<typeof setTimeout> | undefined;
  return {
    slackMs: 1,
    arm(atMs, fire) {
      if (armed !== undefined) clearTimeout(armed);
      armed = setTimeout(
        () => {
          armed = undefined;
          fire();
        },
        Math.max(0, Math.ceil(atMs - clock.now())),
      );
      armed.unref?.();
    },
    disarm() {
      if (armed !== undefined) clearTimeout(armed);
      armed = undefined;
    },
  };
}
