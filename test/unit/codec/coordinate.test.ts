/*
 * serf's ack-payload coordinate: golden bytes written out by hand from go-msgpack's rules
 * (struct as a fixmap in field order, fixstr keys, every number cb + 8 big-endian bytes),
 * round trips, what other encoders write, and every way a payload can be refused.
 */
import {Packr} from "msgpackr";
import {describe, expect, it} from "vitest";
import {
  COORDINATE_PING_VERSION,
  coordinatePayloadSize,
  DecodeError,
  type DecodeErrorCode,
  decodeCoordinatePayload,
  EncodeError,
  encodeCoordinatePayload,
} from "../../../src/codec/index.ts";
import {type Coordinate, CoordinateClient, makeCoordinate} from "../../../src/coordinate/index.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const packr = new Packr({useRecords: false, variableMapSize: true});

function codeOf(f: () => unknown): DecodeErrorCode | "none" {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return (e as DecodeError).code;
  }
  return "none";
}

// {Vec: [0.5, -1], Error: 1.5, Adjustment: 0, Height: 0.25}
const SMALL = makeCoordinate([0.5, -1], 1.5, 0, 0.25);
const SMALL_HEX = `
  01
  84
  a3 566563                 92 cb 3fe0000000000000 cb bff0000000000000
  a5 4572726f72             cb 3ff8000000000000
  aa 41646a7573746d656e74   cb 0000000000000000
  a6 486569676874           cb 3fd0000000000000`;

// A fresh serf node: 8 zeros, Error 1.5, Adjustment 0, Height 10e-6 (1e-5 = 3ee4f8b588e368f1).
const ORIGIN_HEX = `
  01 84
  a3 566563 98 ${"cb0000000000000000".repeat(8)}
  a5 4572726f72 cb 3ff8000000000000
  aa 41646a7573746d656e74 cb 0000000000000000
  a6 486569676874 cb 3ee4f8b588e368f1`;

