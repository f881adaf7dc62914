/*
 * A whole datagram: memberlist's layering (docs/memberlist-wire.md §3.1), innermost first when sending —
 *   1. one message alone, or several as a compound (compound.ts);
 *   2. LZW compression `0x09 + compress{Algo: 0, Buf}`, used only if smaller (lzw.ts);
 *   3. CRC `0x0C + CRC-32 BE + message` (crc32.ts), for peers whose PMax ≥ 5;
 *   4. AES-GCM `version | nonce | ciphertext | tag`, no type byte, AAD = the label (keyring.ts);
 *   5. the cluster label header `0xF4 | n | label`, only when labelled (label.ts).
 * Decoding reverses it like Go's `ingestPacket`/`handleCommand`: strip and check the label,
 * decrypt (every key), check a CRC
 * at the outermost level only, then recurse through compounds and compress wrappers. A part that
 * fails to decode is reported and skipped while the other parts still count, as Go handles each
 * part independently.
 */
import type {Message} from "../core/index.ts";
import {compoundSize, splitCompound, writeCompound} from "./compound.ts";
import type {CodecContext} from "./context.ts";
import {crc32} from "./crc32.ts";
import {decodeMessage, readCompress} from "./decode.ts";
import {compressBodySize, encodedSize, writeCompress, writeMessage} from "./encode.ts";
import {DecodeError, EncodeError} from "./errors.ts";
import {GossipMemo} from "./gossip-memo.ts";
import {decryptPayload, type EncryptionVersion, encryptPacket, type Keyring} from "./keyring.ts";
import {checkLabel, labelBytes, readLabelHeader, writeLabelHeader} from "./label.ts";
import {lzwCompress, lzwDecompress} from "./lzw.ts";
import {MsgpackReader} from "./msgpack-reader.ts";
import {allocOutput, assertFilled, MsgpackWriter} from "./msgpack-writer.ts";
import {CRC_HEADER_BYTES, MessageType} from "./wire.ts";

/** How to wrap an outgoing datagram. */
export interface PacketOptions {
  /** LZW-compress the packet when that makes it smaller (serf's default). Default false. */
  compress?: boolean;
  /** Prefix a CRC-32 (only for peers whose Vsn PMax ≥ 5). Default false. */
  crc?: boolean;
  /** Encrypt with the keyring's primary key. Default: no encryption. */
  keyring?: Keyring;
  /** Encryption version: 1 (unpadded, what serf sends) or 0 (padded, memberlist protocol 1). Default 1. */
  encryptionVersion?: EncryptionVersion;
  /**
   * The cluster label (label.ts): prefixed as `0xF4 | n | label` and, when encrypting, used as
   * the AAD. At most 255 UTF-8 bytes (else EncodeError("label")). Default "" (unlabelled).
   */
  label?: string;
  /**
   * The codec context whose memory of IPv4-mapped addresses applies (context.ts). Default: none
   * (IPv4 always as 4 bytes).
   */
  context?: CodecContext;
}

/** How to unwrap an incoming datagram. */
export interface PacketDecodeOptions {
  /** Decrypt with these keys (each tried in order). */
  keyring?: Keyring;
  /**
   * memberlist's GossipVerifyIncoming (default true): packets that do not decrypt are dropped.
   * False treats them as plaintext instead — for turning encryption on in a running cluster.
   */
  verifyIncoming?: boolean;
  /** Answer repeated gossip parts from this memo instead of decoding them again (gossip-memo.ts). */
  memo?: GossipMemo;
  /**
   * Our cluster label (label.ts). A packet whose label header differs — or is missing when we
   * have a label, or present when we do not — is refused with DecodeError("labelMismatch").
   * Default "" (unlabelled).
   */
  label?: string;
  /**
   * The codec context that remembers what decoding learns (context.ts). Default: the memo's, or
   * none (nothing remembered). A memo always decodes with its own context; give the same one.
   */
  context?: CodecContext;
}

