/*
 * Core messages → memberlist bytes: one type byte + a msgpack body exactly as go-msgpack 0.5.5
 * writes the Go struct (docs/memberlist-wire.md §4.2, §5), so our packets are byte-identical to a Go peer's.
 *
 * Every encoder runs in two passes over the message: `sizeOf*` validates the fields and computes
 * the exact byte count (no allocation for IPv4 and ASCII names), then `write*` fills a buffer of
 * that size. `encodedSize` is the first pass alone; compound and stream encoders write every
 * part straight into the final buffer.
 *
 * Fields are written in Go's sorted key order with Go's forms (see msgpack-writer.ts for why
 * this is hand-written rather than msgpackr). Mapping rules:
 *   - empty `payload`/`meta` → nil (c0), like Go's nil slice;
 *   - `source` absent → SourceAddr/SourcePort omitted (`omitempty`), `sourceNode` "" → omitted;
 *     a source port of 0 is omitted too (Go's omitempty on uint16);
 *   - IPv4 hosts → 4 bytes, IPv6 → 16 (address.ts; remembered IPv4-mapped hosts → 16);
 *   - Vsn → a 6-byte raw string (`a6 …`), never an array.
 * Everything §10 lists as crashing a Go peer is refused with EncodeError: a Vsn that is not 6
 * bytes, integers out of their Go type's range, meta over 512 bytes, bad addresses.
 */
import type {Address, EncodeOnce, Message, PushNodeState, PushPullMessage, Vsn} from "../core/index.ts";
import {HOST_SCRATCH, type MappedAddresses, parseHostToScratch} from "./address.ts";
import type {CodecContext} from "./context.ts";
import {EncodeError} from "./errors.ts";
import {
  allocOutput,
  assertFilled,
  bytesSize,
  MsgpackWriter,
  rawHeaderSize,
  strSize,
  uintSize,
} from "./msgpack-writer.ts";
import {
  KEY,
  LZW_ALGO,
  MEMBER_STATE_CODES,
  META_MAX_SIZE,
  MessageType,
  UINT8_MAX,
  UINT16_MAX,
  UINT32_MAX,
} from "./wire.ts";

function isUint(v: number, max: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= max;
}

// Field names are passed as constants and only formatted when a check fails (no per-call strings).
function checkUint(field: string, v: number, max: number): void {
  if (!isUint(v, max)) throw new EncodeError(field, `must be an integer in 0..${max}, got ${v}`);
}

function checkVsn(field: string, vsn: Vsn): void {
  if (vsn.length !== 6) throw new EncodeError(field, `must have exactly 6 entries, got ${vsn.length}`);
  for (let i = 0; i < 6; i++) {
    if (!isUint(vsn[i] as number, UINT8_MAX)) {
      throw new EncodeError(`${field}[${i}]`, `must be an integer in 0..${UINT8_MAX}, got ${vsn[i]}`);
    }
  }
}

function checkMeta(field: string, meta: Uint8Array): void {
  if (meta.length > META_MAX_SIZE) {
    throw new EncodeError(field, `must be at most ${META_MAX_SIZE} bytes (memberlist MetaMaxSize), got ${meta.length}`);
  }
}

/** Bytes of an address's raw form (header + 4 or 16 bytes); validates host and port. */
function addrSize(field: string, a: Address, ma: MappedAddresses | undefined): number {
  const n = parseHostToScratch(a.host, a.port, ma);
  if (n === 0) throw new EncodeError(`${field}.host`, `must be an IPv4 or IPv6 literal, got ${JSON.stringify(a.host)}`);
  if (!isUint(a.port, UINT16_MAX))
    throw new EncodeError(`${field}.port`, `must be an integer in 0..65535, got ${a.port}`);
  return 1 + n;
}

function writeAddr(w: MsgpackWriter, a: Address, ma: MappedAddresses | undefined): void {
  const n = parseHostToScratch(a.host, a.port, ma);
  w.rawHeader(n);
  const buf = w.buf;
  let p = w.pos;
  for (let i = 0; i < n; i++) buf[p++] = HOST_SCRATCH[i] as number;
  w.pos = p;
}

function writeVsn(w: MsgpackWriter, vsn: Vsn): void {
  const buf = w.buf;
  let p = w.pos;
  buf[p++] = 0xa6;
  for (let i = 0; i < 6; i++) buf[p++] = vsn[i] as number;
  w.pos = p;
}

/** Size of a ping or indirect-ping's optional Source* fields, and how many keys they add. */
function sourceSize(
  field: string,
  source: Address | undefined,
  sourceNode: string | undefined,
  ma: MappedAddresses | undefined,
): number {
  let size = 0;
  if (source !== undefined) {
    size += KEY.SourceAddr.length + addrSize(field, source, ma);
    if (source.port !== 0) size += KEY.SourcePort.length + uintSize(source.port);
  }
  if (sourceNode !== undefined && sourceNode !== "") size += KEY.SourceNode.length + strSize(sourceNode);
  return size;
}

