/*
 * LZW exactly as Go's compress/lzw does it with order LSB and litWidth 8 (docs/memberlist-wire.md §3.3), which is
 * what memberlist's `compressPayload`/`decompressBuffer` use (Go 1.19 in Debian's serf).
 *
 * Codes 0–255 are literals, 256 is Clear, 257 is End, 258–4095 are dictionary entries; codes are
 * 9 to 12 bits wide and packed LSB-first. The decoder ports Go's reader.go rules (including the
 * KwKwK case and the frozen dictionary at 12 bits) and accepts input with or without a leading
 * Clear; it requires the End code, as Go does (a stream without it is "unexpected EOF"). The
 * encoder mirrors Go 1.19's writer.go: leading Clear, Clear + reset when the next code would reach
 * 4095, End at the close, final partial byte zero-padded — so its output equals Go's byte for byte.
 */
import {DecodeError} from "./errors.ts";

const CLEAR = 256;
const EOF_CODE = 257;
const MAX_CODE = 4095;
const MAX_WIDTH = 12;

// ---- decoder ----

/**
 * Decompresses Go LZW (LSB, litWidth 8). `maxOutput` bounds the result (a 64 KiB datagram can
 * expand to hundreds of MiB); exceeding it throws DecodeError("tooLarge"). Any other malformed
 * input throws DecodeError("badCompression").
 */
export function lzwDecompress(input: Uint8Array, maxOutput: number): Uint8Array {
  const prefix = new Uint16Array(MAX_CODE + 1);
  const suffix = new Uint8Array(MAX_CODE + 1);
  // Length of each code's expansion, so we can write it back to front without a scratch stack.
  const length = new Uint16Array(MAX_CODE + 1);
  let out = new Uint8Array(Math.min(Math.max(input.length * 4, 256), maxOutput));
  let o = 0;

  let width = 9;
  let hi = EOF_CODE;
  let overflow = 1 << width;
  let last = -1;
  let bits = 0;
  let nBits = 0;
  let i = 0;

  const grow = (need: number): void => {
    if (o + need > maxOutput) throw new DecodeError("tooLarge", `decompressed data exceeds ${maxOutput} bytes`);
    let size = out.length;
    while (o + need > size) size *= 2;
    const bigger = new Uint8Array(Math.min(size, maxOutput));
    bigger.set(out.subarray(0, o));
    out = bigger;
  };

  for (;;) {
    while (nBits < width) {
      if (i >= input.length) throw new DecodeError("badCompression", "LZW data ends without an End code");
      bits |= (input[i++] as number) << nBits;
      nBits += 8;
    }
    const code = bits & ((1 << width) - 1);
    bits >>>= width;
    nBits -= width;

    if (code < CLEAR) {
      if (o + 1 > out.length) grow(1);
      out[o++] = code;
      if (last >= 0) {
        suffix[hi] = code;
        prefix[hi] = last;
        length[hi] = (last < CLEAR ? 1 : (length[last] as number)) + 1;
      }
    } else if (code === CLEAR) {
      width = 9;
      hi = EOF_CODE;
      overflow = 1 << width;
      last = -1;
      continue;
    } else if (code === EOF_CODE) {
      return out.subarray(0, o);
    } else if (code <= hi) {
      // Expansion of `code`; when code == hi (KwKwK) it is expansion(last) + first byte of it. With
      // no `last` (only in the frozen 12-bit state) code == hi is an ordinary, already stored entry.
      const kwk = code === hi && last >= 0;
      const base = kwk ? last : code;
      const baseLen = base < CLEAR ? 1 : (length[base] as number);
      if (baseLen === 0) throw new DecodeError("badCompression", `LZW code ${code} was never defined`);
      const total = kwk ? baseLen + 1 : baseLen;
      if (o + total > out.length) grow(total);
      let c = base;
      let p = o + baseLen - 1;
      while (c >= CLEAR) {
        out[p--] = suffix[c] as number;
        c = prefix[c] as number;
      }
      out[p] = c;
      const first = c;
      if (kwk) out[o + baseLen] = first;
      o += total;
      if (last >= 0) {
        suffix[hi] = first;
        prefix[hi] = last;
        length[hi] = (last < CLEAR ? 1 : (length[last] as number)) + 1;
      }
    } else {
      throw new DecodeError("badCompression", `invalid LZW code ${code} (next is ${hi})`);
    }

    last = code;
    hi++;
    if (hi >= overflow) {
      if (width === MAX_WIDTH) {
        last = -1;
        hi--;
      } else {
        width++;
        overflow = 1 << width;
      }
    }
  }
}

// ---- encoder ----

const TABLE_BITS = 14;
const TABLE_SIZE = 1 << TABLE_BITS;
const TABLE_MASK = TABLE_SIZE - 1;
const INVALID = 0xffffffff;
// Reused by every call: the encoder is synchronous, so one table suffices. Entry = key << 12 | code.
const table = new Uint32Array(TABLE_SIZE);

/** Compresses like Go 1.19's `lzw.NewWriter(w, lzw.LSB, 8)` followed by Close. */
export function lzwCompress(input: Uint8Array): Uint8Array {
  table.fill(INVALID);
  // Worst case: every byte becomes a 12-bit code, plus Clear codes and End.
  let out = new Uint8Array(Math.ceil(((input.length + 2) * 12) / 8) + 2 + Math.ceil(input.length / 3000) * 2);
  let o = 0;
  let bits = 0;
  let nBits = 0;
  let width = 9;
  let hi = EOF_CODE;
  let overflow = 1 << width;

  const write = (code: number): void => {
    bits |= code << nBits;
    nBits += width;
    while (nBits >= 8) {
      if (o >= out.length) {
        const bigger = new Uint8Array(out.length * 2);
        bigger.set(out);
        out = bigger;
      }
      out[o++] = bits & 0xff;
      bits >>>= 8;
      nBits -= 8;
    }
  };

  /** Go's incHi: returns false when it ran out of codes and reset (after emitting Clear). */
  const incHi = (): boolean => {
    hi++;
    if (hi === overflow) {
      width++;
      overflow <<= 1;
    }
    if (hi === MAX_CODE) {
      write(CLEAR);
      width = 9;
      hi = EOF_CODE;
      overflow = 1 << width;
      table.fill(INVALID);
      return false;
    }
    return true;
  };

  write(CLEAR);
  if (input.length > 0) {
    let code = input[0] as number;
    for (let k = 1; k < input.length; k++) {
      const literal = input[k] as number;
      const key = (code << 8) | literal;
      let hash = ((key >>> 12) ^ key) & TABLE_MASK;
      let found = false;
      for (let h = hash, t = table[hash] as number; t !== INVALID; ) {
        if (key === t >>> 12) {
          code = t & MAX_CODE;
          found = true;
          break;
        }
        h = (h + 1) & TABLE_MASK;
        t = table[h] as number;
      }
      if (found) continue;
      write(code);
      code = literal;
      if (!incHi()) continue;
      for (;;) {
        if (table[hash] === INVALID) {
          table[hash] = ((key << 12) | hi) >>> 0;
          break;
        }
        hash = (hash + 1) & TABLE_MASK;
      }
    }
    write(code);
    incHi();
  }
  write(EOF_CODE);
  if (nBits > 0) {
    if (o >= out.length) {
      const bigger = new Uint8Array(out.length + 1);
      bigger.set(out);
      out = bigger;
    }
    out[o++] = bits & 0xff;
  }
  return out.subarray(0, o);
}
