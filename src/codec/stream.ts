/*
 * Stream (TCP) framing, docs/memberlist-wire.md §6. Every connection carries one request and at most one reply; each
 * is one stream message:
 *
 *   plain:       type | msgpack body …                      (no length prefix!)
 *   compressed:  0x09 | compress{Algo: 0, Buf: lzw(type | body …)}
 *   encrypted:   0x0A | L (uint32 BE) | version | nonce | ciphertext+tag   (AAD = the 5 header bytes;
 *                the plaintext may itself be a compress wrapper)
 *
 * Labels (label.ts, §12): a labelled dialler writes `0xF4 | n | label` before its request; the
 * reply carries no header. Both directions add the label to the encrypted frame's AAD. Decoding a
 * request strips and checks the header; decoding a reply (`reply: true`) expects none.
 *
 * Bodies: push-pull = pushPullHeader + N pushNodeState + U raw bytes of user state; ping and ack
 * = their msgpack struct; user = userMsgHeader + raw bytes; err = errResp.
 *
 * Because plain streams have no length prefix, `decodeStream` is incremental: given the bytes
 * received so far it returns the message and the bytes it consumed, or `undefined` when it needs
 * more. The driver calls it again with the longer buffer. Limits: an encrypted frame or user
 * state over 20 MiB (memberlist's maxPushStateBytes), a stream that has buffered twice that without
 * completing, or more than PUSH_NODES_MAX node states is DecodeError("tooLarge").
 */
import type {StreamMessage} from "../core/index.ts";
import type {CodecContext} from "./context.ts";
import {readAckBody, readCompress, readErrBody, readPingBody, readPushPullBody, readUserMsgHeader} from "./decode.ts";
import {
  compressBodySize,
  encodedSize,
  errSize,
  pushPullSize,
  userStreamSize,
  writeCompress,
  writeErr,
  writeMessage,
  writePushPull,
  writeUserStream,
} from "./encode.ts";
import {DecodeError, EncodeError} from "./errors.ts";
import type {GossipMemo} from "./gossip-memo.ts";
import {decryptPayload, type EncryptionVersion, encryptedLength, encryptInto, type Keyring} from "./keyring.ts";
import {checkLabel, labelBytes, readLabelHeader, streamAad, writeLabelHeader} from "./label.ts";
import {lzwCompress, lzwDecompress} from "./lzw.ts";
import {copyBytes, MsgpackReader, NEED_MORE} from "./msgpack-reader.ts";
import {MsgpackWriter} from "./msgpack-writer.ts";
import {ENCRYPT_STREAM_HEADER_BYTES, MAX_PUSH_STATE_BYTES, MessageType} from "./wire.ts";

/** How to frame an outgoing stream message. */
export interface StreamOptions {
  /** LZW-compress (memberlist compresses streams unconditionally when enabled). Default false. */
  compress?: boolean;
  /** Encrypt with the primary key; the receiver must have a matching keyring. */
  keyring?: Keyring;
  /** Encryption version, 1 (default, what serf sends) or 0 (padded). */
  encryptionVersion?: EncryptionVersion;
  /**
   * The cluster label (label.ts): part of the encrypted frame's AAD and, unless `reply`, written
   * first as `0xF4 | n | label`. At most 255 UTF-8 bytes (else EncodeError("label")). Default "".
   */
  label?: string;
  /** This message answers a request on an accepted connection: no label header (only the dialler sends one). Default false. */
  reply?: boolean;
  /**
   * The codec context whose memory of IPv4-mapped addresses applies (context.ts). Default: none
   * (IPv4 always as 4 bytes).
   */
  context?: CodecContext;
}

/** How to read an incoming stream. */
export interface StreamDecodeOptions {
  /** Decrypt encrypted streams with these keys. */
  keyring?: Keyring;
  /** Answer repeated push-pull node states from this memo instead of decoding them again. */
  memo?: GossipMemo;
  /**
   * memberlist's GossipVerifyIncoming (default true): with a keyring, a plaintext stream is
   * refused ("notEncrypted"). False accepts plaintext streams too.
   */
  verifyIncoming?: boolean;
  /**
   * Our cluster label (label.ts), part of the encrypted frame's AAD. Unless `reply`, the stream
   * must open with a header carrying exactly this label (none when ""), else
   * DecodeError("labelMismatch"). Default "".
   */
  label?: string;
  /** The bytes are the reply on a connection we dialled: no label header is expected. Default false. */
  reply?: boolean;
  /**
   * The codec context that remembers what decoding learns (context.ts). Default: the memo's, or
   * none (nothing remembered). A memo always decodes with its own context; give the same one.
   */
  context?: CodecContext;
}

