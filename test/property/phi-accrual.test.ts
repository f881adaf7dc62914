import fc from "fast-check";
import {describe, expect, it} from "vitest";
import {PhiAccrualDetector} from "../../src/phi/index.ts";

describe("PhiAccrualDetector properties", () => {
  it("never lowers phi as the silence grows, and a beat always brings the sender back", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({min: 1, max: 5_000}), {minLength: 1, maxLength: 60}),
        fc.integer({min: 0, max: 2_000}),
        (intervals, pause) => {
          const detector = new PhiAccrualDetector({acceptableHeartbeatPauseMs: pause});
          let t = 0;
          detector.heartbeat(t);
          for (const interval of intervals) {
            t += interval;
            detector.heartbeat(t);
            expect(detector.isAvailable(t)).toBe(true);
          }
          let previous = -1;
          for (let silence = 0; silence <= 60_000; silence += 250) {
            const phi = detector.phi(t + silence);
            expect(phi).toBeGreaterThanOrEqual(previous);
            previous = phi;
          }
          expect(detector.isAvailable(t + 10 ** 7)).toBe(false);
        },
      ),
      {seed: 0xfa11, numRuns: 200},
    );
  });
});
