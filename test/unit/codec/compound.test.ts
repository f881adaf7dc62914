import {describe, expect, it} from "vitest";
import {
  COMPOUND_PARTS_MAX,
  decodePacket,
  EncodeError,
  encodeCompound,
  encodeMessage,
  encodePacket,
  splitCompound,
} from "../../../src/codec/index.ts";
import type {Message} from "../../../src/core/index.ts";

const nack = (n: number): Message => ({type: "nack", seqNo: n});

describe("compound framing", () => {
  it("writes 0x07, the part count, big-endian lengths, then the parts", () => {
    const a = encodeMessage(nack(1));
    const b = encodeMessage({type: "user", payload: Uint8Array.from([9])});
    const bytes = encodeCompound([nack(1), {type: "user", payload: Uint8Array.from([9])}]);
    expect([...bytes]).toEqual([7, 2, 0, a.length, 0, b.length, ...a, ...b]);
    const {spans, truncated} = splitCompound(bytes, 1, bytes.length);
    expect(truncated).toBe(0);
    expect(spans).toEqual([6, 6 + a.length, 6 + a.length, 6 + a.length + b.length]);
  });

  it("sends one message alone, without a compound wrapper", () => {
    expect(encodePacket([nack(3)])).toEqual(encodeMessage(nack(3)));
  });

  it(`refuses more than ${COMPOUND_PARTS_MAX} parts, an empty packet, and parts over 65535 bytes`, () => {
    const many = Array.from({length: COMPOUND_PARTS_MAX}, (_, i) => nack(i));
    expect(decodePacket(encodePacket(many))).toEqual(many);
    expect(() => encodePacket([...many, nack(99)])).toThrow(EncodeError);
    expect(() => encodePacket([])).toThrow(EncodeError);
    const huge: Message = {type: "user", payload: new Uint8Array(70_000)};
    expect(() => encodePacket([huge, nack(1)])).toThrow(EncodeError);
    expect(encodePacket([huge]).length).toBe(70_001);
  });

  it("counts parts that run past the end as truncated, keeping the earlier ones", () => {
    const a = encodeMessage(nack(1));
    const bytes = Uint8Array.from([7, 3, 0, a.length, 0, 50, 0, 1, ...a, 1, 2]);
    expect(splitCompound(bytes, 1, bytes.length)).toEqual({spans: [8, 8 + a.length], truncated: 2});
  });
});
