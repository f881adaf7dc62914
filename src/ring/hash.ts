/*
 * The ring's hash: MurmurHash3 x86_128 (Austin Appleby, public domain; the reference is
 * `MurmurHash3_x86_128` in smhasher's MurmurHash3.cpp), written here in 32-bit integer
 * arithmetic (Math.imul), so it needs no node:crypto and no BigInt and gives the same value in
 * every process, on every platform, in every JS engine.
 *
 * Why this hash: consistent hashing needs positions that are uniform and independent for
 * similar inputs ("web-1#0", "web-1#1", …): MurmurHash3's finaliser avalanches every input bit.
 * It is not cryptographic: a peer that chooses names can aim at ring positions. Member names
 * come from the operator, so that is acceptable here.
 *
 * The ring uses 53 bits of the 128 (so a position is an exact JS number and compares with `<`):
 *   position = h1 · 2^21 + (h2 >>> 11)          0 ≤ position < 2^53
 */

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

const encoder = new TextEncoder();
/** Scratch buffer for string keys (grown on demand), so hashing a string allocates nothing. */
let scratch = new Uint8Array(256);

/** The UTF-8 bytes of `text` in the scratch buffer (a view valid until the next call). */
function utf8(text: string): Uint8Array {
  // UTF-8 needs at most 3 bytes per UTF-16 code unit.
  if (text.length * 3 > scratch.length) scratch = new Uint8Array(text.length * 3);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return encoder.encode(text); // non-ASCII: let the platform encoder do it
    scratch[n++] = c;
  }
  return scratch.subarray(0, n);
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function readWord(bytes: Uint8Array, i: number): number {
  return (
    (bytes[i] as number) |
    ((bytes[i + 1] as number) << 8) |
    ((bytes[i + 2] as number) << 16) |
    ((bytes[i + 3] as number) << 24)
  );
}

/**
 * MurmurHash3 x86_128 of `input` (a string is hashed as its UTF-8 bytes) with a 32-bit seed.
 * Returns the four 32-bit words h1..h4 as unsigned numbers, in the reference's output order.
 */
export function murmur3x86x128(input: Uint8Array | string, seed = 0): [number, number, number, number] {
  const bytes = typeof input === "string" ? utf8(input) : input;
  const length = bytes.length;
  const blocks = length - (length % 16);
  let h1 = seed | 0;
  let h2 = seed | 0;
  let h3 = seed | 0;
  let h4 = seed | 0;

  for (let i = 0; i < blocks; i += 16) {
    let k1 = readWord(bytes, i);
    let k2 = readWord(bytes, i + 4);
    let k3 = readWord(bytes, i + 8);
    let k4 = readWord(bytes, i + 12);

    k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2);
    h1 ^= k1;
    h1 = rotl(h1, 19);
    h1 = (h1 + h2) | 0;
    h1 = (Math.imul(h1, 5) + 0x561ccd1b) | 0;

    k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3);
    h2 ^= k2;
    h2 = rotl(h2, 17);
    h2 = (h2 + h3) | 0;
    h2 = (Math.imul(h2, 5) + 0x0bcaa747) | 0;

    k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4);
    h3 ^= k3;
    h3 = rotl(h3, 15);
    h3 = (h3 + h4) | 0;
    h3 = (Math.imul(h3, 5) + 0x96cd1c35) | 0;

    k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1);
    h4 ^= k4;
    h4 = rotl(h4, 13);
    h4 = (h4 + h1) | 0;
    h4 = (Math.imul(h4, 5) + 0x32ac3b17) | 0;
  }

  // Tail: the last length % 16 bytes, little-endian into k1..k4 (the reference's fall-through switch).
  const tail = length - blocks;
  let k1 = 0;
  let k2 = 0;
  let k3 = 0;
  let k4 = 0;
  for (let j = tail - 1; j >= 0; j--) {
    const byte = bytes[blocks + j] as number;
    const shift = (j % 4) * 8;
    if (j >= 12) k4 ^= byte << shift;
    else if (j >= 8) k3 ^= byte << shift;
    else if (j >= 4) k2 ^= byte << shift;
    else k1 ^= byte << shift;
  }
  if (tail > 12) h4 ^= Math.imul(rotl(Math.imul(k4, C4), 18), C1);
  if (tail > 8) h3 ^= Math.imul(rotl(Math.imul(k3, C3), 17), C4);
  if (tail > 4) h2 ^= Math.imul(rotl(Math.imul(k2, C2), 16), C3);
  if (tail > 0) h1 ^= Math.imul(rotl(Math.imul(k1, C1), 15), C2);

  h1 ^= length;
  h2 ^= length;
  h3 ^= length;
  h4 ^= length;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h3 = fmix32(h3);
  h4 = fmix32(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** Number of distinct ring positions: 2^53. Positions are integers in [0, RING_SIZE). */
export const RING_SIZE = 2 ** 53;

/** The ring position of `key`: 53 bits of MurmurHash3 x86_128 (seed 0), as an exact integer. */
export function ringHash(key: Uint8Array | string): number {
  const [h1, h2] = murmur3x86x128(key, 0);
  return h1 * 2 ** 21 + (h2 >>> 11);
}