function sourceKeys(source: Address | undefined, sourceNode: string | undefined): number {
  let n = 0;
  if (source !== undefined) n += source.port !== 0 ? 2 : 1;
  if (sourceNode !== undefined && sourceNode !== "") n += 1;
  return n;
}

/** Writes SourceAddr, SourceNode, SourcePort (sorted, omitempty). */
function writeSource(
  w: MsgpackWriter,
  source: Address | undefined,
  sourceNode: string | undefined,
  ma: MappedAddresses | undefined,
): void {
  if (source !== undefined) {
    w.raw(KEY.SourceAddr);
    writeAddr(w, source, ma);
  }
  if (sourceNode !== undefined && sourceNode !== "") {
    w.raw(KEY.SourceNode);
    w.str(sourceNode);
  }
  if (source !== undefined && source.port !== 0) {
    w.raw(KEY.SourcePort);
    w.uint(source.port);
  }
}

/**
 * Size of the fields an alive message and a push-pull state share, in Go's sorted order: Addr,
 * Incarnation, Meta, the node's name under `nameKey` (Node or Name), Port. Validates the address;
 * the caller has checked the rest.
 */
function nodeFieldsSize(
  nameKey: Uint8Array,
  addr: Address,
  incarnation: number,
  meta: Uint8Array,
  name: string,
  ma: MappedAddresses | undefined,
): number {
  return (
    KEY.Addr.length +
    addrSize("addr", addr, ma) +
    KEY.Incarnation.length +
    uintSize(incarnation) +
    KEY.Meta.length +
    bytesSize(meta) +
    nameKey.length +
    strSize(name) +
    KEY.Port.length +
    uintSize(addr.port)
  );
}

/** Writes the fields `nodeFieldsSize` counts. */
function writeNodeFields(
  w: MsgpackWriter,
  nameKey: Uint8Array,
  addr: Address,
  incarnation: number,
  meta: Uint8Array,
  name: string,
  ma: MappedAddresses | undefined,
): void {
  w.raw(KEY.Addr);
  writeAddr(w, addr, ma);
  w.raw(KEY.Incarnation);
  w.uint(incarnation);
  w.raw(KEY.Meta);
  w.bytes(meta);
  w.raw(nameKey);
  w.str(name);
  w.raw(KEY.Port);
  w.uint(addr.port);
}

/**
 * Validates `m` and returns the exact number of bytes `encodeMessage(m)` produces (type byte
 * included). Throws EncodeError for a message the wire cannot carry. Allocates nothing for IPv4
 * addresses.
 */
export function encodedSize(m: Message, context?: CodecContext): number {
  const ma = context?.mappedAddresses;
  if (m.type === "alive" || m.type === "suspect" || m.type === "dead") return gossipBytes(m, ma).length;
  return freshSize(m, ma);
}

// Encode-once for gossip: a message with a `wire` slot (EncodeOnce, core/messages.ts) keeps its bytes there
// after its first encoding, so an update relayed in retransmitLimit packets is encoded once, as
// memberlist does. Messages without the slot are encoded every time.
type GossipMessage = Extract<Message, {type: "alive" | "suspect" | "dead"}>;

function gossipBytes(m: GossipMessage, ma: MappedAddresses | undefined): Uint8Array {
  return m.wire ?? encodeOnce(m, freshSize(m, ma), writeFresh, m.type, ma);
}

/** Encodes `value` (of `size` bytes) into a fresh buffer, and keeps it in its slot if it has one. */
function encodeOnce<T extends EncodeOnce>(
  value: T,
  size: number,
  write: (w: MsgpackWriter, value: T, ma: MappedAddresses | undefined) => void,
  what: string,
  ma: MappedAddresses | undefined,
): Uint8Array {
  const bytes = allocOutput(size);
  const w = new MsgpackWriter(bytes);
  write(w, value, ma);
  assertFilled(w, what);
  if ("wire" in value) value.wire = bytes;
  return bytes;
}

