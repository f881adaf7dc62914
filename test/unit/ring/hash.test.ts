import {describe, expect, it} from "vitest";
import {murmur3x86x128, RING_SIZE, ringHash} from "../../../src/ring/index.ts";

const hex = (words: readonly number[]) => words.map((w) => w.toString(16).padStart(8, "0")).join("");

describe("murmur3x86x128", () => {
  // Expected values from an independent implementation that matches smhasher's reference
  // MurmurHash3_x86_128 (npm murmurhash3js-revisited 3.0.0, x86.hash128), computed once.
  const rows = [
    {input: "", seed: 0, expected: "00000000000000000000000000000000"},
    {input: "", seed: 0x9747b28c, expected: "f7bed5a15b576a1c5b576a1c5b576a1c"},
    {input: "a", seed: 0, expected: "a794933c5556b01b5556b01b5556b01b"},
    {input: "abc", seed: 0x9747b28c, expected: "d6359eaf48fc3ac348fc3ac348fc3ac3"},
    {input: "hello", seed: 0, expected: "2b2444a0db91def79adb31b69adb31b6"},
    {input: "hello, world", seed: 0x9747b28c, expected: "c35d95c131038e8bd0bd1a6bbde79608"},
    {
      input: "The quick brown fox jumps over the lazy dog",
      seed: 0,
      expected: "2f1583c3ecee2c675d7bf66ce5e91d2c",
    },
    {input: "0123456789abcdef", seed: 0, expected: "fb7d440936aed30a48ad1d9b572b3bfd"},
    {input: "0123456789abcdefg", seed: 0x9747b28c, expected: "d4a97abfa7a0624da8418842c4a0a181"},
    {input: "web-1#0", seed: 0, expected: "3a081cfc2cd90b69b3175dcab3175dca"},
    {input: "ünïcødé ✓ 漢字", seed: 0, expected: "6dadd0d77d6e06a143799b9567ab1736"},
  ];
  for (const row of rows) {
    it(`matches the reference for ${JSON.stringify(row.input)} with seed ${row.seed}`, () => {
      expect(hex(murmur3x86x128(row.input, row.seed))).toBe(row.expected);
    });
  }

  it("hashes a string as its UTF-8 bytes", () => {
    const text = "ünïcødé ✓ 漢字";
    expect(murmur3x86x128(new TextEncoder().encode(text))).toEqual(murmur3x86x128(text));
  });
});

describe("ringHash", () => {
  it("gives integer positions below 2^53", () => {
    for (let i = 0; i < 1000; i++) {
      const position = ringHash(`key-${i}`);
      expect(Number.isSafeInteger(position)).toBe(true);
      expect(position).toBeGreaterThanOrEqual(0);
      expect(position).toBeLessThan(RING_SIZE);
    }
  });

  it("spreads similar keys evenly over 16 buckets", () => {
    const buckets = new Array<number>(16).fill(0);
    const keys = 64_000;
    for (let i = 0; i < keys; i++) {
      const bucket = Math.floor(ringHash(`node#${i}`) / (RING_SIZE / 16));
      buckets[bucket] = (buckets[bucket] ?? 0) + 1;
    }
    // Expected 4000 per bucket, σ ≈ 61: ±5 % is more than 3σ.
    for (const count of buckets) {
      expect(count).toBeGreaterThan(3800);
      expect(count).toBeLessThan(4200);
    }
  });
});
