/*
 * Who this node is: the local member's identity as the embedder gives it, and the rules it must
 * follow before the node starts (memberlist checks the same at Create and in its delegate's
 * NodeMeta): a non-empty name, an incarnation that fits the wire's uint32 and is ≥ 1 (serf
 * ignores 0), metadata of at most META_MAX_SIZE bytes, a sensible Vsn and a port that fits uint16;
 * and what it may put into its acks (at most ACK_PAYLOAD_MAX_BYTES).
 */
import {InvalidConfigError} from "./errors.ts";
import {isBadVsn} from "./members.ts";
import {type Address, DEFAULT_VSN, type Vsn} from "./messages.ts";
import {ACK_PAYLOAD_MAX_BYTES, META_MAX_SIZE} from "./wire-limits.ts";

/** Who this node is. */
export interface LocalMemberInit {
  readonly name: string;
  /** The address others reach us at (advertise address). */
  readonly addr: Address;
  readonly meta?: Uint8Array;
  readonly vsn?: Vsn;
  /** Starting incarnation, ≥ 1 (serf ignores 0). Default 1. */
  readonly incarnation?: number;
}

/** The local member with its defaults filled in. */
export interface LocalMember {
  readonly name: string;
  readonly addr: Address;
  readonly meta: Uint8Array;
  readonly vsn: Vsn;
  readonly incarnation: number;
}

const EMPTY = new Uint8Array(0);

/** Throws InvalidConfigError (named `field`) when `meta` is longer than META_MAX_SIZE. */
export function validateMeta(meta: Uint8Array, field = "meta"): void {
  if (meta.length > META_MAX_SIZE) throw new InvalidConfigError(field, `must be at most ${META_MAX_SIZE} bytes`);
}

/** Throws InvalidConfigError (named `field`) unless `payload` is a Uint8Array of at most ACK_PAYLOAD_MAX_BYTES. */
export function validateAckPayload(payload: Uint8Array, field = "payload"): void {
  if (!(payload instanceof Uint8Array)) throw new InvalidConfigError(field, "must be a Uint8Array");
  if (payload.length > ACK_PAYLOAD_MAX_BYTES) {
    throw new InvalidConfigError(field, `must be at most ${ACK_PAYLOAD_MAX_BYTES} bytes (got ${payload.length})`);
  }
}

/**
 * `self` with defaults (incarnation 1, empty meta, DEFAULT_VSN). Throws InvalidConfigError when it
 * is malformed: empty name, incarnation outside 1..2³²−1, meta over META_MAX_SIZE bytes,
 * nonsensical vsn, port outside 0..65535.
 */
export function resolveLocalMember(self: LocalMemberInit): LocalMember {
  if (typeof self.name !== "string" || self.name.length === 0) {
    throw new InvalidConfigError("self.name", "must be a non-empty string");
  }
  const incarnation = self.incarnation ?? 1;
  if (!Number.isInteger(incarnation) || incarnation < 1 || incarnation > 0xffff_ffff) {
    throw new InvalidConfigError("self.incarnation", "must be an integer between 1 and 4294967295");
  }
  const meta = self.meta ?? EMPTY;
  validateMeta(meta, "self.meta");
  const vsn = self.vsn ?? DEFAULT_VSN;
  if (isBadVsn(vsn)) throw new InvalidConfigError("self.vsn", "must be 6 numbers with 0 < pMin ≤ pMax");
  if (!Number.isInteger(self.addr?.port) || self.addr.port < 0 || self.addr.port > 65_535) {
    throw new InvalidConfigError("self.addr.port", "must be an integer between 0 and 65535");
  }
  return {name: self.name, addr: self.addr, meta, vsn, incarnation};
}
