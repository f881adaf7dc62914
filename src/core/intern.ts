/*
 * Value interning for member entries. A simulated cluster of 2,000 nodes holds 2,000 × 2,000
 * member entries; without sharing, each keeps its own copy of the member's address object, Vsn
 * tuple and metadata bytes as decoded from some packet. Members of one cluster have a handful of
 * distinct Vsn tuples and metas and one name and address each, so entries share one frozen instance per
 * distinct value instead. The pools are process-wide, bounded, and only ever map a value to an
 * equal value, so interning never changes behaviour (it cannot break replay determinism).
 *
 * Interned values are frozen (addresses, Vsn) or shared (meta bytes): never mutate what
 * MemberView hands out.
 */
import type {Address, AliveMessage, MemberState, PushNodeState, Vsn} from "./messages.ts";
import {aliveMessage, bytesEqual, DEFAULT_VSN, sameAddress, vsnEqual} from "./messages.ts";

/** Interned values per pool; beyond it values are kept as given (still correct, just not shared). */
const POOL_MAX = 65_536;
/** Metas longer than this are not interned (tags are small; long metas are rare). */
const META_INTERN_MAX = 128;

// BOUNDED: POOL_MAX entries each.
const addresses = new Map<string, Address>();
const vsns = new Map<number, Vsn>();
const metas = new Map<string, Uint8Array>();
const names = new Map<string, string>();
const EMPTY_META = new Uint8Array(0);

function vsnKey(vsn: Vsn): number {
  let key = 0;
  for (let i = 0; i < 6; i++) key = key * 256 + ((vsn[i] as number) & 255);
  return key;
}
vsns.set(vsnKey(DEFAULT_VSN), DEFAULT_VSN);

/** The shared instance of `addr` (frozen). */
export function internAddress(addr: Address): Address {
  const key = `${addr.host}|${addr.port}`;
  const hit = addresses.get(key);
  if (hit !== undefined) return hit;
  const frozen = Object.isFrozen(addr) ? addr : Object.freeze({host: addr.host, port: addr.port});
  if (addresses.size < POOL_MAX) addresses.set(key, frozen);
  return frozen;
}

/** The shared instance of `vsn` (frozen). */
export function internVsn(vsn: Vsn): Vsn {
  if (vsn === DEFAULT_VSN) return vsn;
  const key = vsnKey(vsn);
  const hit = vsns.get(key);
  if (hit !== undefined) return hit;
  const frozen = Object.freeze([vsn[0], vsn[1], vsn[2], vsn[3], vsn[4], vsn[5]]) as unknown as Vsn;
  if (vsns.size < POOL_MAX) vsns.set(key, frozen);
  return frozen;
}

/** The shared instance of small `meta` bytes. */
export function internMeta(meta: Uint8Array): Uint8Array {
  if (meta.length === 0) return EMPTY_META;
  if (meta.length > META_INTERN_MAX) return meta;
  let key = "";
  for (let i = 0; i < meta.length; i++) key += String.fromCharCode(meta[i] as number);
  const hit = metas.get(key);
  if (hit !== undefined) return hit;
  if (metas.size < POOL_MAX) metas.set(key, meta);
  return meta;
}

/** The shared instance of a member name (each decoded packet carries its own copy of the string). */
export function internName(name: string): string {
  const hit = names.get(name);
  if (hit !== undefined) return hit;
  if (names.size < POOL_MAX) names.set(name, name);
  return name;
}

// Dense process-wide ids for member names, so a member table can find an entry with one array
// read instead of a hash lookup in its own map (at 1,000 members per node × 1,000 simulated nodes
// those per-node maps are far larger than the CPU caches; this one is shared and stays warm).
// BOUNDED: POOL_MAX ids; names beyond it get none and tables fall back to their maps.
const nameIds = new Map<string, number>();

/** The dense id of `name`, assigning the next one if it has none; −1 when the pool is full. */
export function nameId(name: string): number {
  const id = nameIds.get(name);
  if (id !== undefined) return id;
  if (nameIds.size >= POOL_MAX) return -1;
  nameIds.set(name, nameIds.size);
  return nameIds.size - 1;
}

/** The dense id of `name` if it has one, else −1 (never assigns). */
export function existingNameId(name: string): number {
  return nameIds.get(name) ?? -1;
}

// The latest alive message per member name. Every node of a simulated cluster learns every member
// and queues its alive for retransmitLimit sends; sharing one equal message object (and with it
// the codec's one encoding, EncodeOnce) instead of one per node saves n² objects and encodings.
// BOUNDED: POOL_MAX names.
const alives = new Map<string, AliveMessage>();

/** The shared instance of an alive message equal to `msg` (name, incarnation, address, meta, Vsn). */
export function internAlive(msg: AliveMessage): AliveMessage {
  const hit = alives.get(msg.node);
  if (
    hit !== undefined &&
    hit.incarnation === msg.incarnation &&
    sameAddress(hit.addr, msg.addr) &&
    bytesEqual(hit.meta, msg.meta) &&
    vsnEqual(hit.vsn, msg.vsn)
  ) {
    return hit;
  }
  const shared = "wire" in msg ? msg : aliveMessage(msg.incarnation, msg.node, msg.addr, msg.meta, msg.vsn);
  if (hit !== undefined || alives.size < POOL_MAX) alives.set(msg.node, shared);
  return shared;
}

// The latest push-pull state per member name, shared the same way: a push-pull carries every
// member, and every node of a cluster that agrees on a member sends the same state for it.
// BOUNDED: POOL_MAX names.
const pushStates = new Map<string, PushNodeState>();

/** The shared push-pull state with these values (with an empty encode-once slot). */
export function internPushState(
  name: string,
  addr: Address,
  incarnation: number,
  meta: Uint8Array,
  state: MemberState,
  vsn: Vsn,
): PushNodeState {
  const hit = pushStates.get(name);
  if (
    hit !== undefined &&
    hit.incarnation === incarnation &&
    hit.state === state &&
    sameAddress(hit.addr, addr) &&
    bytesEqual(hit.meta, meta) &&
    vsnEqual(hit.vsn, vsn)
  ) {
    return hit;
  }
  const shared: PushNodeState = {name, addr, incarnation, meta, state, vsn, wire: undefined};
  if (hit !== undefined || pushStates.size < POOL_MAX) pushStates.set(name, shared);
  return shared;
}
