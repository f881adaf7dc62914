/*
 * Value interning for member entries. A simulated cluster of 2,000 nodes holds 2,000 × 2,000
 * member entries; without sharing, each keeps its own copy of the member's address object, Vsn
 * tuple and metadata bytes as decoded from some packet. Members of one cluster have a handful of
 * distinct Vsn tuples and metas and one name and address each, so entries share one frozen instance per
 * distinct value instead. The pools only ever map a value to an equal value, so interning never
 * changes behaviour (it cannot break replay determinism).
 *
 * The pools belong to an owner, never to the process: one InternPools per Driver (shared by its
 * node and its codec context) and one per simulation (shared by all its nodes), so two agents in
 * one process never see each other's values, and a pool filling up in one cannot change another.
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

const EMPTY_META = new Uint8Array(0);

function vsnKey(vsn: Vsn): number {
  let key = 0;
  for (let i = 0; i < 6; i++) key = key * 256 + ((vsn[i] as number) & 255);
  return key;
}

/** A member's name, address, meta and Vsn: what an alive message says besides the incarnation (frozen). */
export interface MemberIdentity {
  readonly name: string;
  readonly addr: Address;
  readonly meta: Uint8Array;
  readonly vsn: Vsn;
  /** Its index in the pools' identity list (identityAt), or −1 when not listed (self's own, or a full pool). */
  readonly id: number;
}

/** The string key of meta bytes. */
function metaKey(meta: Uint8Array): string {
  let key = "";
  for (let i = 0; i < meta.length; i++) key += String.fromCharCode(meta[i] as number);
  return key;
}

/** Shared instances of equal values (addresses, Vsns, metas, names, identities, alive messages, push-pull states). */
export class InternPools {
  // BOUNDED: POOL_MAX entries each.
  private readonly addresses = new Map<string, Address>();
  private readonly vsns = new Map<number, Vsn>([[vsnKey(DEFAULT_VSN), DEFAULT_VSN]]);
  private readonly metas = new Map<string, Uint8Array>();
  private readonly names = new Map<string, string>();
  // Dense ids for member names, so a member table can find an entry with one array read instead
  // of a hash lookup in its own map (at 1,000 members per node × 1,000 simulated nodes those
  // per-node maps are far larger than the CPU caches; this one is shared and stays warm).
  // BOUNDED: POOL_MAX ids; names beyond it get none and tables fall back to their maps.
  private readonly nameIds = new Map<string, number>();

  // The latest alive message per member name. Every node of a simulated cluster learns every
  // member and queues its alive for retransmitLimit sends; sharing one equal message object (and
  // with it the codec's one encoding, EncodeOnce) instead of one per node saves n² objects and
  // encodings. BOUNDED: POOL_MAX names.
  private readonly alives = new Map<string, AliveMessage>();
  // Member identities, shared by the member tables of every node that agrees on one
  // (member-table.ts): a table keeps an identity's index in `identityList` per entry — 4 bytes
  // and no pointer for the GC to trace — instead of four references. Listed identities are
  // never dropped (a table may hold any of them), so the list holds each distinct value once:
  // `identityByValue` finds an old one again, `latestIdentity` answers the common case (the
  // member's current values) without building a key. BOUNDED: POOL_MAX identities each; beyond
  // it identities are unlisted (id −1) and tables keep them in their own maps.
  private readonly identityList: MemberIdentity[] = [];
  private readonly identityByValue = new Map<string, MemberIdentity>();
  private readonly latestIdentity = new Map<string, MemberIdentity>();
  // The latest push-pull state per member name, shared the same way: a push-pull carries every
  // member, and every node of a cluster that agrees on a member sends the same state for it.
  // BOUNDED: POOL_MAX names.
  private readonly pushStates = new Map<string, PushNodeState>();
  // BOUNDED: one per listed identity (≤ POOL_MAX): the push-pull state pushStateOf gave it last.
  private readonly pushStateById: (PushNodeState | undefined)[] = [];

  /** The shared instance of `addr` (frozen). */
  internAddress(addr: Address): Address {
    const key = `${addr.host}|${addr.port}`;
    const hit = this.addresses.get(key);
    if (hit !== undefined) return hit;
    const frozen = Object.isFrozen(addr) ? addr : Object.freeze({host: addr.host, port: addr.port});
    if (this.addresses.size < POOL_MAX) this.addresses.set(key, frozen);
    return frozen;
  }