function freshSize(m: Message, ma: MappedAddresses | undefined): number {
  switch (m.type) {
    case "ping":
      checkUint("seqNo", m.seqNo, UINT32_MAX);
      return (
        2 +
        KEY.Node.length +
        strSize(m.node) +
        KEY.SeqNo.length +
        uintSize(m.seqNo) +
        sourceSize("source", m.source, m.sourceNode, ma)
      );
    case "indirectPing":
      checkUint("seqNo", m.seqNo, UINT32_MAX);
      return (
        2 +
        KEY.Nack.length +
        1 +
        KEY.Node.length +
        strSize(m.node) +
        KEY.Port.length +
        uintSize(m.target.port) +
        KEY.SeqNo.length +
        uintSize(m.seqNo) +
        sourceSize("source", m.source, m.sourceNode, ma) +
        KEY.Target.length +
        addrSize("target", m.target, ma)
      );
    case "ack":
      checkUint("seqNo", m.seqNo, UINT32_MAX);
      return 2 + KEY.Payload.length + bytesSize(m.payload) + KEY.SeqNo.length + uintSize(m.seqNo);
    case "nack":
      checkUint("seqNo", m.seqNo, UINT32_MAX);
      return 2 + KEY.SeqNo.length + uintSize(m.seqNo);
    case "suspect":
    case "dead":
      checkUint("incarnation", m.incarnation, UINT32_MAX);
      return (
        2 +
        KEY.From.length +
        strSize(m.from) +
        KEY.Incarnation.length +
        uintSize(m.incarnation) +
        KEY.Node.length +
        strSize(m.node)
      );
    case "alive":
      checkUint("incarnation", m.incarnation, UINT32_MAX);
      checkMeta("meta", m.meta);
      checkVsn("vsn", m.vsn);
      return 2 + nodeFieldsSize(KEY.Node, m.addr, m.incarnation, m.meta, m.node, ma) + KEY.Vsn.length + 7;
    case "user":
      return 1 + m.payload.length;
    default:
      return unknownMessage(m);
  }
}

function unknownMessage(m: never): never {
  throw new EncodeError("type", `unknown message type ${JSON.stringify((m as {type?: unknown}).type)}`);
}

/** Writes `m` (type byte + body) at `w.pos`. The caller sized the buffer with `encodedSize`. */
export function writeMessage(w: MsgpackWriter, m: Message, ma: MappedAddresses | undefined): void {
  if (m.type === "alive" || m.type === "suspect" || m.type === "dead") w.raw(gossipBytes(m, ma));
  else writeFresh(w, m, ma);
}

function writeFresh(w: MsgpackWriter, m: Message, ma: MappedAddresses | undefined): void {
  switch (m.type) {
    case "ping":
      w.byte(MessageType.Ping);
      w.mapHeader(2 + sourceKeys(m.source, m.sourceNode));
      w.raw(KEY.Node);
      w.str(m.node);
      w.raw(KEY.SeqNo);
      w.uint(m.seqNo);
      writeSource(w, m.source, m.sourceNode, ma);
      return;
    case "indirectPing":
      w.byte(MessageType.IndirectPing);
      w.mapHeader(5 + sourceKeys(m.source, m.sourceNode));
      w.raw(KEY.Nack);
      w.bool(m.nack);
      w.raw(KEY.Node);
      w.str(m.node);
      w.raw(KEY.Port);
      w.uint(m.target.port);
      w.raw(KEY.SeqNo);
      w.uint(m.seqNo);
      writeSource(w, m.source, m.sourceNode, ma);
      w.raw(KEY.Target);
      writeAddr(w, m.target, ma);
      return;
    case "ack":
      w.byte(MessageType.AckResp);
      w.mapHeader(2);
      w.raw(KEY.Payload);
      w.bytes(m.payload);
      w.raw(KEY.SeqNo);
      w.uint(m.seqNo);
      return;
    case "nack":
      w.byte(MessageType.NackResp);
      w.mapHeader(1);
      w.raw(KEY.SeqNo);
      w.uint(m.seqNo);
      return;
    case "suspect":
    case "dead":
      w.byte(m.type === "suspect" ? MessageType.Suspect : MessageType.Dead);
      w.mapHeader(3);
      w.raw(KEY.From);
      w.str(m.from);
      w.raw(KEY.Incarnation);
      w.uint(m.incarnation);
      w.raw(KEY.Node);
      w.str(m.node);
      return;
    case "alive":
      w.byte(MessageType.Alive);
      w.mapHeader(6);
      writeNodeFields(w, KEY.Node, m.addr, m.incarnation, m.meta, m.node, ma);
      w.raw(KEY.Vsn);
      writeVsn(w, m.vsn);
      return;
    case "user":
      w.byte(MessageType.User);
      w.raw(m.payload);
      return;
    default:
      unknownMessage(m);
  }
}

/**
 * Encodes one message: the type byte followed by its msgpack body (a user message is `0x08` +
 * raw payload). Throws EncodeError if a field cannot be put on the wire.
 *
 * Like every small encoder output, the result may be a view on a shared slab (see
 * `allocOutput`): use `byteOffset`/`byteLength`, never transfer or detach its `.buffer`, and copy
 * it (`slice()`) if it is kept for long.
 */
