import {fc, test} from "@fast-check/vitest";
import {describe, expect} from "vitest";
import {encodedSize, encodeMessage} from "../../src/codec/index.ts";
import type {Address, Message, Vsn} from "../../src/core/index.ts";
import {estimateMessageSize} from "../../src/core/message-size.ts";

const u32 = fc.integer({min: 0, max: 0xffff_ffff});
const name = fc.string({unit: "binary", maxLength: 300});
const bytes = (max: number) => fc.uint8Array({maxLength: max});
const ipv4 = fc.ipV4();
const ipv6 = fc
  .tuple(fc.array(fc.integer({min: 0, max: 0xffff}), {minLength: 8, maxLength: 8}))
  .map(([g]) => g.map((x) => x.toString(16)).join(":"));
const address: fc.Arbitrary<Address> = fc.record({host: fc.oneof(ipv4, ipv6), port: fc.integer({min: 0, max: 65535})});
const vsn: fc.Arbitrary<Vsn> = fc
  .array(fc.integer({min: 0, max: 255}), {minLength: 6, maxLength: 6})
  .map((v) => v as unknown as Vsn);

const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({type: fc.constant("ping" as const), seqNo: u32, node: name, source: address, sourceNode: name}),
  fc.record({
    type: fc.constant("indirectPing" as const),
    seqNo: u32,
    target: address,
    node: name,
    nack: fc.boolean(),
    source: address,
    sourceNode: name,
  }),
  fc.record({type: fc.constant("ack" as const), seqNo: u32, payload: bytes(600)}),
  fc.record({type: fc.constant("nack" as const), seqNo: u32}),
  fc.record({type: fc.constant("suspect" as const), incarnation: u32, node: name, from: name}),
  fc.record({type: fc.constant("dead" as const), incarnation: u32, node: name, from: name}),
  fc.record({
    type: fc.constant("alive" as const),
    incarnation: u32,
    node: name,
    addr: address,
    meta: bytes(512),
    vsn,
  }),
  fc.record({type: fc.constant("user" as const), payload: bytes(1200)}),
);

describe("the core's default message size estimate", () => {
  test.prop([message], {numRuns: 500})("never under-estimates the codec's encoded size", (m) => {
    const exact = encodedSize(m);
    expect(encodeMessage(m).length).toBe(exact);
    expect(estimateMessageSize(m)).toBeGreaterThanOrEqual(exact);
  });

  test.prop([message], {numRuns: 200})("over-estimates by a bounded margin", (m) => {
    expect(estimateMessageSize(m) - encodedSize(m)).toBeLessThanOrEqual(64);
  });
});