  /** The shared instance of `vsn` (frozen). */
  internVsn(vsn: Vsn): Vsn {
    if (vsn === DEFAULT_VSN) return vsn;
    const key = vsnKey(vsn);
    const hit = this.vsns.get(key);
    if (hit !== undefined) return hit;
    const frozen = Object.freeze([vsn[0], vsn[1], vsn[2], vsn[3], vsn[4], vsn[5]]) as unknown as Vsn;
    if (this.vsns.size < POOL_MAX) this.vsns.set(key, frozen);
    return frozen;
  }

  /** The shared instance of small `meta` bytes. */
  internMeta(meta: Uint8Array): Uint8Array {
    if (meta.length === 0) return EMPTY_META;
    if (meta.length > META_INTERN_MAX) return meta;
    const key = metaKey(meta);
    const hit = this.metas.get(key);
    if (hit !== undefined) return hit;
    if (this.metas.size < POOL_MAX) this.metas.set(key, meta);
    return meta;
  }

  /** The shared instance of a member name (each decoded packet carries its own copy of the string). */
  internName(name: string): string {
    const hit = this.names.get(name);
    if (hit !== undefined) return hit;
    if (this.names.size < POOL_MAX) this.names.set(name, name);
    return name;
  }

  /** The dense id of `name`, assigning the next one if it has none; −1 when the pool is full. */
  nameId(name: string): number {
    const id = this.nameIds.get(name);
    if (id !== undefined) return id;
    if (this.nameIds.size >= POOL_MAX) return -1;
    this.nameIds.set(name, this.nameIds.size);
    return this.nameIds.size - 1;
  }

  /** The dense id of `name` if it has one, else −1 (never assigns). */
  existingNameId(name: string): number {
    return this.nameIds.get(name) ?? -1;
  }

  /** The shared instance of an alive message equal to `msg` (name, incarnation, address, meta, Vsn). */
  internAlive(msg: AliveMessage): AliveMessage {
    const hit = this.alives.get(msg.node);
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
    if (hit !== undefined || this.alives.size < POOL_MAX) this.alives.set(msg.node, shared);
    return shared;
  }

  /** The shared identity with these values (each one interned too), listed unless the list is full. */
  internIdentity(name: string, addr: Address, meta: Uint8Array, vsn: Vsn): MemberIdentity {
    const latest = this.latestIdentity.get(name);
    if (
      latest !== undefined &&
      sameAddress(latest.addr, addr) &&
      bytesEqual(latest.meta, meta) &&
      vsnEqual(latest.vsn, vsn)
    ) {
      return latest;
    }
    // Length-prefixed, so that no two different values share a key.
    const key = `${name.length}:${name}${addr.host.length}:${addr.host}|${addr.port}|${vsnKey(vsn)}|${metaKey(meta)}`;
    let shared = this.identityByValue.get(key);
    if (shared === undefined) {
      const listed = this.identityList.length < POOL_MAX;
      shared = Object.freeze({
        name: this.internName(name),
        addr: this.internAddress(addr),
        meta: this.internMeta(meta),
        vsn: this.internVsn(vsn),
        id: listed ? this.identityList.length : -1,
      });
      if (listed) {
        this.identityList.push(shared);
        this.identityByValue.set(key, shared);
      }
    }
    if (latest !== undefined || this.latestIdentity.size < POOL_MAX) this.latestIdentity.set(shared.name, shared);
    return shared;
  }

  /** The listed identity with index `id` (0 ≤ id < the list's length). */
  identityAt(id: number): MemberIdentity {
    return this.identityList[id] as MemberIdentity;
  }

  /** The shared push-pull state with these values (with an empty encode-once slot). */
  internPushState(
    name: string,
    addr: Address,
    incarnation: number,
    meta: Uint8Array,
    state: MemberState,
    vsn: Vsn,
  ): PushNodeState {
    const hit = this.pushStates.get(name);
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
    if (hit !== undefined || this.pushStates.size < POOL_MAX) this.pushStates.set(name, shared);
    return shared;
  }

  /**
   * internPushState for a member's identity, incarnation and state. A listed identity keeps the
   * state it was given last, so a push-pull of an unchanged table finds each member's by index,
   * without a lookup by name or a comparison of address, meta and Vsn.
   */
  pushStateOf(identity: MemberIdentity, incarnation: number, state: MemberState): PushNodeState {
    const id = identity.id;
    if (id >= 0) {
      const hit = this.pushStateById[id];
      if (hit !== undefined && hit.incarnation === incarnation && hit.state === state) return hit;
    }
    const shared = this.internPushState(identity.name, identity.addr, incarnation, identity.meta, state, identity.vsn);
    if (id >= 0) this.pushStateById[id] = shared;
    return shared;
  }
}
