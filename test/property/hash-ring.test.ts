import fc from "fast-check";
import {describe, expect, it} from "vitest";
import {HashRing, inRange, ringHash} from "../../src/ring/index.ts";

const KEYS = Array.from({length: 400}, (_, i) => `k${i}`);
const name = fc.constantFrom(...Array.from({length: 16}, (_, i) => `m${i}`));
const memberSet = fc.uniqueArray(name, {minLength: 0, maxLength: 10});

describe("HashRing properties", () => {
  it("moves a key only when its owner left or its new owner joined, and reports exactly those arcs", () => {
    fc.assert(
      fc.property(fc.array(memberSet, {minLength: 2, maxLength: 6}), (steps) => {
        const ring = new HashRing({vnodes: 16});
        let previous = new Set<string>();
        let owners = KEYS.map((key) => ring.owner(key));
        for (const step of steps) {
          const next = new Set(step);
          const change = ring.setMembers(step);
          const now = KEYS.map((key) => ring.owner(key));
          KEYS.forEach((key, i) => {
            const before = owners[i];
            const after = now[i];
            if (before !== after) {
              // Only a departed owner loses a key, and only a newcomer takes one from a survivor.
              expect(before === undefined || !next.has(before) || (after !== undefined && !previous.has(after))).toBe(
                true,
              );
            }
            const move = change.moved.find((range) => inRange(range, ringHash(key)));
            expect(move === undefined).toBe(before === after);
            if (move) {
              expect(move.from).toBe(before ?? null);
              expect(move.to).toBe(after ?? null);
            }
          });
          // The same member set built from scratch gives the same owners (history does not matter).
          const fresh = new HashRing({vnodes: 16});
          fresh.setMembers(step);
          expect(KEYS.map((key) => fresh.owner(key))).toEqual(now);
          previous = next;
          owners = now;
        }
      }),
      {seed: 0x5eed, numRuns: 30},
    );
  });
});
