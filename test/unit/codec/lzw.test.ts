import {describe, expect, it} from "vitest";
import {DecodeError, lzwCompress, lzwDecompress} from "../../../src/codec/index.ts";

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
