/*
 * The codec's two error classes. Decoding network bytes throws only `DecodeError` (with a
 * machine-readable `code`), so a driver can catch it, count it and drop the input; nothing a peer
 * sends can make the codec throw anything else. Encoding throws `EncodeError` when the caller hands
 * it a message the wire cannot carry (or that would crash a Go peer, docs/memberlist-wire.md §10) — a caller bug.
 */

/** Why bytes could not be decoded. Stable strings: tests and metrics key on them. */
export type DecodeErrorCode =
  /** The bytes end before the structure does. */
  | "truncated"
  /** A type byte this protocol version does not have (or one not allowed where it was found). */
  | "unknownType"
  /** A msgpack value of the wrong type, out of range, or breaking a rule (Vsn length, meta size). */
  | "badField"
  /** The CRC-32 in a `hasCrc` wrapper does not match. */
  | "badCrc"
  /** An LZW payload that Go's compress/lzw would reject, or an unknown algorithm. */
  | "badCompression"
  /** No key in the keyring authenticates the ciphertext, or the encryption header is invalid. */
  | "decryptFailed"
  /** Encryption is configured but the stream is plaintext (memberlist refuses these). */
  | "notEncrypted"
  /** A length beyond the protocol's limits (20 MiB push state, decompression bombs, part counts). */
  | "tooLarge"
  /** The cluster label found (or its absence) differs from ours (label.ts): another cluster's traffic. */
  | "labelMismatch";

/**
 * Bytes from the network could not be decoded. The input should be dropped and counted; nothing
 * else was changed (the codec keeps no state per peer).
 */
export class DecodeError extends Error {
  static override name = "DecodeError";
  readonly code: DecodeErrorCode;
  constructor(code: DecodeErrorCode, message: string, options?: ErrorOptions) {
    super(`${code}: ${message}`, options);
    this.name = "DecodeError";
    this.code = code;
  }
}

/**
 * A message given to an encoder cannot be put on the wire (a field out of range, a bad address,
 * too many compound parts). This is a bug in the caller; nothing was sent.
 */
export class EncodeError extends Error {
  static override name = "EncodeError";
  /** The offending field, in the core's camelCase naming (e.g. `vsn`, `addr.host`, `messages`). */
  readonly field: string;
  constructor(field: string, rule: string, options?: ErrorOptions) {
    super(`cannot encode ${field}: ${rule}`, options);
    this.name = "EncodeError";
    this.field = field;
  }
}
