/*
 * memberlist bytes → core messages. Reads each Go struct into its wire shape (Go field names,
 * wire.ts), validates it, and maps it to the core's camelCase message (docs/memberlist-wire.md §5).
 *
 * Validation (a peer's bad bytes become DecodeError, never a crash or a corrupt member table):
 *   - integer fields must fit their Go type (SeqNo/Incarnation uint32, Port uint16, Algo uint8);
 *   - Vsn must be exactly 6 bytes (Go would panic on 1–5, docs/memberlist-wire.md §10; 0 cannot be represented);
 *   - Meta at most 512 bytes (META_MAX_SIZE); addresses 4 or 16 bytes;
 *   - missing keys take Go's zero values, unknown keys are skipped (Go's ErrorIfNoField = false).
 * Byte fields (meta, payload, user state) are copied, so results never alias the input buffer.
 * A ping or indirect ping gets `source` whenever SourceAddr is non-empty; its port is 0 when
 * SourcePort is absent, and memberlist then replies to the UDP source instead — the core decides.
 * See msgpack-reader.ts for why the reader is hand-written rather than @msgpack/msgpack.
 */
import type {
  Address,
  AliveMessage,
  ErrMessage,
  Message,
  PingMessage,
  PushNodeState,
  PushPullMessage,
  Vsn,
} from "../core/index.ts";
import {bytesToHost} from "./address.ts";
import {type CodecContext, freezeVsn} from "./context.ts";
import {DecodeError} from "./errors.ts";
import type {GossipMemo} from "./gossip-memo.ts";
import {copyBytes, MsgpackReader} from "./msgpack-reader.ts";
import {
  LZW_ALGO,
  MEMBER_STATES,
  META_MAX_SIZE,
  MessageType,
  PUSH_NODES_MAX,
  UINT8_MAX,
  UINT16_MAX,
  UINT32_MAX,
  type WireAlive,
  type WireCompress,
  type WireIndirectPingReq,
  type WirePing,
  type WirePushNodeState,
  type WirePushPullHeader,
} from "./wire.ts";

const EMPTY = new Uint8Array(0);

function toAddress(field: string, ip: Uint8Array, port: number, ctx: CodecContext | undefined): Address {
  const host = bytesToHost(ip, port, ctx?.mappedAddresses);
  if (host === undefined) throw new DecodeError("badField", `${field}: an IP must be 4 or 16 bytes, got ${ip.length}`);
  return {host, port};
}

function toVsn(field: string, v: Uint8Array, ctx: CodecContext | undefined): Vsn {
  if (v.length !== 6) throw new DecodeError("badField", `${field}: Vsn must be exactly 6 bytes, got ${v.length}`);
  return ctx === undefined ? freezeVsn(v) : ctx.vsn(v);
}

function checkMeta(field: string, meta: Uint8Array): Uint8Array {
  if (meta.length > META_MAX_SIZE) {
    throw new DecodeError("badField", `${field}: meta is ${meta.length} bytes, more than ${META_MAX_SIZE}`);
  }
  // Empty meta (every non-serf member) shares one zero-length array instead of allocating one per message.
  return meta.length === 0 ? EMPTY : copyBytes(meta);
}

function readPing(r: MsgpackReader): WirePing {
  const w: WirePing = {Node: "", SeqNo: 0, SourceAddr: EMPTY, SourceNode: "", SourcePort: 0};
  for (let n = r.mapHeader("ping"); n > 0; n--) {
    switch (r.key()) {
      case "Node":
        w.Node = r.string("ping.Node");
        break;
      case "SeqNo":
        w.SeqNo = r.uint("ping.SeqNo", UINT32_MAX);
        break;
      case "SourceAddr":
        w.SourceAddr = r.bytes("ping.SourceAddr");
        break;
      case "SourceNode":
        w.SourceNode = r.string("ping.SourceNode");
        break;
      case "SourcePort":
        w.SourcePort = r.uint("ping.SourcePort", UINT16_MAX);
        break;
      default:
        r.skip();
    }
  }
  return w;
}

