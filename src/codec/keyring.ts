/*
 * memberlist's symmetric encryption (security.go, keyring.go; docs/memberlist-wire.md §3.5, §6.1): AES-GCM with a
 * 16-, 24- or 32-byte key (AES-128/192/256), a random 12-byte nonce and a 16-byte tag.
 *
 *   blob = version(1) | nonce(12) | ciphertext | tag(16)
 *
 * Version 1 (what serf sends) encrypts the plaintext as is; version 0 (memberlist protocol 1)
 * first pads it PKCS#7-style to a multiple of 16 bytes (always 1–16 pad bytes). Receivers accept
 * both. Datagrams use no associated data; streams use the 5-byte `0x0A | len32` header as AAD.
 * A cluster label (label.ts) is appended to that AAD: it is the whole AAD of a datagram.
 * Sending uses the primary key (index 0); receiving tries every key in order, so keys can be
 * rotated by installing the new key, making it primary, then removing the old one.
 */
import {createRequire} from "node:module";
import {bytesEqual} from "../core/index.ts";
import {DecodeError} from "./errors.ts";

type NodeCrypto = typeof import("node:crypto");
const require = createRequire(import.meta.url);
let nodeCryptoModule: NodeCrypto | undefined;

/**
 * node:crypto, loaded on first use rather than with this module: an agent without --encrypt never
 * encrypts, and loading crypto (and the WebCrypto it brings) costs an agent ~1 MB of RSS and a few
 * milliseconds of start-up (README "Memory").
 */
function nodeCrypto(): NodeCrypto {
  nodeCryptoModule ??= require("node:crypto") as NodeCrypto;
  return nodeCryptoModule;
}

/** memberlist's encryption versions. */
export type EncryptionVersion = 0 | 1;

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Bytes AES-GCM encryption (version 1) adds to a datagram: version byte + 12-byte nonce + 16-byte tag (docs/memberlist-wire.md §3.5). */
export const ENCRYPTION_OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES;
const BLOCK_BYTES = 16;
const VALID_KEY_BYTES = [16, 24, 32];
const BASE64_STANDARD = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A keyring key was rejected; the message names the rule. */
export class InvalidKeyError extends Error {
  static override name = "InvalidKeyError";
  /** Position of the key in the list given. */
  readonly index: number;
  constructor(index: number, rule: string, options?: ErrorOptions) {
    super(`invalid key #${index}: ${rule}`, options);
    this.name = "InvalidKeyError";
    this.index = index;
  }
}

/** Bytes of an encrypted blob for `plainLength` bytes of plaintext (Go's `encryptedLength`). */
export function encryptedLength(version: EncryptionVersion, plainLength: number): number {
  if (version === 1) return 1 + NONCE_BYTES + plainLength + TAG_BYTES;
  const padded = plainLength + (BLOCK_BYTES - (plainLength % BLOCK_BYTES));
  return 1 + NONCE_BYTES + padded + TAG_BYTES;
}

/** An ordered set of AES keys: index 0 is the primary (used to send), all are tried on receive. */
export class Keyring {
  readonly keys: readonly Uint8Array[];

  /** Throws InvalidKeyError unless there is at least one key and each is 16, 24 or 32 bytes. */
  constructor(keys: readonly Uint8Array[]) {
    if (keys.length === 0) throw new InvalidKeyError(0, "a keyring needs at least one key");
    keys.forEach((k, i) => {
      if (!VALID_KEY_BYTES.includes(k.length)) {
        throw new InvalidKeyError(i, `a key must be 16, 24 or 32 bytes (AES-128/192/256), got ${k.length}`);
      }
    });
    this.keys = keys.map((k) => Uint8Array.from(k));
  }

  /**
   * Keys in standard base64 with padding (what `serf keygen` prints and `-encrypt` takes), the
   * first one primary. Throws InvalidKeyError naming the rule a key breaks.
   */
  static fromBase64(keys: readonly string[]): Keyring {
    if (keys.length === 0) throw new InvalidKeyError(0, "a keyring needs at least one key");
    const bytes = keys.map((text, i) => {
      if (typeof text !== "string" || !BASE64_STANDARD.test(text) || text.length === 0) {
        throw new InvalidKeyError(i, "a key must be standard base64 with padding (A-Z a-z 0-9 + /, '=' padding)");
      }
      const b = Buffer.from(text, "base64");
      if (!VALID_KEY_BYTES.includes(b.length)) {
        throw new InvalidKeyError(i, `a key must decode to 16, 24 or 32 bytes (AES-128/192/256), got ${b.length}`);
      }
      return new Uint8Array(b.buffer, b.byteOffset, b.length);
    });
    return new Keyring(bytes);
  }

  /** The key used for sending. */
  get primary(): Uint8Array {
    return this.keys[0] as Uint8Array;
  }

  /** The keys in standard base64, primary first (the form `fromBase64` takes and serf prints). */
  toBase64(): string[] {
    return this.keys.map((key) => Buffer.from(key).toString("base64"));
  }
}

function cipherName(key: Uint8Array): "aes-128-gcm" | "aes-192-gcm" | "aes-256-gcm" {
  return key.length === 16 ? "aes-128-gcm" : key.length === 24 ? "aes-192-gcm" : "aes-256-gcm";
}

