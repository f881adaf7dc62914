/*
 * memberlist's compound message (util.go `makeCompoundMessage` / `decodeCompoundMessage`,
 * docs/memberlist-wire.md §3.2): several messages in one datagram.
 *
 *   0x07 | N (uint8) | N × length (uint16 BE) | part 1 | … | part N
 *
 * Each part is a complete message starting with its type byte. Go's decoder has two crash or
 * misparse hazards we never trigger when sending (docs/memberlist-wire.md §10): it reads `part[0]` unchecked, so a
 * zero-length part kills the agent; and it computes `N*2` in uint8, so N > 127 misparses. We
 * send at most COMPOUND_PARTS_MAX (64) parts, each non-empty and at most 65535 bytes.
 * When decoding, a part that runs past the end makes it and every later part "truncated" (Go logs
 * that and still handles the earlier parts); we do the same.
 */
import type {Message} from "../core/index.ts";
import type {CodecContext} from "./context.ts";
import {encodedSize, writeMessage} from "./encode.ts";
import {DecodeError, EncodeError} from "./errors.ts";
import {allocOutput, assertFilled, MsgpackWriter} from "./msgpack-writer.ts";
import {
  COMPOUND_HEADER_OVERHEAD,
  COMPOUND_PART_BYTES_MAX,
  COMPOUND_PART_OVERHEAD,
  COMPOUND_PARTS_MAX,
  MessageType,
} from "./wire.ts";

/**
 * Bytes of `messages` framed as a compound (header + length table + parts), validating every
 * message and the part limits. Throws EncodeError.
 */
export function compoundSize(messages: readonly Message[], sizes?: number[], context?: CodecContext): number {
  if (messages.length > COMPOUND_PARTS_MAX) {
    throw new EncodeError("messages", `a compound carries at most ${COMPOUND_PARTS_MAX} parts, got ${messages.length}`);
  }
  let total = COMPOUND_HEADER_OVERHEAD + COMPOUND_PART_OVERHEAD * messages.length;
  for (let i = 0; i < messages.length; i++) {
    const n = encodedSize(messages[i] as Message, context);
    if (n > COMPOUND_PART_BYTES_MAX) {
      throw new EncodeError(`messages[${i}]`, `a compound part is at most ${COMPOUND_PART_BYTES_MAX} bytes, got ${n}`);
    }
    if (sizes !== undefined) sizes[i] = n;
    total += n;
  }
  return total;
}

/** Writes `messages` as a compound; `sizes` are their encoded sizes from `compoundSize`. */
export function writeCompound(
  w: MsgpackWriter,
  messages: readonly Message[],
  sizes: readonly number[],
  context?: CodecContext,
): void {
  const ma = context?.mappedAddresses;
  w.byte(MessageType.Compound);
  w.byte(messages.length);
  for (const n of sizes) {
    w.byte(n >> 8);
    w.byte(n & 0xff);
  }
  for (const m of messages) writeMessage(w, m, ma);
}

/** Encodes `messages` as one compound message. Throws EncodeError. */
export function encodeCompound(messages: readonly Message[], context?: CodecContext): Uint8Array {
  const sizes: number[] = [];
  const out = allocOutput(compoundSize(messages, sizes, context));
  const w = new MsgpackWriter(out);
  writeCompound(w, messages, sizes, context);
  assertFilled(w, "compound");
  return out;
}

/** The parts of a compound found in `bytes[start..end)` (after its 0x07), as [start, end) pairs. */
export interface CompoundParts {
  /** Offsets into the input: part i is `bytes[spans[2i] .. spans[2i+1])`. */
  spans: number[];
  /** Parts that ran past the end of the data (Go's `trunc`). */
  truncated: number;
}

/**
 * Splits a compound body (the bytes after the 0x07 type byte), appending the spans to `spans`.
 * Throws DecodeError if the header is cut.
 */
export function splitCompound(bytes: Uint8Array, start: number, end: number, spans: number[] = []): CompoundParts {
  if (start >= end) throw new DecodeError("truncated", "compound message has no part count");
  const count = bytes[start] as number;
  let p = start + 1;
  if (end - p < count * 2) throw new DecodeError("truncated", `compound length table needs ${count * 2} bytes`);
  let body = p + count * 2;
  for (let i = 0; i < count; i++) {
    const len = ((bytes[p] as number) << 8) | (bytes[p + 1] as number);
    p += 2;
    if (end - body < len) return {spans, truncated: count - i};
    spans.push(body, body + len);
    body += len;
  }
  return {spans, truncated: 0};
}