export function encodeMessage(m: Message, context?: CodecContext): Uint8Array {
  const out = allocOutput(encodedSize(m, context));
  const w = new MsgpackWriter(out);
  writeMessage(w, m, context?.mappedAddresses);
  assertFilled(w, m.type);
  return out;
}

// ---- stream bodies (docs/memberlist-wire.md §5.9–5.11, §6.2, §6.6) ----

function pushNodeStateSize(i: number, s: PushNodeState, ma: MappedAddresses | undefined): number {
  try {
    checkUint("incarnation", s.incarnation, UINT32_MAX);
    checkMeta("meta", s.meta);
    checkVsn("vsn", s.vsn);
    if (MEMBER_STATE_CODES[s.state] === undefined)
      throw new EncodeError("state", "must be alive, suspect, dead or left");
    return (
      1 +
      nodeFieldsSize(KEY.Name, s.addr, s.incarnation, s.meta, s.name, ma) +
      KEY.State.length +
      1 +
      KEY.Vsn.length +
      7
    );
  } catch (e) {
    // Name the offending state only on failure, so the common path builds no strings.
    if (e instanceof EncodeError) throw new EncodeError(`states[${i}].${e.field}`, e.message, {cause: e});
    throw e;
  }
}

/** Bytes of a push-pull stream message: `0x06` + header + N states + user state. */
export function pushPullSize(m: PushPullMessage, ma: MappedAddresses | undefined): number {
  let size =
    1 +
    1 +
    KEY.Join.length +
    1 +
    KEY.Nodes.length +
    uintSize(m.states.length) +
    KEY.UserStateLen.length +
    uintSize(m.userState.length) +
    m.userState.length;
  for (let i = 0; i < m.states.length; i++) {
    const s = m.states[i] as PushNodeState;
    if (s.wire !== undefined) size += s.wire.length;
    else if ("wire" in s)
      size += encodeOnce(s, pushNodeStateSize(i, s, ma), writePushNodeState, "push-pull state", ma).length;
    else size += pushNodeStateSize(i, s, ma);
  }
  return size;
}

function writePushNodeState(w: MsgpackWriter, s: PushNodeState, ma: MappedAddresses | undefined): void {
  w.mapHeader(7);
  writeNodeFields(w, KEY.Name, s.addr, s.incarnation, s.meta, s.name, ma);
  w.raw(KEY.State);
  w.uint(MEMBER_STATE_CODES[s.state]);
  w.raw(KEY.Vsn);
  writeVsn(w, s.vsn);
}

/** Writes a push-pull stream message sized by `pushPullSize`. */
export function writePushPull(w: MsgpackWriter, m: PushPullMessage, ma: MappedAddresses | undefined): void {
  w.byte(MessageType.PushPull);
  w.mapHeader(3);
  w.raw(KEY.Join);
  w.bool(m.join);
  w.raw(KEY.Nodes);
  w.uint(m.states.length);
  w.raw(KEY.UserStateLen);
  w.uint(m.userState.length);
  for (const s of m.states) {
    if (s.wire !== undefined) w.raw(s.wire);
    else writePushNodeState(w, s, ma);
  }
  w.raw(m.userState);
}

/** Bytes of a stream user message: `0x08` + userMsgHeader + raw payload. */
export function userStreamSize(payload: Uint8Array): number {
  return 1 + 1 + KEY.UserMsgLen.length + uintSize(payload.length) + payload.length;
}

export function writeUserStream(w: MsgpackWriter, payload: Uint8Array): void {
  w.byte(MessageType.User);
  w.mapHeader(1);
  w.raw(KEY.UserMsgLen);
  w.uint(payload.length);
  w.raw(payload);
}

/** Bytes of an errResp stream message: `0x0D` + {Error}. */
export function errSize(error: string): number {
  return 2 + KEY.Error.length + strSize(error);
}

export function writeErr(w: MsgpackWriter, error: string): void {
  w.byte(MessageType.Err);
  w.mapHeader(1);
  w.raw(KEY.Error);
  w.str(error);
}

/** Bytes of the body of a `compress` wrapper (without the type byte) around `buf`. */
export function compressBodySize(bufLength: number): number {
  return 1 + KEY.Algo.length + 1 + KEY.Buf.length + rawHeaderSize(bufLength) + bufLength;
}

/** Writes `0x09` + compress{Algo: 0, Buf}. */
export function writeCompress(w: MsgpackWriter, buf: Uint8Array): void {
  w.byte(MessageType.Compress);
  w.mapHeader(2);
  w.raw(KEY.Algo);
  w.uint(LZW_ALGO);
  w.raw(KEY.Buf);
  w.rawBytes(buf);
}