function pingFromWire(w: WirePing, ctx: CodecContext | undefined): PingMessage {
  const hasSource = w.SourceAddr.length > 0;
  const hasNode = w.SourceNode !== "";
  if (!hasSource && !hasNode) return {type: "ping", seqNo: w.SeqNo, node: w.Node};
  if (!hasNode) {
    return {
      type: "ping",
      seqNo: w.SeqNo,
      node: w.Node,
      source: toAddress("ping.SourceAddr", w.SourceAddr, w.SourcePort, ctx),
    };
  }
  if (!hasSource) return {type: "ping", seqNo: w.SeqNo, node: w.Node, sourceNode: w.SourceNode};
  return {
    type: "ping",
    seqNo: w.SeqNo,
    node: w.Node,
    source: toAddress("ping.SourceAddr", w.SourceAddr, w.SourcePort, ctx),
    sourceNode: w.SourceNode,
  };
}

function readIndirectPing(r: MsgpackReader, ctx: CodecContext | undefined): Message {
  const w: WireIndirectPingReq = {
    Nack: false,
    Node: "",
    Port: 0,
    SeqNo: 0,
    SourceAddr: EMPTY,
    SourceNode: "",
    SourcePort: 0,
    Target: EMPTY,
  };
  for (let n = r.mapHeader("indirectPingReq"); n > 0; n--) {
    switch (r.key()) {
      case "Nack":
        w.Nack = r.bool("indirectPingReq.Nack");
        break;
      case "Node":
        w.Node = r.string("indirectPingReq.Node");
        break;
      case "Port":
        w.Port = r.uint("indirectPingReq.Port", UINT16_MAX);
        break;
      case "SeqNo":
        w.SeqNo = r.uint("indirectPingReq.SeqNo", UINT32_MAX);
        break;
      case "SourceAddr":
        w.SourceAddr = r.bytes("indirectPingReq.SourceAddr");
        break;
      case "SourceNode":
        w.SourceNode = r.string("indirectPingReq.SourceNode");
        break;
      case "SourcePort":
        w.SourcePort = r.uint("indirectPingReq.SourcePort", UINT16_MAX);
        break;
      case "Target":
        w.Target = r.bytes("indirectPingReq.Target");
        break;
      default:
        r.skip();
    }
  }
  const target = toAddress("indirectPingReq.Target", w.Target, w.Port, ctx);
  const base = {type: "indirectPing" as const, seqNo: w.SeqNo, target, node: w.Node, nack: w.Nack};
  const hasSource = w.SourceAddr.length > 0;
  const hasNode = w.SourceNode !== "";
  if (!hasSource && !hasNode) return base;
  if (!hasNode) return {...base, source: toAddress("indirectPingReq.SourceAddr", w.SourceAddr, w.SourcePort, ctx)};
  if (!hasSource) return {...base, sourceNode: w.SourceNode};
  return {
    ...base,
    source: toAddress("indirectPingReq.SourceAddr", w.SourceAddr, w.SourcePort, ctx),
    sourceNode: w.SourceNode,
  };
}

function readAck(r: MsgpackReader): Message {
  let payload: Uint8Array = EMPTY;
  let seqNo = 0;
  for (let n = r.mapHeader("ackResp"); n > 0; n--) {
    switch (r.key()) {
      case "Payload":
        payload = r.bytes("ackResp.Payload");
        break;
      case "SeqNo":
        seqNo = r.uint("ackResp.SeqNo", UINT32_MAX);
        break;
      default:
        r.skip();
    }
  }
  return {type: "ack", seqNo, payload: copyBytes(payload)};
}

function readNack(r: MsgpackReader): Message {
  let seqNo = 0;
  for (let n = r.mapHeader("nackResp"); n > 0; n--) {
    if (r.key() === "SeqNo") seqNo = r.uint("nackResp.SeqNo", UINT32_MAX);
    else r.skip();
  }
  return {type: "nack", seqNo};
}

const FIELD_NAMES = {
  suspect: {From: "suspect.From", Incarnation: "suspect.Incarnation", Node: "suspect.Node"},
  dead: {From: "dead.From", Incarnation: "dead.Incarnation", Node: "dead.Node"},
} as const;

function readSuspectOrDead(r: MsgpackReader, type: "suspect" | "dead"): Message {
  const names = FIELD_NAMES[type];
  let from = "";
  let incarnation = 0;
  let node = "";
  for (let n = r.mapHeader(type); n > 0; n--) {
    switch (r.key()) {
      case "From":
        from = r.string(names.From);
        break;
      case "Incarnation":
        incarnation = r.uint(names.Incarnation, UINT32_MAX);
        break;
      case "Node":
        node = r.string(names.Node);
        break;
      default:
        r.skip();
    }
  }
  return {type, incarnation, node, from};
}