/** Largest plaintext a datagram may decompress to (Go packets are ≤ 1400 bytes before compression). */
export const PACKET_DECOMPRESSED_MAX = 1024 * 1024;
/** Deepest nesting of compound/compress wrappers we unwrap (Go's own packets use 2). */
const NESTING_MAX = 8;

// Scratch for encodePacket's part sizes (encoding is synchronous and never re-entered).
// BOUNDED: at most COMPOUND_PARTS_MAX entries (compoundSize refuses more).
const PART_SIZES: number[] = [];
// Scratch for unwrap's compound spans, one list per nesting depth.
// BOUNDED: NESTING_MAX + 1 lists of at most 2 × 255 offsets.
const SPANS_BY_DEPTH: number[][] = [];

/**
 * Encodes `messages` into one datagram: a single message alone, several as a compound (at most
 * 64), then optional compression (only if smaller), CRC, encryption and the label header. Throws
 * EncodeError for an empty list, a message the wire cannot carry or a label over 255 bytes. The result may share its ArrayBuffer with
 * other outputs (as `encodeMessage`'s does): never transfer or detach its `.buffer`.
 */
export function encodePacket(messages: readonly Message[], opts?: PacketOptions): Uint8Array {
  if (messages.length === 0) throw new EncodeError("messages", "a packet needs at least one message");
  const label = labelBytes(opts?.label);
  const crc = opts?.crc === true;
  const context = opts?.context;
  const compress = opts?.compress === true;
  const head = crc && !compress ? CRC_HEADER_BYTES : 0;
  let sizes: number[] | undefined;
  let size: number;
  if (messages.length === 1) {
    size = encodedSize(messages[0] as Message, context);
  } else {
    sizes = PART_SIZES;
    sizes.length = 0;
    size = compoundSize(messages, sizes, context);
  }
  let buf = allocOutput(head + size);
  const w = new MsgpackWriter(buf, head);
  if (sizes === undefined) writeMessage(w, messages[0] as Message, context?.mappedAddresses);
  else writeCompound(w, messages, sizes, context);
  assertFilled(w, "packet");

  if (compress) {
    const lz = lzwCompress(buf);
    const wrapped = 1 + compressBodySize(lz.length);
    if (wrapped < buf.length) {
      const h = crc ? CRC_HEADER_BYTES : 0;
      const out = allocOutput(h + wrapped);
      const cw = new MsgpackWriter(out, h);
      writeCompress(cw, lz);
      assertFilled(cw, "compress wrapper");
      buf = out;
    } else if (crc) {
      const out = allocOutput(CRC_HEADER_BYTES + buf.length);
      out.set(buf, CRC_HEADER_BYTES);
      buf = out;
    }
  }
  if (crc) {
    const c = crc32(buf, CRC_HEADER_BYTES);
    buf[0] = MessageType.HasCrc;
    buf[1] = c >>> 24;
    buf[2] = (c >>> 16) & 0xff;
    buf[3] = (c >>> 8) & 0xff;
    buf[4] = c & 0xff;
  }
  if (opts?.keyring !== undefined) buf = encryptPacket(opts.keyring, buf, opts.encryptionVersion ?? 1, label);
  if (label.length === 0) return buf;
  const out = new Uint8Array(2 + label.length + buf.length);
  out.set(buf, writeLabelHeader(out, 0, label));
  return out;
}

/** Everything found in a datagram: the messages that decoded and the parts that did not. */
export interface DecodedPacket {
  messages: Message[];
  /** One error per part that was dropped (truncated, unknown type, bad field, …). */
  errors: DecodeError[];
}