describe("serf's coordinate ack payload", () => {
  it("writes the golden bytes for a small coordinate", () => {
    expect(toHex(encodeCoordinatePayload(SMALL))).toBe(toHex(hex(SMALL_HEX)));
    expect(coordinatePayloadSize(2)).toBe(hex(SMALL_HEX).length);
  });

  it("writes a fresh client's coordinate as serf's NewCoordinate would be written (130 bytes)", () => {
    const bytes = encodeCoordinatePayload(new CoordinateClient().getCoordinate());
    expect(toHex(bytes)).toBe(toHex(hex(ORIGIN_HEX)));
    expect(bytes.length).toBe(130);
    expect(coordinatePayloadSize(8)).toBe(130);
  });

  it("reads the golden bytes back", () => {
    expect(decodeCoordinatePayload(hex(SMALL_HEX))).toEqual(SMALL);
    expect(decodeCoordinatePayload(hex(ORIGIN_HEX))).toEqual(new CoordinateClient().getCoordinate());
  });

  it("round-trips coordinates exactly, including negative zero, tiny and large values and 16+ dimensions", () => {
    const cases: Coordinate[] = [
      makeCoordinate([], 0, 0, 0),
      makeCoordinate([-0, 5e-324, 1e300, -123.456], 0.1, -0.002, 1e-5),
      makeCoordinate(
        Array.from({length: 20}, (_, i) => i / 7 - 1),
        1.5,
        0.03,
        0.004,
      ),
    ];
    for (const c of cases) {
      const back = decodeCoordinatePayload(encodeCoordinatePayload(c));
      expect(back).toEqual(c);
      back.vec.forEach((x, i) => {
        expect(Object.is(x, c.vec[i])).toBe(true);
      });
    }
    // 20 elements: array16 (dc 0014).
    const bytes = encodeCoordinatePayload(cases[2] as Coordinate);
    expect(toHex(bytes.subarray(2, 8))).toBe("a3566563dc00");
    expect(bytes.length).toBe(coordinatePayloadSize(20));
  });

  it("returns frozen values", () => {
    const c = decodeCoordinatePayload(hex(SMALL_HEX));
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.vec)).toBe(true);
  });

  it("accepts what go-msgpack accepts: other encoders' forms, any key order, unknown and missing keys, trailing bytes", () => {
    // msgpackr writes 0 and -1 as integers and 0.5 as float32 or float64.
    const other = Uint8Array.from([1, ...packr.pack({Height: 0.25, Extra: {a: [1, "x"]}, Vec: [0.5, -1], Error: 1.5})]);
    expect(decodeCoordinatePayload(other)).toEqual(SMALL);
    // float32 Error (ca 3fc00000 = 1.5), nil Adjustment, nil Vec, no Height.
    expect(
      decodeCoordinatePayload(hex("01 83 a5 4572726f72 ca 3fc00000 aa 41646a7573746d656e74 c0 a3 566563 c0")),
    ).toEqual(makeCoordinate([], 1.5, 0, 0));
    // A nil coordinate is Go's zero value.
    expect(decodeCoordinatePayload(hex("01 c0"))).toEqual(makeCoordinate([], 0, 0, 0));
    // Go's decoder reads one value and stops.
    expect(decodeCoordinatePayload(hex(`${SMALL_HEX} ff ff`))).toEqual(SMALL);
  });

  it("refuses a bad version, wrong types, non-finite numbers and cut-off payloads with DecodeError", () => {
    const good = hex(SMALL_HEX);
    expect(codeOf(() => decodeCoordinatePayload(new Uint8Array(0)))).toBe("truncated");
    expect(codeOf(() => decodeCoordinatePayload(Uint8Array.from([2, ...good.subarray(1)])))).toBe("unknownType");
    expect(codeOf(() => decodeCoordinatePayload(Uint8Array.from([0, ...good.subarray(1)])))).toBe("unknownType");
    for (let cut = 1; cut < good.length; cut++) {
      expect(
        codeOf(() => decodeCoordinatePayload(good.subarray(0, cut))),
        `cut at ${cut}`,
      ).toBe("truncated");
    }
    // Not a map.
    expect(codeOf(() => decodeCoordinatePayload(hex("01 92 01 02")))).toBe("badField");
    // Error as a string, Vec as a string, a Vec element as a bool.
    expect(codeOf(() => decodeCoordinatePayload(hex("01 81 a5 4572726f72 a1 78")))).toBe("badField");
    expect(codeOf(() => decodeCoordinatePayload(hex("01 81 a3 566563 a1 78")))).toBe("badField");
    expect(codeOf(() => decodeCoordinatePayload(hex("01 81 a3 566563 91 c3")))).toBe("badField");
    // NaN, +Infinity, -Infinity (float64 and float32).
    for (const bits of ["cb7ff8000000000000", "cb7ff0000000000000", "cbfff0000000000000", "ca7fc00000"]) {
      expect(
        codeOf(() => decodeCoordinatePayload(hex(`01 81 a6 486569676874 ${bits}`))),
        bits,
      ).toBe("badField");
      expect(
        codeOf(() => decodeCoordinatePayload(hex(`01 81 a3 566563 91 ${bits}`))),
        bits,
      ).toBe("badField");
    }
    // An array that claims more elements than there are bytes.
    expect(codeOf(() => decodeCoordinatePayload(hex("01 81 a3 566563 dd ffffffff")))).toBe("truncated");
  });

  it("refuses to encode non-finite components", () => {
    expect(() => encodeCoordinatePayload(makeCoordinate([0, Number.NaN], 1, 0, 0))).toThrow(EncodeError);
    expect(() => encodeCoordinatePayload(makeCoordinate([0], Number.POSITIVE_INFINITY, 0, 0))).toThrow(EncodeError);
    expect(() => encodeCoordinatePayload(makeCoordinate([0], 1, 0, Number.NaN))).toThrow(/height/);
  });

  it("starts with serf's PingVersion", () => {
    expect(COORDINATE_PING_VERSION).toBe(1);
    expect(encodeCoordinatePayload(SMALL)[0]).toBe(1);
  });
});