function readAlive(r: MsgpackReader, ctx: CodecContext | undefined): AliveMessage {
  const w: WireAlive = {Addr: EMPTY, Incarnation: 0, Meta: EMPTY, Node: "", Port: 0, Vsn: EMPTY};
  for (let n = r.mapHeader("alive"); n > 0; n--) {
    switch (r.key()) {
      case "Addr":
        w.Addr = r.bytes("alive.Addr");
        break;
      case "Incarnation":
        w.Incarnation = r.uint("alive.Incarnation", UINT32_MAX);
        break;
      case "Meta":
        w.Meta = r.bytes("alive.Meta");
        break;
      case "Node":
        w.Node = r.string("alive.Node");
        break;
      case "Port":
        w.Port = r.uint("alive.Port", UINT16_MAX);
        break;
      case "Vsn":
        w.Vsn = r.bytes("alive.Vsn");
        break;
      default:
        r.skip();
    }
  }
  return {
    type: "alive",
    incarnation: w.Incarnation,
    node: w.Node,
    addr: toAddress("alive.Addr", w.Addr, w.Port, ctx),
    meta: checkMeta("alive.Meta", w.Meta),
    vsn: toVsn("alive.Vsn", w.Vsn, ctx),
  };
}

/**
 * Decodes one message (type byte + body) from `bytes[start..end)`; trailing bytes after the body are
 * ignored, as Go's decoder does. Compound and
 * compress wrappers are not messages; compound.ts unwraps them. Throws DecodeError.
 */
export function decodeMessage(bytes: Uint8Array, start = 0, end = bytes.length, context?: CodecContext): Message {
  if (start >= end) throw new DecodeError("truncated", "empty message");
  const type = bytes[start] as number;
  if (type === MessageType.User) return {type: "user", payload: copyBytes(bytes, start + 1, end)};
  const r = new MsgpackReader(bytes, start + 1, end);
  // Like Go's decoder, bytes after the body are ignored.
  return decodeBody(r, type, context);
}

/** Decodes the msgpack body of a datagram message of `type` (not user/compound/compress). */
function decodeBody(r: MsgpackReader, type: number, ctx: CodecContext | undefined): Message {
  switch (type) {
    case MessageType.Ping:
      return pingFromWire(readPing(r), ctx);
    case MessageType.IndirectPing:
      return readIndirectPing(r, ctx);
    case MessageType.AckResp:
      return readAck(r);
    case MessageType.NackResp:
      return readNack(r);
    case MessageType.Suspect:
      return readSuspectOrDead(r, "suspect");
    case MessageType.Alive:
      return readAlive(r, ctx);
    case MessageType.Dead:
      return readSuspectOrDead(r, "dead");
    default:
      throw new DecodeError("unknownType", `message type ${type} cannot appear in a datagram`);
  }
}

// ---- stream bodies, read from a (possibly streaming) reader ----

/** Reads a ping body. */
export function readPingBody(r: MsgpackReader, ctx: CodecContext | undefined): PingMessage {
  return pingFromWire(readPing(r), ctx);
}

/** Reads an ackResp body. */
export function readAckBody(r: MsgpackReader): Message {
  return readAck(r);
}

/** Reads an errResp body. */
export function readErrBody(r: MsgpackReader): ErrMessage {
  let error = "";
  for (let n = r.mapHeader("errResp"); n > 0; n--) {
    if (r.key() === "Error") error = r.string("errResp.Error");
    else r.skip();
  }
  return {type: "err", error};
}

/** Reads a userMsgHeader and returns UserMsgLen. */
export function readUserMsgHeader(r: MsgpackReader, max: number): number {
  let len = 0;
  for (let n = r.mapHeader("userMsgHeader"); n > 0; n--) {
    if (r.key() === "UserMsgLen") len = r.int("userMsgHeader.UserMsgLen");
    else r.skip();
  }
  if (len < 0) throw new DecodeError("badField", `userMsgHeader.UserMsgLen is negative (${len})`);
  if (len > max) throw new DecodeError("tooLarge", `userMsgHeader.UserMsgLen ${len} exceeds ${max}`);
  return len;
}

