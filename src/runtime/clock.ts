/*
 * The driver's clock: monotonic milliseconds from performance.now(), which never jumps with
 * wall-clock changes (NTP steps, manual `date`). The core only ever sees these numbers.
 */

/** A source of monotonic time in milliseconds. */
export interface Clock {
  now(): number;
}

/** performance.now()-based monotonic clock, starting near 0 when created. */
export function createMonotonicClock(): Clock {
  const origin = performance.now();
  return {now: () => performance.now() - origin};
}
