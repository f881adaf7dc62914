/*
 * Cluster labels (memberlist ≥ 0.3, docs/memberlist-wire.md §12): a short name that keeps two
 * clusters sharing a network (or a key) from ever merging. A labelled node prefixes every
 * datagram it sends, and every stream it dials, with
 *
 *   0xF4 (hasLabel) | n (uint8, 1–255) | n label bytes | the usual packet or stream bytes
 *
 * and, when encryption is on, authenticates the label as AES-GCM associated data (datagrams:
 * AAD = the label bytes; streams: AAD = the 5-byte `0x0A | len32` header followed by the label).
 * The reply on an accepted stream carries no header — only the dialler writes one — but is
 * still encrypted with the label in its AAD. The empty label means "unlabelled": no header, no
 * extra AAD, bytes identical to memberlist 0.2.2.
 *
 * A receiver compares the label it found (none = empty) with its own and refuses any difference
 * with DecodeError("labelMismatch"), so a labelled node drops unlabelled traffic and an
 * unlabelled node drops labelled traffic (memberlist's behaviour without SkipInboundLabelCheck).
 * 0xF4 can never start an unlabelled packet: message types are < 14 and encryption versions < 2.
 */
import {DecodeError, EncodeError} from "./errors.ts";

/** The type byte that opens a label header (memberlist's `hasLabelMsg`). */
export const HAS_LABEL = 0xf4;
/** Longest label, in UTF-8 bytes (its length travels in one byte). */
export const LABEL_MAX_BYTES = 255;

const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();

/**
 * The UTF-8 bytes of `label` (empty for "" or undefined), encoded afresh on each call (at most
 * 255 bytes; the codec keeps no module-global memory). Throws EncodeError("label") for a
 * non-string or one longer than 255 bytes.
 */
export function labelBytes(label: string | undefined): Uint8Array {
  if (label === undefined || label === "") return EMPTY;
  if (typeof label !== "string") throw new EncodeError("label", "must be a string");
  const bytes = utf8.encode(label);
  if (bytes.length > LABEL_MAX_BYTES) {
    throw new EncodeError("label", `must be at most ${LABEL_MAX_BYTES} bytes of UTF-8, got ${bytes.length}`);
  }
  return bytes;
}

/** Bytes a label header adds (0 for the empty label; Go's `labelOverhead`). */
export function labelOverhead(label: string | undefined): number {
  const n = labelBytes(label).length;
  return n === 0 ? 0 : 2 + n;
}

/** `body` behind the header for `label`; `body` itself when the label is empty. */
export function addLabelHeader(body: Uint8Array, label: string | undefined): Uint8Array {
  const bytes = labelBytes(label);
  if (bytes.length === 0) return body;
  const out = new Uint8Array(2 + bytes.length + body.length);
  writeLabelHeader(out, 0, bytes);
  out.set(body, 2 + bytes.length);
  return out;
}

/** Writes `0xF4 | n | bytes` at `offset` (bytes non-empty, ≤ 255). Returns the offset after it. */
export function writeLabelHeader(out: Uint8Array, offset: number, bytes: Uint8Array): number {
  out[offset] = HAS_LABEL;
  out[offset + 1] = bytes.length;
  out.set(bytes, offset + 2);
  return offset + 2 + bytes.length;
}

/** What a label header held: the label bytes (a view into the input; empty when there was none) and where the rest starts. */
export interface LabelHeader {
  readonly label: Uint8Array;
  readonly offset: number;
}

/**
 * Reads the optional label header at the start of `bytes`. Returns `undefined` when `partial`
 * (a stream still arriving) and the header is not complete yet. Throws DecodeError for a header
 * that is truncated (datagrams) or announces an empty label (Go refuses both).
 */
export function readLabelHeader(bytes: Uint8Array, partial = false): LabelHeader | undefined {
  if (bytes.length === 0 || bytes[0] !== HAS_LABEL) return {label: EMPTY, offset: 0};
  if (bytes.length < 2) {
    if (partial) return undefined;
    throw new DecodeError("truncated", "label header ends before its length byte");
  }
  const n = bytes[1] as number;
  if (n === 0) throw new DecodeError("badField", "a label header cannot carry an empty label");
  if (bytes.length < 2 + n) {
    if (partial) return undefined;
    throw new DecodeError("truncated", `label header announces ${n} bytes, ${bytes.length - 2} present`);
  }
  return {label: bytes.subarray(2, 2 + n), offset: 2 + n};
}

/** Throws DecodeError("labelMismatch") unless the label found equals the label expected. */
export function checkLabel(found: Uint8Array, expected: Uint8Array): void {
  let same = found.length === expected.length;
  for (let i = 0; same && i < found.length; i++) same = found[i] === expected[i];
  if (same) return;
  throw new DecodeError("labelMismatch", `${describe(found)} where ${describe(expected)} was expected`);
}

function describe(label: Uint8Array): string {
  return label.length === 0 ? "no label" : `label ${JSON.stringify(new TextDecoder().decode(label))}`;
}

/**
 * The AES-GCM associated data of an encrypted stream: the 5-byte frame header, then the label
 * (Go's `[messageType][messageLength][stream_label]`). Just the header when unlabelled.
 */
export function streamAad(header: Uint8Array, label: Uint8Array): Uint8Array {
  if (label.length === 0) return header;
  const aad = new Uint8Array(header.length + label.length);
  aad.set(header);
  aad.set(label, header.length);
  return aad;
}