/** What `decodeStream` found: one message, and how many input bytes it occupied. */
export interface DecodedStream {
  message: StreamMessage;
  consumed: number;
}

/** Bytes a stream may buffer before completing one message. */
export const STREAM_BUFFER_MAX = 2 * MAX_PUSH_STATE_BYTES;
/** Largest plaintext a compressed stream may expand to. */
const STREAM_DECOMPRESSED_MAX = MAX_PUSH_STATE_BYTES + 1024 * 1024;

/** The plain (uncompressed, unencrypted) bytes of a stream message. */
function plainStreamBytes(m: StreamMessage, context: CodecContext | undefined): Uint8Array {
  const ma = context?.mappedAddresses;
  let out: Uint8Array;
  switch (m.type) {
    case "pushPull":
      out = new Uint8Array(pushPullSize(m, ma));
      writePushPull(new MsgpackWriter(out), m, ma);
      return out;
    case "ping":
    case "ack":
      out = new Uint8Array(encodedSize(m, context));
      writeMessage(new MsgpackWriter(out), m, ma);
      return out;
    case "user":
      out = new Uint8Array(userStreamSize(m.payload));
      writeUserStream(new MsgpackWriter(out), m.payload);
      return out;
    case "err":
      out = new Uint8Array(errSize(m.error));
      writeErr(new MsgpackWriter(out), m.error);
      return out;
    default:
      throw new EncodeError("type", `unknown stream message type ${JSON.stringify((m as {type?: unknown}).type)}`);
  }
}

/**
 * Encodes one stream message with memberlist's framing: optionally compressed (always, when
 * asked, as Go does on TCP) and encrypted. Throws EncodeError for a message the wire cannot carry.
 */
export function encodeStream(m: StreamMessage, opts?: StreamOptions): Uint8Array {
  const label = labelBytes(opts?.label);
  const head = opts?.reply === true || label.length === 0 ? 0 : 2 + label.length;
  let buf = plainStreamBytes(m, opts?.context);
  if (opts?.compress === true) {
    const lz = lzwCompress(buf);
    const out = new Uint8Array(1 + compressBodySize(lz.length));
    writeCompress(new MsgpackWriter(out), lz);
    buf = out;
  }
  const keyring = opts?.keyring;
  if (keyring === undefined) {
    if (head === 0) return buf;
    const out = new Uint8Array(head + buf.length);
    out.set(buf, writeLabelHeader(out, 0, label));
    return out;
  }
  const version = opts?.encryptionVersion ?? 1;
  const len = encryptedLength(version, buf.length);
  if (len > MAX_PUSH_STATE_BYTES) {
    throw new EncodeError("message", `an encrypted stream is at most ${MAX_PUSH_STATE_BYTES} bytes, got ${len}`);
  }
  const out = new Uint8Array(head + ENCRYPT_STREAM_HEADER_BYTES + len);
  if (head > 0) writeLabelHeader(out, 0, label);
  out[head] = MessageType.Encrypt;
  out[head + 1] = len >>> 24;
  out[head + 2] = (len >>> 16) & 0xff;
  out[head + 3] = (len >>> 8) & 0xff;
  out[head + 4] = len & 0xff;
  const aad = streamAad(out.subarray(head, head + ENCRYPT_STREAM_HEADER_BYTES), label);
  encryptInto(keyring, version, buf, aad, out, head + ENCRYPT_STREAM_HEADER_BYTES);
  return out;
}

/** Reads the body of stream message `type` (after its type byte). */
function readStreamBody(
  r: MsgpackReader,
  type: number,
  memo: GossipMemo | undefined,
  ctx: CodecContext | undefined,
): StreamMessage {
  switch (type) {
    case MessageType.PushPull:
      return readPushPullBody(r, MAX_PUSH_STATE_BYTES, memo, ctx);
    case MessageType.Ping:
      return readPingBody(r, ctx);
    case MessageType.AckResp:
      return readAckBody(r) as StreamMessage;
    case MessageType.User: {
      const len = readUserMsgHeader(r, MAX_PUSH_STATE_BYTES);
      return {type: "user", payload: copyBytes(r.take(len))};
    }
    case MessageType.Err:
      return readErrBody(r);
    default:
      throw new DecodeError("unknownType", `message type ${type} cannot start a stream`);
  }
}