/** Reads a pushPullHeader, validating Nodes and UserStateLen. */
function readPushPullHeader(r: MsgpackReader, maxBytes: number): WirePushPullHeader {
  const h: WirePushPullHeader = {Join: false, Nodes: 0, UserStateLen: 0};
  for (let n = r.mapHeader("pushPullHeader"); n > 0; n--) {
    switch (r.key()) {
      case "Join":
        h.Join = r.bool("pushPullHeader.Join");
        break;
      case "Nodes":
        h.Nodes = r.int("pushPullHeader.Nodes");
        break;
      case "UserStateLen":
        h.UserStateLen = r.int("pushPullHeader.UserStateLen");
        break;
      default:
        r.skip();
    }
  }
  if (h.Nodes < 0 || h.Nodes > PUSH_NODES_MAX) {
    throw new DecodeError(
      h.Nodes < 0 ? "badField" : "tooLarge",
      `pushPullHeader.Nodes ${h.Nodes} outside 0..${PUSH_NODES_MAX}`,
    );
  }
  if (h.UserStateLen < 0 || h.UserStateLen > maxBytes) {
    throw new DecodeError(
      h.UserStateLen < 0 ? "badField" : "tooLarge",
      `pushPullHeader.UserStateLen ${h.UserStateLen} outside 0..${maxBytes}`,
    );
  }
  return h;
}

/** Reads one pushNodeState. */
function readPushNodeState(r: MsgpackReader, ctx: CodecContext | undefined): PushNodeState {
  const w: WirePushNodeState = {Addr: EMPTY, Incarnation: 0, Meta: EMPTY, Name: "", Port: 0, State: 0, Vsn: EMPTY};
  for (let n = r.mapHeader("pushNodeState"); n > 0; n--) {
    switch (r.key()) {
      case "Addr":
        w.Addr = r.bytes("pushNodeState.Addr");
        break;
      case "Incarnation":
        w.Incarnation = r.uint("pushNodeState.Incarnation", UINT32_MAX);
        break;
      case "Meta":
        w.Meta = r.bytes("pushNodeState.Meta");
        break;
      case "Name":
        w.Name = r.string("pushNodeState.Name");
        break;
      case "Port":
        w.Port = r.uint("pushNodeState.Port", UINT16_MAX);
        break;
      case "State":
        w.State = r.int("pushNodeState.State");
        break;
      case "Vsn":
        w.Vsn = r.bytes("pushNodeState.Vsn");
        break;
      default:
        r.skip();
    }
  }
  const state = MEMBER_STATES[w.State];
  if (state === undefined) throw new DecodeError("badField", `pushNodeState.State ${w.State} is not 0..3`);
  return {
    name: w.Name,
    addr: toAddress("pushNodeState.Addr", w.Addr, w.Port, ctx),
    incarnation: w.Incarnation,
    meta: checkMeta("pushNodeState.Meta", w.Meta),
    state,
    vsn: toVsn("pushNodeState.Vsn", w.Vsn, ctx),
  };
}

/** Reads a push-pull body (header, states, user state) after the `0x06` type byte. */
export function readPushPullBody(
  r: MsgpackReader,
  maxBytes: number,
  memo: GossipMemo | undefined,
  ctx: CodecContext | undefined,
): PushPullMessage {
  const h = readPushPullHeader(r, maxBytes);
  const states: PushNodeState[] = [];
  if (memo === undefined) {
    for (let i = 0; i < h.Nodes; i++) states.push(readPushNodeState(r, ctx));
  } else {
    // A repeated state is found by its leading bytes: neither walked nor decoded again.
    for (let i = 0; i < h.Nodes; i++) states.push(memo.decodeStateAt(r, readPushNodeState));
  }
  const userState = copyBytes(r.take(h.UserStateLen));
  return {type: "pushPull", join: h.Join, states, userState};
}

/** Reads a `compress` struct and checks its algorithm. Returns the LZW bytes (a view). */
export function readCompress(r: MsgpackReader): Uint8Array {
  const c: WireCompress = {Algo: 0, Buf: EMPTY};
  for (let n = r.mapHeader("compress"); n > 0; n--) {
    switch (r.key()) {
      case "Algo":
        c.Algo = r.uint("compress.Algo", UINT8_MAX);
        break;
      case "Buf":
        c.Buf = r.bytes("compress.Buf");
        break;
      default:
        r.skip();
    }
  }
  if (c.Algo !== LZW_ALGO) throw new DecodeError("badCompression", `unknown compression algorithm ${c.Algo}`);
  return c.Buf;
}
