/*
 * A fresh seed for a process's protocol PRNG (core/random.ts) when the config gives none. The
 * core's randomness is seeded and replayable; the seed itself only has to differ between
 * processes, which V8's Math.random does (its state is seeded from the OS entropy source when the
 * isolate starts). Not node:crypto: an agent that needs no encryption never loads it, which saves
 * ~1 MB of RSS and some start-up (README "Memory").
 */

/** A uniformly random 32-bit unsigned integer, [0, 2^32). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}
