/*
 * A msgpack writer that emits exactly the forms go-msgpack 0.5.5 writes with a zero-value
 * `codec.MsgpackHandle{}` (docs/memberlist-wire.md §4.1–4.2), which is what memberlist and serf use:
 *   - strings AND byte slices use the old-spec "raw" family: fixstr (a0+L), str16 (da), str32
 *     (db) — never str8 (d9), never bin (c4–c6);
 *   - a nil byte slice is nil (c0);
 *   - unsigned integers use the smallest of fixint/cc/cd/ce/cf;
 *   - struct maps use fixmap (80+n) / map16 (de).
 *
 * Why not msgpackr: msgpackr's Packr writes a Buffer as bin8/16/32 and a 32–255 byte string as
 * str8 (d9). Go *accepts* both, but they are not the bytes Go writes, and we want encodings that are
 * byte-identical to a Go peer's (golden-fixture tests compare whole packets). Byte fields occur in
 * most messages (ack Payload, ping SourceAddr, alive Addr/Meta/Vsn), so the structs are written here
 * by hand against a fixed key order; the payoff is also speed (no per-call object walk, exact
 * sizes computed up front, one allocation per message). msgpackr remains a dependency used by the
 * tests as an independent encoder whose output our decoder must accept.
 */

/** Bytes taken by a raw (str-family) header for a payload of `len` bytes. */
export function rawHeaderSize(len: number): number {
  return len < 32 ? 1 : len < 65536 ? 3 : 5;
}

/** Bytes taken by an unsigned integer 0 ≤ v < 2^53 in Go's minimal form. */
export function uintSize(v: number): number {
  return v <= 127 ? 1 : v <= 0xff ? 2 : v <= 0xffff ? 3 : v <= 0xffffffff ? 5 : 9;
}

/** UTF-8 byte length of `s`, as TextEncoder would produce it (lone surrogates count 3). No allocation. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      n += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        // A surrogate pair: 2 UTF-16 units, 4 UTF-8 bytes.
        n += 2;
        i++;
      } else {
        n += 2;
      }
    } else {
      n += 2;
    }
  }
  return n;
}

/** Bytes a Go string field takes: header + UTF-8. */
export function strSize(s: string): number {
  const n = utf8Length(s);
  return rawHeaderSize(n) + n;
}

/** Bytes a Go byte-slice field takes; empty is written as nil (c0), like a nil slice. */
export function bytesSize(b: Uint8Array): number {
  return b.length === 0 ? 1 : rawHeaderSize(b.length) + b.length;
}

/** Encodes a field name as a fixstr key (all memberlist field names are short ASCII). */
export function keyBytes(name: string): Uint8Array {
  const out = new Uint8Array(1 + name.length);
  out[0] = 0xa0 + name.length;
  for (let i = 0; i < name.length; i++) out[i + 1] = name.charCodeAt(i);
  return out;
}

const SLAB_BYTES = 16 * 1024;
const SLAB_PART_MAX = 2048;
let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;

/**
 * A Uint8Array of `n` bytes for an encoder that will write every byte. Small outputs are carved
 * from a shared 16 KiB slab (like Node's Buffer pool): allocating a small typed array costs far
 * more than encoding a ping. A retained output keeps at most its slab alive. Callers must fill all
 * `n` bytes (the encoders check `pos === length`).
 */
