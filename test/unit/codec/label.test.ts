/*
 * Cluster labels on the wire (src/codec/label.ts, docs/memberlist-wire.md §12): the
 * `F4 | n | label` header on datagrams and dialled streams, the label as AES-GCM associated data,
 * and the refusals (another label, a missing label, an unexpected label, a label over 255 bytes).
 * Expected bytes are built by hand here, and ciphertexts are opened with node:crypto directly.
 */
import {createCipheriv, createDecipheriv} from "node:crypto";
import {describe, expect, it} from "vitest";
import {
  addLabelHeader,
  DecodeError,
  type DecodeErrorCode,
  decodePacket,
  decodeStream,
  EncodeError,
  encodePacket,
  encodeStream,
  HAS_LABEL,
  Keyring,
  LABEL_MAX_BYTES,
  labelOverhead,
  readLabelHeader,
} from "../../../src/codec/index.ts";
import type {Message, StreamMessage} from "../../../src/core/index.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function codeOf(f: () => unknown): DecodeErrorCode | "none" {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return (e as DecodeError).code;
  }
  return "none";
}

const KEY = Buffer.alloc(16, 7);
const keyring = new Keyring([KEY]);
/** `{type: ping, seqNo: 1, node: "x"}` as memberlist writes it (test/unit/codec/encode.test.ts). */
const ping: Message = {type: "ping", seqNo: 1, node: "x"};
const PING = "00 82 a4 4e6f6465 a1 78 a5 5365714e6f 01";
/** `{type: user, payload: 03 01}` as a stream: 0x08 + {UserMsgLen: 2} + the raw bytes. */
const user: StreamMessage = {type: "user", payload: hex("0301")};
const USER = `08 81 aa ${Buffer.from("UserMsgLen").toString("hex")} 02 0301`;

/** Opens an AES-GCM blob `version | nonce | ciphertext | tag` with `aad` (none when undefined). */
function open(blob: Uint8Array, aad: Uint8Array | undefined): Uint8Array {
  const d = createDecipheriv("aes-128-gcm", KEY, blob.subarray(1, 13), {authTagLength: 16});
  if (aad !== undefined) d.setAAD(aad);
  d.setAuthTag(blob.subarray(blob.length - 16));
  return Buffer.concat([d.update(blob.subarray(13, blob.length - 16)), d.final()]);
}

/** Seals `plain` as a version-1 blob with a fixed nonce and `aad`. */
function seal(plain: Uint8Array, aad: Uint8Array | undefined): Uint8Array {
  const nonce = Buffer.alloc(12, 0x42);
  const c = createCipheriv("aes-128-gcm", KEY, nonce, {authTagLength: 16});
  if (aad !== undefined) c.setAAD(aad);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Uint8Array.from(Buffer.concat([Buffer.from([1]), nonce, body, c.getAuthTag()]));
}

describe("the label header", () => {
  it("is 0xF4, the length byte and the label bytes, before the packet", () => {
    expect(HAS_LABEL).toBe(0xf4);
    expect(toHex(encodePacket([ping], {label: "abc"}))).toBe(toHex(hex(`f4 03 616263 ${PING}`)));
    expect(toHex(addLabelHeader(hex("0102"), "é"))).toBe("f402c3a90102");
    expect(labelOverhead("abc")).toBe(5);
  });

  it("is absent for the empty label: the bytes are memberlist 0.2.2's", () => {
    expect(toHex(encodePacket([ping], {label: ""}))).toBe(toHex(hex(PING)));
    expect(toHex(encodePacket([ping]))).toBe(toHex(hex(PING)));
    expect(labelOverhead("")).toBe(0);
    expect(labelOverhead(undefined)).toBe(0);
  });

  it("sits outside the CRC and compression layers", () => {
    const inner = encodePacket([ping], {crc: true});
    expect(toHex(encodePacket([ping], {crc: true, label: "L"}))).toBe(`f4014c${toHex(inner)}`);
    const decoded = decodePacket(encodePacket([ping, ping], {crc: true, compress: true, label: "L"}), {label: "L"});
    expect(decoded).toEqual([ping, ping]);
  });

  it("opens a dialled stream; a reply carries none", () => {
    expect(toHex(encodeStream(user, {label: "abc"}))).toBe(toHex(hex(`f4 03 616263 ${USER}`)));
    expect(toHex(encodeStream(user, {label: "abc", reply: true}))).toBe(toHex(hex(USER)));
    expect(toHex(encodeStream(user))).toBe(toHex(hex(USER)));
  });

  it("accepts 255 bytes and refuses 256 with an EncodeError naming label", () => {
    const max = "x".repeat(LABEL_MAX_BYTES);
    const bytes = encodePacket([ping], {label: max});
    expect(toHex(bytes.subarray(0, 2))).toBe("f4ff");
    expect(bytes.length).toBe(2 + 255 + hex(PING).length);
    expect(decodePacket(bytes, {label: max})).toEqual([ping]);
    for (const tooLong of ["x".repeat(256), "é".repeat(128)]) {
      let error: unknown;
      try {
        encodePacket([ping], {label: tooLong});
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EncodeError);
      expect((error as EncodeError).field).toBe("label");
      expect((error as Error).message).toMatch(/at most 255 bytes/);
      expect(() => encodeStream(user, {label: tooLong})).toThrow(EncodeError);
    }
  });
});