function unwrap(
  bytes: Uint8Array,
  start: number,
  end: number,
  depth: number,
  out: DecodedPacket,
  memo: GossipMemo | undefined,
  ctx: CodecContext | undefined,
): void {
  if (start >= end) throw new DecodeError("truncated", "empty message");
  if (depth > NESTING_MAX) throw new DecodeError("tooLarge", `wrappers nested deeper than ${NESTING_MAX}`);
  const type = bytes[start] as number;
  if (type === MessageType.Compound) {
    let spans = SPANS_BY_DEPTH[depth];
    if (spans === undefined) {
      spans = [];
      SPANS_BY_DEPTH[depth] = spans;
    }
    spans.length = 0;
    const truncated = splitCompound(bytes, start + 1, end, spans).truncated;
    for (let i = 0; i < spans.length; i += 2) {
      try {
        unwrap(bytes, spans[i] as number, spans[i + 1] as number, depth + 1, out, memo, ctx);
      } catch (e) {
        out.errors.push(asDecodeError(e));
      }
    }
    if (truncated > 0) out.errors.push(new DecodeError("truncated", `compound had ${truncated} truncated parts`));
    return;
  }
  if (type === MessageType.Compress) {
    const lz = readCompress(new MsgpackReader(bytes, start + 1, end));
    const plain = lzwDecompress(lz, PACKET_DECOMPRESSED_MAX);
    if (plain.length === 0) throw new DecodeError("badCompression", "compressed payload is empty");
    unwrap(plain, 0, plain.length, depth + 1, out, memo, ctx);
    return;
  }
  if (memo !== undefined && GossipMemo.accepts(type, end - start)) {
    out.messages.push(memo.decode(bytes, start, end, decodeMessage));
  } else {
    out.messages.push(decodeMessage(bytes, start, end, ctx));
  }
}

/** Wraps anything unexpected (a bug) as a DecodeError so decoding never throws anything else. */
function asDecodeError(e: unknown): DecodeError {
  if (e instanceof DecodeError) return e;
  return new DecodeError("badField", `unexpected decoder failure: ${String(e)}`, {cause: e});
}

/**
 * Decodes a datagram, undoing every layer, and reports per-part failures instead of throwing
 * for them. Throws DecodeError only when the packet as a whole is unusable (label, decryption,
 * CRC, outer framing).
 */
export function decodePacketParts(bytes: Uint8Array, opts?: PacketDecodeOptions): DecodedPacket {
  try {
    if (bytes.length === 0) throw new DecodeError("truncated", "empty packet");
    const expected = labelBytes(opts?.label);
    const header = readLabelHeader(bytes) as {label: Uint8Array; offset: number};
    checkLabel(header.label, expected);
    let buf = header.offset === 0 ? bytes : bytes.subarray(header.offset);
    if (buf.length === 0) throw new DecodeError("truncated", "empty packet after the label header");
    if (opts?.keyring !== undefined) {
      try {
        buf = decryptPayload(opts.keyring, buf, expected.length > 0 ? expected : undefined);
      } catch (e) {
        if (opts.verifyIncoming !== false) throw e;
      }
    }
    let start = 0;
    if (buf.length >= CRC_HEADER_BYTES && buf[0] === MessageType.HasCrc) {
      const want =
        ((buf[1] as number) * 0x1000000 +
          (((buf[2] as number) << 16) | ((buf[3] as number) << 8) | (buf[4] as number))) >>>
        0;
      if (crc32(buf, CRC_HEADER_BYTES) !== want) throw new DecodeError("badCrc", "packet CRC mismatch");
      start = CRC_HEADER_BYTES;
    }
    const out: DecodedPacket = {messages: [], errors: []};
    unwrap(buf, start, buf.length, 0, out, opts?.memo, opts?.context ?? opts?.memo?.context);
    return out;
  } catch (e) {
    throw asDecodeError(e);
  }
}

/**
 * Decodes a datagram into its messages (undoing encryption, CRC, compression and compounds).
 * Parts that fail are skipped as Go skips them; if nothing decodes, the first failure is thrown.
 * Throws only DecodeError.
 */
export function decodePacket(bytes: Uint8Array, opts?: PacketDecodeOptions): Message[] {
  const {messages, errors} = decodePacketParts(bytes, opts);
  if (messages.length === 0 && errors.length > 0) throw errors[0] as DecodeError;
  return messages;
}
