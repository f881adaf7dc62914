import {readFileSync} from "node:fs";
import {describe, expect, it} from "vitest";
import {readCompress} from "../../../src/codec/decode.ts";
import {DecodeError, lzwCompress, lzwDecompress} from "../../../src/codec/index.ts";
import {MsgpackReader} from "../../../src/codec/msgpack-reader.ts";

const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Packs codes LSB-first at the given widths, like Go's writer. */
function pack(codes: [code: number, width: number][]): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let n = 0;
  for (const [c, w] of codes) {
    bits |= c << n;
    n += w;
    while (n >= 8) {
      out.push(bits & 0xff);
      bits >>>= 8;
      n -= 8;
    }
  }
  if (n > 0) out.push(bits & 0xff);
  return Uint8Array.from(out);
}

describe("LZW (Go compress/lzw, LSB, litWidth 8)", () => {
  it("decompresses every LZW payload serf sent and recompresses it to Go's exact bytes", () => {
    type Fixture = {udp: {hex: string}[]; tcp: {request: string; response: string}[]};
    const load = (name: string) =>
      JSON.parse(readFileSync(new URL(`../../fixtures/serf/${name}.json`, import.meta.url), "utf8")) as Fixture;
    // "bigstate" holds a 27 KB LZW stream: every code width and several 4095-code resets.
    const hexes = ["compressed", "bigstate"]
      .map(load)
      .flatMap((f) => [...f.udp.map((p) => p.hex), ...f.tcp.flatMap((c) => [c.request, c.response])]);
    const wrapped = hexes
      .map((h) => Uint8Array.from(Buffer.from(h, "hex")))
      .map((b) => (b[0] === 12 ? b.subarray(5) : b))
      .filter((b) => b[0] === 9);
    expect(wrapped.length).toBeGreaterThan(10);
    for (const w of wrapped) {
      const goLzw = readCompress(new MsgpackReader(w, 1, w.length));
      const plain = lzwDecompress(goLzw, 1 << 20);
      expect(plain.length).toBeGreaterThan(0);
      expect(toHex(lzwCompress(plain))).toBe(toHex(goLzw));
    }
  });

  it("compresses empty input to Clear + End, like Go's Close", () => {
    expect(toHex(lzwCompress(new Uint8Array(0)))).toBe(
      toHex(
        pack([
          [256, 9],
          [257, 9],
        ]),
      ),
    );
  });

  it("compresses 'aaa' with a leading Clear, the KwKwK code and End", () => {
    // Clear, 'a', then "aa" = 258 ... Go: Clear(256) 'a'(97) 258 End.
    const want = pack([
      [256, 9],
      [97, 9],
      [258, 9],
      [257, 9],
    ]);
    expect(toHex(lzwCompress(new TextEncoder().encode("aaa")))).toBe(toHex(want));
    expect(new TextDecoder().decode(lzwDecompress(want, 100))).toBe("aaa");
  });

  it("decodes data without a leading Clear code", () => {
    const noClear = pack([
      [97, 9],
      [98, 9],
      [258, 9],
      [257, 9],
    ]);
    expect(new TextDecoder().decode(lzwDecompress(noClear, 100))).toBe("abab");
  });

  it("round-trips inputs that cross every code width and the 4095-code reset", () => {
    let seed = 1;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 16;
    };
    for (const n of [1, 2, 255, 256, 511, 1400, 5000, 100_000]) {
      for (const alphabet of [2, 16, 256]) {
        const input = Uint8Array.from({length: n}, () => rnd() % alphabet);
        const z = lzwCompress(input);
        expect(toHex(lzwDecompress(z, n + 1))).toBe(toHex(input));
      }
    }
  });

  it("keeps decoding with a frozen dictionary when an encoder does not clear at 4095 codes", () => {
    // A non-Go encoder that never emits Clear: literals 0..255 repeated in pairs fill the
    // dictionary up to code 4095 (width 12), after which Go's reader freezes it and still expands
    // existing codes, including 4095 itself.
    const codes: [number, number][] = [];
    const literals: number[] = [];
    // Mirror the reader's state: no leading Clear, so next = 257 and no previous code.
    let hi = 257;
    let width = 9;
    let frozen = false;
    for (let i = 0; !frozen; i++) {
      const lit = i % 251;
      codes.push([lit, width]);
      literals.push(lit);
      hi++;
      if (hi >= 1 << width) {
        if (width === 12) {
          frozen = true;
        } else {
          width++;
        }
      }
    }
    // Entry 4095 was defined by the last two literals; emit it (code == next, no previous code).
    const expected = [...literals, ...literals.slice(-2)];
    codes.push([4095, 12], [257, 12]);
    const out = lzwDecompress(pack(codes), 1 << 20);
    expect(toHex(out)).toBe(toHex(Uint8Array.from(expected)));
  });

  it("rejects data without an End code, invalid codes and oversized output", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(DecodeError);
        return (e as DecodeError).code;
      }
      return "none";
    };
    expect(
      code(() =>
        lzwDecompress(
          pack([
            [256, 9],
            [97, 9],
          ]),
          100,
        ),
      ),
    ).toBe("badCompression");
    expect(
      code(() =>
        lzwDecompress(
          pack([
            [256, 9],
            [300, 9],
          ]),
          100,
        ),
      ),
    ).toBe("badCompression");
    expect(code(() => lzwDecompress(lzwCompress(new Uint8Array(1000)), 999))).toBe("tooLarge");
    expect(code(() => lzwDecompress(new Uint8Array(0), 10))).toBe("badCompression");
  });
});