describe("receiving labelled datagrams", () => {
  it("strips a matching label", () => {
    expect(decodePacket(hex(`f4 03 616263 ${PING}`), {label: "abc"})).toEqual([ping]);
  });

  it("refuses another label, a missing label and an unexpected label as labelMismatch", () => {
    expect(codeOf(() => decodePacket(hex(`f4 03 616263 ${PING}`), {label: "abd"}))).toBe("labelMismatch");
    expect(codeOf(() => decodePacket(hex(`f4 02 6162 ${PING}`), {label: "abc"}))).toBe("labelMismatch");
    expect(codeOf(() => decodePacket(hex(PING), {label: "abc"}))).toBe("labelMismatch");
    expect(codeOf(() => decodePacket(hex(`f4 03 616263 ${PING}`)))).toBe("labelMismatch");
    expect(codeOf(() => decodePacket(hex(`f4 03 616263 ${PING}`), {label: ""}))).toBe("labelMismatch");
  });

  it("refuses a truncated or empty header as a decode error, not a mismatch", () => {
    expect(codeOf(() => decodePacket(hex("f4"), {label: "abc"}))).toBe("truncated");
    expect(codeOf(() => decodePacket(hex("f4 05 6162"), {label: "abc"}))).toBe("truncated");
    expect(codeOf(() => decodePacket(hex("f4 03 616263"), {label: "abc"}))).toBe("truncated");
    expect(codeOf(() => decodePacket(hex(`f4 00 ${PING}`), {label: "abc"}))).toBe("badField");
  });

  it("reads a header and reports where the rest starts", () => {
    const h = readLabelHeader(hex("f4 02 6869 00"));
    expect(h && toHex(h.label)).toBe("6869");
    expect(h?.offset).toBe(4);
    expect(readLabelHeader(hex("00 01"))?.offset).toBe(0);
    expect(readLabelHeader(hex("f4 02 68"), true)).toBeUndefined();
  });
});

describe("labels and encryption of datagrams", () => {
  it("encrypts with the label as AAD and puts the header in clear text before the blob", () => {
    const bytes = encodePacket([ping], {keyring, label: "abc"});
    expect(toHex(bytes.subarray(0, 5))).toBe("f403616263");
    const blob = bytes.subarray(5);
    expect(blob[0]).toBe(1);
    expect(blob.length).toBe(1 + 12 + hex(PING).length + 16);
    expect(toHex(open(blob, Buffer.from("abc")))).toBe(toHex(hex(PING)));
    expect(() => open(blob, undefined)).toThrow();
    expect(decodePacket(bytes, {keyring, label: "abc"})).toEqual([ping]);
  });

  it("decodes a hand-sealed labelled datagram and refuses one sealed without the label", () => {
    const good = Uint8Array.from([...hex("f4 03 616263"), ...seal(hex(PING), Buffer.from("abc"))]);
    expect(decodePacket(good, {keyring, label: "abc"})).toEqual([ping]);
    // The header says "abc" but the AAD was empty: the tag does not verify.
    const forged = Uint8Array.from([...hex("f4 03 616263"), ...seal(hex(PING), undefined)]);
    expect(codeOf(() => decodePacket(forged, {keyring, label: "abc"}))).toBe("decryptFailed");
  });

  it("keeps unlabelled encryption AAD-free (0.2.2) and refuses mismatches before decrypting", () => {
    const plain = encodePacket([ping], {keyring});
    expect(toHex(open(plain, undefined))).toBe(toHex(hex(PING)));
    expect(decodePacket(plain, {keyring})).toEqual([ping]);
    expect(codeOf(() => decodePacket(plain, {keyring, label: "abc"}))).toBe("labelMismatch");
    const labelled = encodePacket([ping], {keyring, label: "abc"});
    expect(codeOf(() => decodePacket(labelled, {keyring}))).toBe("labelMismatch");
    expect(codeOf(() => decodePacket(labelled, {keyring, label: "xyz"}))).toBe("labelMismatch");
  });

  it("round-trips with encryption version 0 too", () => {
    const bytes = encodePacket([ping, ping], {keyring, label: "zone-a", encryptionVersion: 0, crc: true});
    expect(decodePacket(bytes, {keyring, label: "zone-a"})).toEqual([ping, ping]);
  });
});

