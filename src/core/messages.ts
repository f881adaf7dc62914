/*
 * The protocol's messages in the core's own shape: a discriminated union on `type`, camelCase
 * fields, addresses as {host, port}. The codec (src/codec) maps these to and from memberlist's
 * wire structs (Go field names, msgpack); nothing outside the codec knows a Go field name.
 *
 * Probe flows (SWIM §3, memberlist state.go):
 *
 *   direct:    A ->[ping] B            B ->[ack] A
 *   indirect:  A ->[indirectPing(B)] C      C ->[ping] B      B ->[ack] C      C ->[ack] A
 *              (and if B stays silent and A asked for it:   C ->[nack] A)
 *   gossip:    suspect / alive / dead piggyback on any packet, or ride a gossip packet
 *   streams:   A ->[pushPull] B   B ->[pushPull] A   (TCP, one exchange per connection)
 *              A ->[ping] B   B ->[ack] A             (TCP fallback ping)
 */

/** A host (IPv4 dotted quad or IPv6 text, never a DNS name) and port. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

/**
 * Protocol and delegate versions, `[pMin, pMax, pCur, dMin, dMax, dCur]` on the wire (docs/memberlist-wire.md §6.5).
 * Always exactly six numbers 0..255.
 */
export type Vsn = readonly [number, number, number, number, number, number];

/** Lifeline's own versions, the same as a serf 0.9.4 agent's: CRC, nacks and TCP pings supported. */
export const DEFAULT_VSN: Vsn = [1, 5, 2, 2, 5, 5];

export interface PingMessage {
  readonly type: "ping";
  readonly seqNo: number;
  /** The intended target's name; a receiver ignores a ping whose non-empty `node` is not its own name. */
  readonly node: string;
  /** Where the ack should go (the sender's advertised address), when given. */
  readonly source?: Address;
  readonly sourceNode?: string;
}

export interface IndirectPingMessage {
  readonly type: "indirectPing";
  readonly seqNo: number;
  readonly target: Address;
  /** The target's name, copied into the forwarded ping. */
  readonly node: string;
  /** The requester wants a nack if the target does not answer within the probe timeout. */
  readonly nack: boolean;
  readonly source?: Address;
  readonly sourceNode?: string;
}

export interface AckMessage {
  readonly type: "ack";
  readonly seqNo: number;
  /** Opaque payload (serf puts a network coordinate here); empty when none. */
  readonly payload: Uint8Array;
}

export interface NackMessage {
  readonly type: "nack";
  readonly seqNo: number;
}

/**
 * The codec's encode-once slot, for what is sent many times unchanged: a queued gossip message
 * goes out in up to retransmitLimit packets (memberlist encodes a broadcast once and copies the
 * bytes into each), and a member's push-pull state goes into every push-pull until it changes.
 * An object made with the slot present (`wire: undefined`, as aliveMessage() does) gets its bytes
 * stored here the first time it is encoded; one without it is encoded every time. These objects
 * are immutable, so stored bytes never go stale — but never copy one with spread syntax: build a
 * new one.
 */
export interface EncodeOnce {
  wire?: Uint8Array | undefined;
}

export interface SuspectMessage extends EncodeOnce {
  readonly type: "suspect";
  readonly incarnation: number;
  readonly node: string;
  /** The accuser. */
  readonly from: string;
}

export interface AliveMessage extends EncodeOnce {
  readonly type: "alive";
  readonly incarnation: number;
  readonly node: string;
  readonly addr: Address;
  readonly meta: Uint8Array;
  readonly vsn: Vsn;
}

export interface DeadMessage extends EncodeOnce {
  readonly type: "dead";
  readonly incarnation: number;
  readonly node: string;
  /** The accuser; `from === node` means a graceful leave. */
  readonly from: string;
}

/** An alive message with an empty encode-once slot (see EncodeOnce). */
export function aliveMessage(
  incarnation: number,
  node: string,
  addr: Address,
  meta: Uint8Array,
  vsn: Vsn,
): AliveMessage {
  return {type: "alive", incarnation, node, addr, meta, vsn, wire: undefined};
}

/** Application data carried by the membership layer (serf's messages, Lifeline's heartbeat sharing). */
export interface UserMessage {
  readonly type: "user";
  readonly payload: Uint8Array;
}

/** A message that travels in a datagram (possibly several in one compound packet). */
export type Message =
  | PingMessage
  | IndirectPingMessage
  | AckMessage
  | NackMessage
  | SuspectMessage
  | AliveMessage
  | DeadMessage
  | UserMessage;

/** The membership messages that the broadcast queue gossips. */
export type GossipMessage = SuspectMessage | AliveMessage | DeadMessage;

/** A member's state as exchanged in push-pull (wire values 0..3). */
export type MemberState = "alive" | "suspect" | "dead" | "left";

/** One member's entry in a push-pull exchange. */
export interface PushNodeState extends EncodeOnce {
  readonly name: string;
  readonly addr: Address;
  readonly incarnation: number;
  readonly meta: Uint8Array;
  readonly state: MemberState;
  readonly vsn: Vsn;
}

/** A full-state exchange over a stream (memberlist's pushPullMsg). */
export interface PushPullMessage {
  readonly type: "pushPull";
  readonly join: boolean;
  readonly states: readonly PushNodeState[];
  /** Delegate state: serf's push/pull user state (clocks, recent events, left members); empty when none. */
  readonly userState: Uint8Array;
}

/** An error reply on a stream (memberlist's errMsg). */
export interface ErrMessage {
  readonly type: "err";
  readonly error: string;
}

/** A message that travels alone on a stream (TCP): one request, at most one reply. */
export type StreamMessage = PushPullMessage | PingMessage | AckMessage | UserMessage | ErrMessage;

/** Address equality by host and port. */
export function sameAddress(a: Address, b: Address): boolean {
  return a === b || (a.host === b.host && a.port === b.port);
}

/** Byte equality of two Uint8Arrays. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Equality of two Vsn tuples. */
export function vsnEqual(a: Vsn, b: Vsn): boolean {
  if (a === b) return true;
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `host:port`, with brackets around IPv6 hosts. */
export function formatAddress(a: Address): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