export function allocOutput(n: number): Uint8Array {
  if (n > SLAB_PART_MAX) return new Uint8Array(n);
  if (slabUsed + n > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = new Uint8Array(slab.buffer, slabUsed, n);
  slabUsed += (n + 7) & ~7;
  return out;
}

/** Checks that an encoder filled exactly the bytes it sized (a bug otherwise: never send garbage). */
export function assertFilled(w: MsgpackWriter, what: string): void {
  if (w.pos !== w.buf.length) {
    throw new Error(`internal codec error: ${what} wrote ${w.pos} of ${w.buf.length} bytes`);
  }
}

/** Copies `src` into `dst` at `at`; a loop beats `TypedArray.set` for the short keys and fields we write. */
function copyBytes(src: Uint8Array, dst: Uint8Array, at: number): void {
  const n = src.length;
  if (n > 48) {
    dst.set(src, at);
    return;
  }
  for (let i = 0; i < n; i++) dst[at + i] = src[i] as number;
}

/** Bytes a Go float64 takes: cb + 8. */
export const FLOAT64_SIZE = 9;

const floatScratch = new Uint8Array(8);
const floatScratchView = new DataView(floatScratch.buffer);

/** Bytes taken by an array or map header for `n` elements. */
export function arrayHeaderSize(n: number): number {
  return n < 16 ? 1 : n < 65536 ? 3 : 5;
}

/** Writes into a buffer whose exact size was computed beforehand. */
export class MsgpackWriter {
  buf: Uint8Array;
  pos: number;

  constructor(buf: Uint8Array, pos = 0) {
    this.buf = buf;
    this.pos = pos;
  }

  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  raw(bytes: Uint8Array): void {
    copyBytes(bytes, this.buf, this.pos);
    this.pos += bytes.length;
  }

  /** fixmap / map16 / map32. */
  mapHeader(n: number): void {
    this.containerHeader(n, 0x80, 0xde, 0xdf);
  }

  /** fixarray / array16 / array32. */
  arrayHeader(n: number): void {
    this.containerHeader(n, 0x90, 0xdc, 0xdd);
  }

  private containerHeader(n: number, fix: number, b16: number, b32: number): void {
    const b = this.buf;
    if (n < 16) {
      b[this.pos++] = fix + n;
    } else if (n < 65536) {
      b[this.pos++] = b16;
      b[this.pos++] = n >> 8;
      b[this.pos++] = n & 0xff;
    } else {
      b[this.pos++] = b32;
      b[this.pos++] = n >>> 24;
      b[this.pos++] = (n >>> 16) & 0xff;
      b[this.pos++] = (n >>> 8) & 0xff;
      b[this.pos++] = n & 0xff;
    }
  }

  rawHeader(len: number): void {
    const b = this.buf;
    if (len < 32) {
      b[this.pos++] = 0xa0 + len;
    } else if (len < 65536) {
      b[this.pos++] = 0xda;
      b[this.pos++] = len >> 8;
      b[this.pos++] = len & 0xff;
    } else {
      b[this.pos++] = 0xdb;
      b[this.pos++] = len >>> 24;
      b[this.pos++] = (len >>> 16) & 0xff;
      b[this.pos++] = (len >>> 8) & 0xff;
      b[this.pos++] = len & 0xff;
    }
  }

  uint(v: number): void {
    const b = this.buf;
    if (v <= 127) {
      b[this.pos++] = v;
    } else if (v <= 0xff) {
      b[this.pos++] = 0xcc;
      b[this.pos++] = v;
    } else if (v <= 0xffff) {
      b[this.pos++] = 0xcd;
      b[this.pos++] = v >> 8;
      b[this.pos++] = v & 0xff;
    } else if (v <= 0xffffffff) {
      b[this.pos++] = 0xce;
      b[this.pos++] = v >>> 24;
      b[this.pos++] = (v >>> 16) & 0xff;
      b[this.pos++] = (v >>> 8) & 0xff;
      b[this.pos++] = v & 0xff;
    } else {
      const hi = Math.floor(v / 0x100000000);
      const lo = v >>> 0;
      b[this.pos++] = 0xcf;
      b[this.pos++] = hi >>> 24;
      b[this.pos++] = (hi >>> 16) & 0xff;
      b[this.pos++] = (hi >>> 8) & 0xff;
      b[this.pos++] = hi & 0xff;
      b[this.pos++] = lo >>> 24;
      b[this.pos++] = (lo >>> 16) & 0xff;
      b[this.pos++] = (lo >>> 8) & 0xff;
      b[this.pos++] = lo & 0xff;
    }
  }

  /** A Go float64: always float 64 (cb + 8 big-endian bytes), as go-msgpack writes it. */
  float64(v: number): void {
    floatScratchView.setFloat64(0, v);
    this.buf[this.pos++] = 0xcb;
    for (let i = 0; i < 8; i++) this.buf[this.pos++] = floatScratch[i] as number;
  }

  bool(v: boolean): void {
    this.buf[this.pos++] = v ? 0xc3 : 0xc2;
  }

  /** A Go string: raw header + UTF-8 (lone surrogates become U+FFFD, as TextEncoder does). */
  str(s: string, byteLength: number = utf8Length(s)): void {
    this.rawHeader(byteLength);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        b[p++] = c;
      } else if (c < 0x800) {
        b[p++] = 0xc0 | (c >> 6);
        b[p++] = 0x80 | (c & 0x3f);
      } else {
        if (c >= 0xd800 && c <= 0xdfff) {
          const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
          if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
            const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            b[p++] = 0xf0 | (cp >> 18);
            b[p++] = 0x80 | ((cp >> 12) & 0x3f);
            b[p++] = 0x80 | ((cp >> 6) & 0x3f);
            b[p++] = 0x80 | (cp & 0x3f);
            i++;
            continue;
          }
          c = 0xfffd;
        }
        b[p++] = 0xe0 | (c >> 12);
        b[p++] = 0x80 | ((c >> 6) & 0x3f);
        b[p++] = 0x80 | (c & 0x3f);
      }
    }
    this.pos = p;
  }

  /** A Go byte slice: raw header + bytes; empty is written as nil (c0). */
  bytes(v: Uint8Array): void {
    if (v.length === 0) {
      this.buf[this.pos++] = 0xc0;
      return;
    }
    this.rawHeader(v.length);
    copyBytes(v, this.buf, this.pos);
    this.pos += v.length;
  }

  /** A Go byte slice that is never nil (Vsn, addresses): raw header + bytes, even when empty. */
  rawBytes(v: Uint8Array): void {
    this.rawHeader(v.length);
    copyBytes(v, this.buf, this.pos);
    this.pos += v.length;
  }
}