/**
 * Encrypts `plain` with the keyring's primary key into `version | nonce | ciphertext | tag`,
 * written into `out` at `offset` (which must have `encryptedLength(version, plain.length)` bytes).
 */
export function encryptInto(
  keyring: Keyring,
  version: EncryptionVersion,
  plain: Uint8Array,
  aad: Uint8Array | undefined,
  out: Uint8Array,
  offset: number,
): void {
  const {createCipheriv, randomBytes} = nodeCrypto();
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(cipherName(keyring.primary), keyring.primary, nonce, {authTagLength: TAG_BYTES});
  if (aad !== undefined) cipher.setAAD(aad);
  out[offset] = version;
  out.set(nonce, offset + 1);
  let p = offset + 1 + NONCE_BYTES;
  let input = plain;
  if (version === 0) {
    const pad = BLOCK_BYTES - (plain.length % BLOCK_BYTES);
    input = new Uint8Array(plain.length + pad);
    input.set(plain);
    input.fill(pad, plain.length);
  }
  const body = cipher.update(input);
  out.set(body, p);
  p += body.length;
  const final = cipher.final();
  out.set(final, p);
  p += final.length;
  out.set(cipher.getAuthTag(), p);
}

/**
 * Encrypts `plain` for a datagram. `aad`: the cluster label's bytes (label.ts); none or empty
 * for an unlabelled cluster (memberlist 0.2.2 uses no associated data).
 */
export function encryptPacket(
  keyring: Keyring,
  plain: Uint8Array,
  version: EncryptionVersion = 1,
  aad?: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(encryptedLength(version, plain.length));
  encryptInto(keyring, version, plain, aad !== undefined && aad.length > 0 ? aad : undefined, out, 0);
  return out;
}

/**
 * Decrypts a `version | nonce | ciphertext | tag` blob, trying every key in order (Go's
 * `decryptPayload`). Throws DecodeError("decryptFailed") if the header is invalid or no key
 * authenticates it.
 */
export function decryptPayload(keyring: Keyring, blob: Uint8Array, aad?: Uint8Array): Uint8Array {
  if (blob.length === 0) throw new DecodeError("decryptFailed", "cannot decrypt empty payload");
  const version = blob[0] as number;
  if (version > 1) throw new DecodeError("decryptFailed", `unsupported encryption version ${version}`);
  if (blob.length < encryptedLength(version as EncryptionVersion, 0)) {
    throw new DecodeError("decryptFailed", `payload of ${blob.length} bytes is too small to decrypt`);
  }
  const nonce = blob.subarray(1, 1 + NONCE_BYTES);
  const ciphertext = blob.subarray(1 + NONCE_BYTES, blob.length - TAG_BYTES);
  const tag = blob.subarray(blob.length - TAG_BYTES);
  const {createDecipheriv} = nodeCrypto();
  for (const key of keyring.keys) {
    let plain: Uint8Array;
    try {
      const decipher = createDecipheriv(cipherName(key), key, nonce, {authTagLength: TAG_BYTES});
      if (aad !== undefined) decipher.setAAD(aad);
      decipher.setAuthTag(tag);
      const head = decipher.update(ciphertext);
      const tail = decipher.final();
      plain = tail.length === 0 ? head : Buffer.concat([head, tail]);
    } catch {
      continue;
    }
    const view = new Uint8Array(plain.buffer, plain.byteOffset, plain.length);
    if (version === 1) return view;
    const pad = view.length > 0 ? (view[view.length - 1] as number) : 0;
    if (pad < 1 || pad > BLOCK_BYTES || pad > view.length) {
      throw new DecodeError("decryptFailed", `bad PKCS#7 padding (${pad})`);
    }
    return view.subarray(0, view.length - pad);
  }
  throw new DecodeError("decryptFailed", "no installed keys could decrypt the message");
}

/** 32 random bytes in standard base64: a fresh AES-256 key, like `serf keygen`. */
export function generateKeyBase64(): string {
  return nodeCrypto().randomBytes(32).toString("base64");
}

/**
 * memberlist's keyring edits, each returning a new Keyring (a Keyring never changes once built):
 * install adds a key after the primary (a no-op when present), use makes an installed key primary,
 * remove drops a key (a no-op when absent) but never the primary. Throw InvalidKeyError.
 */
export const keyringEdits = {
  install(keyring: Keyring, key: Uint8Array): Keyring {
    if (keyring.keys.some((k) => bytesEqual(k, key))) return keyring;
    return new Keyring([keyring.primary, key, ...keyring.keys.slice(1)]);
  },
  use(keyring: Keyring, key: Uint8Array): Keyring {
    const index = keyring.keys.findIndex((k) => bytesEqual(k, key));
    if (index < 0) throw new InvalidKeyError(0, "the requested key is not in the keyring");
    if (index === 0) return keyring;
    return new Keyring([key, ...keyring.keys.filter((_, i) => i !== index)]);
  },
  remove(keyring: Keyring, key: Uint8Array): Keyring {
    if (bytesEqual(keyring.primary, key)) throw new InvalidKeyError(0, "removing the primary key is not allowed");
    if (!keyring.keys.some((k) => bytesEqual(k, key))) return keyring;
    return new Keyring(keyring.keys.filter((k) => !bytesEqual(k, key)));
  },
};
