/*
 * memberlist 0.2.2's wire vocabulary (docs/memberlist-wire.md §2, §5): message type bytes, size limits, the Go
 * structs as they appear in msgpack (Go field names, in the sorted order go-msgpack writes them),
 * and the member-state numbers. Only src/codec knows these names; the core speaks camelCase.
 *
 * Why sorted keys: go-msgpack's `getTypeInfo` sorts struct fields by name and `kStruct` writes
 * maps in that order (codec/helper.go, codec/encode.go), not in declaration order. Go does not
 * care about order when decoding, but writing the same order makes our bytes identical to Go's.
 */
import type {MemberState} from "../core/index.ts";
import {internKeys} from "./msgpack-reader.ts";
import {keyBytes} from "./msgpack-writer.ts";

// WARNING: append-only. Values are memberlist's `messageType` iota (net.go) and are part of the
// protocol; renumbering any of them breaks compatibility with every Go peer.
export const MessageType = {
  Ping: 0,
  IndirectPing: 1,
  AckResp: 2,
  Suspect: 3,
  Alive: 4,
  Dead: 5,
  PushPull: 6,
  Compound: 7,
  User: 8,
  Compress: 9,
  Encrypt: 10,
  NackResp: 11,
  HasCrc: 12,
  Err: 13,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

// META_MAX_SIZE and the compound framing limits are the core's (core/wire-limits.ts): the core's
// budgets need them and it may not import the codec. They are re-exported here for the codec.
export {COMPOUND_HEADER_OVERHEAD, COMPOUND_PART_OVERHEAD, COMPOUND_PARTS_MAX, META_MAX_SIZE} from "../core/index.ts";
/** Largest part length a compound can carry (uint16 length prefix). */
export const COMPOUND_PART_BYTES_MAX = 0xffff;
/** `maxPushStateBytes`: a peer refuses larger push-pull streams; so do we. */
export const MAX_PUSH_STATE_BYTES = 20 * 1024 * 1024;
/** Sanity bound on `pushPullHeader.Nodes` (a node state is at least ~40 bytes; 20 MiB / 40 ≈ 500k). */
export const PUSH_NODES_MAX = 500_000;
/** `lzwAlgo`: the only compression algorithm memberlist knows. */
export const LZW_ALGO = 0;
/** Bytes of a hasCrc wrapper: type byte + CRC-32 big-endian. */
export const CRC_HEADER_BYTES = 5;
/** Bytes of an encrypted stream header: type byte + length big-endian. */
export const ENCRYPT_STREAM_HEADER_BYTES = 5;

/** `nodeStateType` on the wire (push-pull `State`). */
export const MEMBER_STATE_CODES: Readonly<Record<MemberState, number>> = {alive: 0, suspect: 1, dead: 2, left: 3};
/** The inverse of MEMBER_STATE_CODES. */
export const MEMBER_STATES: readonly MemberState[] = ["alive", "suspect", "dead", "left"];

/** Go structs as msgpack maps (docs/memberlist-wire.md §5). Byte fields are `Uint8Array`, names exactly Go's. */
export interface WirePing {
  Node: string;
  SeqNo: number;
  SourceAddr: Uint8Array;
  SourceNode: string;
  SourcePort: number;
}
export interface WireIndirectPingReq {
  Nack: boolean;
  Node: string;
  Port: number;
  SeqNo: number;
  SourceAddr: Uint8Array;
  SourceNode: string;
  SourcePort: number;
  Target: Uint8Array;
}
export interface WireAlive {
  Addr: Uint8Array;
  Incarnation: number;
  Meta: Uint8Array;
  Node: string;
  Port: number;
  Vsn: Uint8Array;
}
export interface WirePushPullHeader {
  Join: boolean;
  Nodes: number;
  UserStateLen: number;
}
export interface WirePushNodeState {
  Addr: Uint8Array;
  Incarnation: number;
  Meta: Uint8Array;
  Name: string;
  Port: number;
  State: number;
  Vsn: Uint8Array;
}
export interface WireCompress {
  Algo: number;
  Buf: Uint8Array;
}

/** Pre-encoded map keys (fixstr + ASCII), one per Go field name. */
export const KEY = {
  Addr: keyBytes("Addr"),
  Algo: keyBytes("Algo"),
  Buf: keyBytes("Buf"),
  Error: keyBytes("Error"),
  From: keyBytes("From"),
  Incarnation: keyBytes("Incarnation"),
  Join: keyBytes("Join"),
  Meta: keyBytes("Meta"),
  Nack: keyBytes("Nack"),
  Name: keyBytes("Name"),
  Node: keyBytes("Node"),
  Nodes: keyBytes("Nodes"),
  Payload: keyBytes("Payload"),
  Port: keyBytes("Port"),
  SeqNo: keyBytes("SeqNo"),
  SourceAddr: keyBytes("SourceAddr"),
  SourceNode: keyBytes("SourceNode"),
  SourcePort: keyBytes("SourcePort"),
  State: keyBytes("State"),
  Target: keyBytes("Target"),
  UserMsgLen: keyBytes("UserMsgLen"),
  UserStateLen: keyBytes("UserStateLen"),
  Vsn: keyBytes("Vsn"),
} as const;

internKeys(Object.keys(KEY));

/** Largest values of Go's unsigned field types. */
export const UINT8_MAX = 0xff;
export const UINT16_MAX = 0xffff;
export const UINT32_MAX = 0xffffffff;
