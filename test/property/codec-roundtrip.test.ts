/*
 * Round-trip properties of the codec: whatever the core can say, the wire carries unchanged —
 * single messages, compound packets under every wrapper combination, and stream messages.
 * fast-check prints the seed and the shrunk counterexample on failure.
 */
import fc from "fast-check";
import {describe, expect, it} from "vitest";
import {
  decodeMessage,
  decodePacket,
  decodeStream,
  encodedSize,
  encodeMessage,
  encodePacket,
  encodeStream,
  Keyring,
} from "../../src/codec/index.ts";
import {message, streamMessage} from "./codec-arbitraries.ts";

const keyring = Keyring.fromBase64([Buffer.alloc(32, 5).toString("base64"), Buffer.alloc(16, 6).toString("base64")]);
const NUM_RUNS = 300;

describe("codec round trips (property)", () => {
  it("decodeMessage(encodeMessage(m)) equals m, and encodedSize is exact, for every message type", () => {
    fc.assert(
      fc.property(message, (m) => {
        const bytes = encodeMessage(m);
        expect(encodedSize(m)).toBe(bytes.length);
        expect(decodeMessage(bytes)).toEqual(m);
      }),
      {numRuns: NUM_RUNS},
    );
  });

  it("decodePacket(encodePacket(ms, opts)) equals ms for compound, compression, CRC and encryption", () => {
    const opts = fc.record(
      {
        compress: fc.boolean(),
        crc: fc.boolean(),
        keyring: fc.constant(keyring),
        encryptionVersion: fc.constantFrom(0 as const, 1 as const),
      },
      {requiredKeys: []},
    );
    fc.assert(
      fc.property(fc.array(message, {minLength: 1, maxLength: 64}), opts, (ms, o) => {
        const packet = encodePacket(ms, o);
        const decodeOpts = o.keyring === undefined ? {} : {keyring: o.keyring};
        expect(decodePacket(packet, decodeOpts)).toEqual(ms);
      }),
      {numRuns: NUM_RUNS / 3},
    );
  });

  it("compression is applied only when it makes the packet smaller", () => {
    fc.assert(
      fc.property(fc.array(message, {minLength: 1, maxLength: 8}), (ms) => {
        const plain = encodePacket(ms);
        const compressed = encodePacket(ms, {compress: true});
        expect(compressed.length).toBeLessThanOrEqual(plain.length);
        if (compressed[0] !== 9) expect(compressed).toEqual(plain);
      }),
      {numRuns: NUM_RUNS / 3},
    );
  });

  it("decodeStream(encodeStream(m, opts)) equals m and consumes every byte", () => {
    const opts = fc.record({compress: fc.boolean(), keyring: fc.constant(keyring)}, {requiredKeys: []});
    fc.assert(
      fc.property(streamMessage, opts, (m, o) => {
        const bytes = encodeStream(m, o);
        const decodeOpts = o.keyring === undefined ? {} : {keyring: o.keyring};
        expect(decodeStream(bytes, decodeOpts)).toEqual({message: m, consumed: bytes.length});
        // Any strict prefix is incomplete.
        const cut = Math.floor(bytes.length / 2);
        expect(decodeStream(bytes.subarray(0, cut), decodeOpts)).toBeUndefined();
      }),
      {numRuns: NUM_RUNS / 2},
    );
  });
});