/** Decodes a complete plaintext (decrypted or decompressed) stream message. */
function decodeComplete(
  plain: Uint8Array,
  allowCompress: boolean,
  memo: GossipMemo | undefined,
  ctx: CodecContext | undefined,
): StreamMessage {
  if (plain.length === 0) throw new DecodeError("truncated", "empty stream payload");
  const type = plain[0] as number;
  const r = new MsgpackReader(plain, 1, plain.length, false);
  if (type === MessageType.Compress && allowCompress) {
    const inner = lzwDecompress(readCompress(r), STREAM_DECOMPRESSED_MAX);
    return decodeComplete(inner, false, memo, ctx);
  }
  return readStreamBody(r, type, memo, ctx);
}

/**
 * Decodes the stream message at the start of `bytes` (everything received so far). Returns
 * `undefined` if more bytes are needed, else the message and the number of bytes it used.
 * Throws only DecodeError (garbage, a plaintext stream when a keyring is configured, limits).
 */
export function decodeStream(input: Uint8Array, opts?: StreamDecodeOptions): DecodedStream | undefined {
  if (input.length === 0) return undefined;
  let skipped = 0;
  try {
    const label = labelBytes(opts?.label);
    let bytes = input;
    if (opts?.reply !== true) {
      const header = readLabelHeader(input, true);
      if (header === undefined) return undefined;
      checkLabel(header.label, label);
      skipped = header.offset;
      if (skipped > 0) {
        bytes = input.subarray(skipped);
        if (bytes.length === 0) return undefined;
      }
    }
    const type = bytes[0] as number;
    const keyring = opts?.keyring;
    const memo = opts?.memo;
    const ctx = opts?.context ?? memo?.context;
    if (type === MessageType.Encrypt) {
      if (keyring === undefined) {
        throw new DecodeError("decryptFailed", "remote state is encrypted and encryption is not configured");
      }
      if (bytes.length < ENCRYPT_STREAM_HEADER_BYTES) return undefined;
      const len =
        ((bytes[1] as number) * 0x1000000 +
          (((bytes[2] as number) << 16) | ((bytes[3] as number) << 8) | (bytes[4] as number))) >>>
        0;
      if (len > MAX_PUSH_STATE_BYTES) {
        throw new DecodeError("tooLarge", `encrypted stream of ${len} bytes exceeds ${MAX_PUSH_STATE_BYTES}`);
      }
      const consumed = ENCRYPT_STREAM_HEADER_BYTES + len;
      if (bytes.length < consumed) return undefined;
      const aad = streamAad(bytes.subarray(0, ENCRYPT_STREAM_HEADER_BYTES), label);
      const plain = decryptPayload(keyring, bytes.subarray(ENCRYPT_STREAM_HEADER_BYTES, consumed), aad);
      return {message: decodeComplete(plain, true, memo, ctx), consumed: skipped + consumed};
    }
    if (keyring !== undefined && opts?.verifyIncoming !== false) {
      throw new DecodeError("notEncrypted", "encryption is configured but remote state is not encrypted");
    }
    const r = new MsgpackReader(bytes, 1, bytes.length, true, STREAM_BUFFER_MAX);
    if (type === MessageType.Compress) {
      const lz = readCompress(r);
      const inner = lzwDecompress(lz, STREAM_DECOMPRESSED_MAX);
      return {message: decodeComplete(inner, false, memo, ctx), consumed: skipped + r.pos};
    }
    const message = readStreamBody(r, type, memo, ctx);
    return {message, consumed: skipped + r.pos};
  } catch (e) {
    if (e === NEED_MORE) {
      if (input.length > STREAM_BUFFER_MAX) {
        throw new DecodeError("tooLarge", `stream buffered ${input.length} bytes without completing a message`);
      }
      return undefined;
    }
    if (e instanceof DecodeError) throw e;
    throw new DecodeError("badField", `unexpected decoder failure: ${String(e)}`, {cause: e});
  }
}
