import {describe, expect, it} from "vitest";
import {
  DecodeError,
  decodePacket,
  decodeStream,
  decryptPayload,
  encodePacket,
  encodeStream,
  encryptedLength,
  encryptPacket,
  generateKeyBase64,
  InvalidKeyError,
  Keyring,
} from "../../../src/codec/index.ts";
import type {Message} from "../../../src/core/index.ts";

const ping: Message = {type: "ping", seqNo: 42, node: "n1", source: {host: "127.0.0.1", port: 7946}, sourceNode: "n2"};

describe("Keyring", () => {
  it("accepts 16-, 24- and 32-byte keys in standard base64", () => {
    for (const n of [16, 24, 32]) {
      const k = Keyring.fromBase64([Buffer.alloc(n, 7).toString("base64")]);
      expect(k.primary.length).toBe(n);
    }
  });

  it("rejects other key lengths and non-standard base64 with an error naming the rule", () => {
    expect(() => Keyring.fromBase64([Buffer.alloc(20).toString("base64")])).toThrow(/16, 24 or 32 bytes/);
    expect(() => Keyring.fromBase64([Buffer.alloc(32).toString("base64url")])).toThrow(InvalidKeyError);
    expect(() => Keyring.fromBase64(["not base64!"])).toThrow(/standard base64/);
    expect(() => Keyring.fromBase64([])).toThrow(/at least one key/);
    expect(() => new Keyring([new Uint8Array(15)])).toThrow(InvalidKeyError);
  });

  it("generates 32-byte keys that the keyring accepts", () => {
    const a = generateKeyBase64();
    expect(Buffer.from(a, "base64").length).toBe(32);
    expect(a).not.toBe(generateKeyBase64());
    expect(Keyring.fromBase64([a]).primary.length).toBe(32);
  });
});

describe("AES-GCM packets", () => {
  const kr = Keyring.fromBase64([generateKeyBase64()]);

  it("round-trips with encryption version 1 (unpadded, 29 bytes overhead)", () => {
    const plain = encodePacket([ping]);
    const enc = encodePacket([ping], {keyring: kr});
    expect(enc[0]).toBe(1);
    expect(enc.length).toBe(plain.length + 29);
    expect(decodePacket(enc, {keyring: kr})).toEqual([ping]);
  });

  it("round-trips with encryption version 0 (PKCS#7 padded to 16)", () => {
    const plain = encodePacket([ping]);
    const enc = encodePacket([ping], {keyring: kr, encryptionVersion: 0});
    expect(enc[0]).toBe(0);
    expect(enc.length).toBe(encryptedLength(0, plain.length));
    expect((enc.length - 29) % 16).toBe(0);
    expect(decodePacket(enc, {keyring: kr})).toEqual([ping]);
  });

  it("pads a plaintext that is already a multiple of 16 with a whole block", () => {
    expect(encryptedLength(0, 32)).toBe(1 + 12 + 48 + 16);
    const plain = new Uint8Array(32).fill(3);
    const back = decryptPayload(kr, encryptPacket(kr, plain, 0));
    expect(Buffer.from(back)).toEqual(Buffer.from(plain));
  });

  it("tries every key so that keys can be rotated", () => {
    const oldKey = generateKeyBase64();
    const newKey = generateKeyBase64();
    const sender = Keyring.fromBase64([oldKey]);
    const during = Keyring.fromBase64([newKey, oldKey]);
    const after = Keyring.fromBase64([newKey]);
    const fromOld = encodePacket([ping], {keyring: sender});
    expect(decodePacket(fromOld, {keyring: during})).toEqual([ping]);
    expect(() => decodePacket(fromOld, {keyring: after})).toThrow(DecodeError);
    expect(decodePacket(encodePacket([ping], {keyring: during}), {keyring: after})).toEqual([ping]);
  });

  it("fails with decryptFailed on a wrong key, a flipped bit, a bad version or a short blob", () => {
    const enc = encodePacket([ping], {keyring: kr});
    const other = Keyring.fromBase64([generateKeyBase64()]);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as DecodeError).code;
      }
      return "none";
    };
    expect(code(() => decodePacket(enc, {keyring: other}))).toBe("decryptFailed");
    const flipped = enc.slice();
    flipped[20] = (flipped[20] as number) ^ 1;
    expect(code(() => decodePacket(flipped, {keyring: kr}))).toBe("decryptFailed");
    const badVersion = enc.slice();
    badVersion[0] = 2;
    expect(code(() => decodePacket(badVersion, {keyring: kr}))).toBe("decryptFailed");
    expect(code(() => decodePacket(enc.subarray(0, 28), {keyring: kr}))).toBe("decryptFailed");
  });
});

describe("verifyIncoming: false (memberlist's GossipVerifyIncoming off, for enabling encryption live)", () => {
  const kr = Keyring.fromBase64([generateKeyBase64()]);

  it("accepts plaintext packets and streams as well as encrypted ones", () => {
    const opts = {keyring: kr, verifyIncoming: false};
    expect(decodePacket(encodePacket([ping]), opts)).toEqual([ping]);
    expect(decodePacket(encodePacket([ping], {keyring: kr}), opts)).toEqual([ping]);
    expect(decodeStream(encodeStream(ping), opts)?.message).toEqual(ping);
    expect(decodeStream(encodeStream(ping, {keyring: kr}), opts)?.message).toEqual(ping);
  });

  it("is off by default: plaintext is refused when a keyring is set", () => {
    expect(() => decodePacket(encodePacket([ping]), {keyring: kr})).toThrow(DecodeError);
    expect(() => decodeStream(encodeStream(ping), {keyring: kr})).toThrow(DecodeError);
  });
});

describe("AES-GCM streams", () => {
  const kr = Keyring.fromBase64([generateKeyBase64()]);

  it("frames as 0x0A + length and authenticates the header as AAD", () => {
    const enc = encodeStream(ping, {keyring: kr});
    expect(enc[0]).toBe(0x0a);
    expect(Buffer.from(enc).readUInt32BE(1)).toBe(enc.length - 5);
    expect(decodeStream(enc, {keyring: kr})).toEqual({message: ping, consumed: enc.length});
    // Changing the length in the header breaks authentication even with a consistent buffer.
    const longer = new Uint8Array(enc.length + 1);
    longer.set(enc);
    Buffer.from(longer.buffer).writeUInt32BE(enc.length - 4, 1);
    expect(() => decodeStream(longer, {keyring: kr})).toThrow(DecodeError);
  });

  it("refuses plaintext streams when a keyring is configured, and encrypted ones without", () => {
    expect(() => decodeStream(encodeStream(ping), {keyring: kr})).toThrow(/not encrypted/);
    expect(() => decodeStream(encodeStream(ping, {keyring: kr}))).toThrow(DecodeError);
  });

  it("round-trips compressed and encrypted streams in both versions", () => {
    for (const encryptionVersion of [0, 1] as const) {
      const enc = encodeStream(ping, {keyring: kr, compress: true, encryptionVersion});
      expect(decodeStream(enc, {keyring: kr})?.message).toEqual(ping);
    }
  });
});
