import {describe, expect, it} from "vitest";
import {crc32, DecodeError, decodePacket, encodePacket} from "../../../src/codec/index.ts";

describe("CRC-32 and the hasCrc wrapper", () => {
  it("computes the IEEE CRC-32 check value and zlib's values", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(new TextEncoder().encode("The quick brown fox jumps over the lazy dog"))).toBe(0x414fa339);
  });

  it("wraps a packet as 0x0C + CRC big-endian + message and checks it on receive", () => {
    const m = {type: "nack", seqNo: 9} as const;
    const p = encodePacket([m], {crc: true});
    expect(p[0]).toBe(12);
    expect(Buffer.from(p).readUInt32BE(1)).toBe(crc32(p, 5));
    expect(decodePacket(p)).toEqual([m]);
    const bad = p.slice();
    bad[2] = (bad[2] as number) ^ 0x10;
    expect(() => decodePacket(bad)).toThrow(DecodeError);
    try {
      decodePacket(bad);
    } catch (e) {
      expect((e as DecodeError).code).toBe("badCrc");
    }
  });

  it("recognises a CRC only at the outermost level", () => {
    const inner = encodePacket([{type: "nack", seqNo: 1}], {crc: true});
    // A compound whose part is a CRC wrapper: Go dispatches the part on type 12 and drops it.
    const compound = Uint8Array.from([7, 1, 0, inner.length, ...inner]);
    expect(() => decodePacket(compound)).toThrow(DecodeError);
  });
});
