/*
 * Injected, seeded randomness. The core never uses the global generator: every node gets a Random,
 * in production seeded from the OS, in the simulator derived from the run's seed, so a run can
 * be replayed exactly. The generator is sfc32 (small, fast, 128-bit state, passes PractRand);
 * seeds are expanded with splitmix32 so that nearby seeds give unrelated streams.
 */

/** A source of uniform randomness. */
export interface Random {
  /** Uniform float in [0, 1). */
  nextFloat(): number;
  /** Uniform integer in [0, maxExclusive). `maxExclusive` must be a positive integer. */
  nextInt(maxExclusive: number): number;
  /** A 32-bit unsigned integer; used to derive sub-seeds. */
  nextUint32(): number;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A deterministic PRNG (sfc32) seeded from a 32-bit integer. Same seed, same sequence. */
export function createRandom(seed: number): Random {
  const mix = splitmix32(seed);
  let a = mix();
  let b = mix();
  let c = mix();
  let d = mix();
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) next();
  return {
    nextUint32: next,
    nextFloat: () => next() / 4294967296,
    nextInt: (maxExclusive: number) => Math.floor((next() / 4294967296) * maxExclusive),
  };
}

/** Fisher–Yates shuffle in place of the first `length` items (an array or a typed array), driven by `random`. */
export function shuffle<T>(
  items: {[i: number]: T; readonly length: number},
  random: Random,
  length = items.length,
): void {
  for (let i = length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
}
