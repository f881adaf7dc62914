/*
 * The codec's own msgpack writer and reader, byte for byte at every boundary where go-msgpack
 * changes form (docs/memberlist-wire.md §4.2–4.3): ints and uints, str headers (Go never writes
 * str8), map and array headers, and the reader's refusal of truncated or mistyped input.
 */
import {describe, expect, it} from "vitest";
import {DecodeError} from "../../../src/codec/errors.ts";
import {MsgpackReader, NEED_MORE} from "../../../src/codec/msgpack-reader.ts";
import {MsgpackWriter, rawHeaderSize, uintSize} from "../../../src/codec/msgpack-writer.ts";

function written(fill: (w: MsgpackWriter) => void): string {
  const w = new MsgpackWriter(new Uint8Array(64));
  fill(w);
  return Buffer.from(w.buf.subarray(0, w.pos)).toString("hex");
}

function reader(hex: string, streaming = false): MsgpackReader {
  return new MsgpackReader(Uint8Array.from(Buffer.from(hex, "hex")), 0, hex.length / 2, streaming);
}

describe("MsgpackWriter.uint writes Go's minimal form at each boundary", () => {
  const cases: [number, string][] = [
    [0, "00"],
    [127, "7f"],
    [128, "cc80"],
    [255, "ccff"],
    [256, "cd0100"],
    [65_535, "cdffff"],
    [65_536, "ce00010000"],
    [0xffff_ffff, "ceffffffff"],
    [0x1_0000_0000, "cf0000000100000000"],
    [Number.MAX_SAFE_INTEGER, "cf001fffffffffffff"],
  ];
  for (const [value, hex] of cases) {
    it(`${value} → ${hex}, and uintSize agrees`, () => {
      expect(written((w) => w.uint(value))).toBe(hex);
      expect(uintSize(value)).toBe(hex.length / 2);
    });
  }
});

describe("MsgpackWriter headers", () => {
  it("writes str headers as fixstr up to 31 bytes, then str16 (never str8), then str32", () => {
    expect(written((w) => w.rawHeader(0))).toBe("a0");
    expect(written((w) => w.rawHeader(31))).toBe("bf");
    expect(written((w) => w.rawHeader(32))).toBe("da0020");
    expect(written((w) => w.rawHeader(255))).toBe("da00ff");
    expect(written((w) => w.rawHeader(65_535))).toBe("daffff");
    expect(written((w) => w.rawHeader(65_536))).toBe("db00010000");
    for (const [len, size] of [
      [31, 1],
      [32, 3],
      [65_535, 3],
      [65_536, 5],
    ] as const)
      expect(rawHeaderSize(len)).toBe(size);
  });

  it("writes map headers as fixmap up to 15 entries, then map16", () => {
    expect(written((w) => w.mapHeader(0))).toBe("80");
    expect(written((w) => w.mapHeader(15))).toBe("8f");
    expect(written((w) => w.mapHeader(16))).toBe("de0010");
  });

  it("writes a string with its UTF-8 length and bools as c3/c2", () => {
    expect(written((w) => w.str("é"))).toBe("a2c3a9");
    expect(written((w) => w.bool(true))).toBe("c3");
    expect(written((w) => w.bool(false))).toBe("c2");
  });
});

describe("MsgpackReader", () => {
  it("reads every int and uint family member, positive and negative fixints included", () => {
    const cases: [string, number][] = [
      ["00", 0],
      ["7f", 127],
      ["ff", -1],
      ["e0", -32],
      ["cc80", 128],
      ["cdffff", 65_535],
      ["ceffffffff", 0xffff_ffff],
      ["cf001fffffffffffff", Number.MAX_SAFE_INTEGER],
      ["d080", -128],
      ["d18000", -32_768],
      ["d280000000", -2_147_483_648],
      ["d3ffffffffffffffff", -1],
    ];
    for (const [hex, value] of cases) expect(reader(hex).int("n"), hex).toBe(value);
  });

  it("refuses integers beyond 2^53, out-of-range uints and non-integers, naming the field", () => {
    expect(() => reader("cf0020000000000000").int("Incarnation")).toThrow(/Incarnation: integer too large/);
    expect(() => reader("cd0100").uint("Port", 255)).toThrow(/Port: 256 is outside 0\.\.255/);
    expect(() => reader("c3").int("SeqNo")).toThrow(DecodeError);
  });

  it("reads map and array headers of every width and refuses another type", () => {
    expect(reader("8f").mapHeader("m")).toBe(15);
    expect(reader("de0010").mapHeader("m")).toBe(16);
    expect(reader("df00010000").mapHeader("m")).toBe(65_536);
    expect(reader("93").arrayHeader("a")).toBe(3);
    expect(reader("dc0100").arrayHeader("a")).toBe(256);
    expect(() => reader("93").mapHeader("ping")).toThrow(/ping: expected a map, got 0x93/);
  });

  it("reads strings from fixstr, str8, str16 and str32 (Go accepts all four)", () => {
    expect(reader("a3616263").string("s")).toBe("abc");
    expect(reader("d903616263").string("s")).toBe("abc");
    expect(reader("da0003616263").string("s")).toBe("abc");
    expect(reader("db00000003616263").string("s")).toBe("abc");
  });

  it("reads bools as Go does: true/false and the integers 0 and 1", () => {
    expect(reader("c3").bool("b")).toBe(true);
    expect(reader("01").bool("b")).toBe(true);
    expect(reader("c2").bool("b")).toBe(false);
    expect(() => reader("02").bool("b")).toThrow(DecodeError);
  });

  it("reports truncated input as DecodeError 'truncated', or NEED_MORE when streaming", () => {
    const truncated = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const error = truncated(() => reader("cd01").int("n"));
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).code).toBe("truncated");
    expect(truncated(() => reader("a5616263").string("s"))).toBeInstanceOf(DecodeError);
    expect(truncated(() => reader("cd01", true).int("n"))).toBe(NEED_MORE);
  });

  it("round-trips what the writer wrote", () => {
    const w = new MsgpackWriter(new Uint8Array(64));
    w.mapHeader(2);
    w.str("Port");
    w.uint(7946);
    w.str("Name");
    w.str("node-1");
    const r = new MsgpackReader(w.buf, 0, w.pos);
    expect(r.mapHeader("m")).toBe(2);
    expect(r.key()).toBe("Port");
    expect(r.uint("Port", 65_535)).toBe(7946);
    expect(r.key()).toBe("Name");
    expect(r.string("Name")).toBe("node-1");
    expect(r.remaining()).toBe(0);
  });
});