describe("labelled streams", () => {
  it("decodes a request after its header and counts the header as consumed", () => {
    const bytes = hex(`f4 03 616263 ${USER}`);
    expect(decodeStream(bytes, {label: "abc"})).toEqual({message: user, consumed: bytes.length});
  });

  it("waits for the whole header, then refuses another or a missing label", () => {
    expect(decodeStream(hex("f4"), {label: "abc"})).toBeUndefined();
    expect(decodeStream(hex("f4 03 6162"), {label: "abc"})).toBeUndefined();
    expect(decodeStream(hex("f4 03 616263"), {label: "abc"})).toBeUndefined();
    expect(codeOf(() => decodeStream(hex("f4 03 616264"), {label: "abc"}))).toBe("labelMismatch");
    expect(codeOf(() => decodeStream(hex(USER), {label: "abc"}))).toBe("labelMismatch");
    expect(codeOf(() => decodeStream(hex(`f4 03 616263 ${USER}`)))).toBe("labelMismatch");
    expect(codeOf(() => decodeStream(hex(`f4 00 ${USER}`), {label: "abc"}))).toBe("badField");
  });

  it("decodes a reply without a header (reply: true); a header there is not a message type", () => {
    expect(decodeStream(hex(USER), {label: "abc", reply: true})?.message).toEqual(user);
    expect(codeOf(() => decodeStream(hex(`f4 03 616263 ${USER}`), {label: "abc", reply: true}))).toBe("unknownType");
  });

  it("encrypts with AAD = 0A | len32 | label, for requests and replies alike", () => {
    for (const reply of [false, true]) {
      const bytes = encodeStream(user, {keyring, label: "abc", reply});
      const head = reply ? 0 : 5;
      if (!reply) expect(toHex(bytes.subarray(0, 5))).toBe("f403616263");
      const frame = bytes.subarray(head, head + 5);
      const len = 1 + 12 + hex(USER).length + 16;
      expect(toHex(frame)).toBe(`0a${len.toString(16).padStart(8, "0")}`);
      const blob = bytes.subarray(head + 5);
      expect(blob.length).toBe(len);
      expect(toHex(open(blob, Buffer.concat([frame, Buffer.from("abc")])))).toBe(toHex(hex(USER)));
      expect(() => open(blob, frame)).toThrow();
      expect(decodeStream(bytes, {keyring, label: "abc", reply})).toEqual({message: user, consumed: bytes.length});
    }
  });

  it("decodes a hand-sealed labelled encrypted request and refuses one sealed without the label", () => {
    const len = 1 + 12 + hex(USER).length + 16;
    const frame = hex(`0a ${len.toString(16).padStart(8, "0")}`);
    const sealedWith = (aad: Uint8Array) =>
      Uint8Array.from([...hex("f4 03 616263"), ...frame, ...seal(hex(USER), aad)]);
    const good = sealedWith(Buffer.concat([frame, Buffer.from("abc")]));
    expect(decodeStream(good, {keyring, label: "abc"})?.message).toEqual(user);
    expect(codeOf(() => decodeStream(sealedWith(frame), {keyring, label: "abc"}))).toBe("decryptFailed");
  });

  it("returns undefined for every strict prefix of a labelled stream, labelled or encrypted", () => {
    for (const opts of [{label: "abc"}, {label: "abc", keyring}, {label: "abc", keyring, compress: true}]) {
      const bytes = encodeStream(user, opts);
      for (let k = 0; k < bytes.length; k++) expect(decodeStream(bytes.subarray(0, k), opts)).toBeUndefined();
      expect(decodeStream(bytes, opts)).toEqual({message: user, consumed: bytes.length});
    }
  });
});
