/*
 * The member table, laid out as columns. A simulated cluster holds n × n member entries (every
 * virtual node its own table), so an entry is a slot number into typed-array columns instead of
 * an object: incarnation and state-change time (Float64Array), state (Uint8Array), the slot's
 * positions in the dense lists (Int32Array), and the id of the member's identity — name,
 * address, meta and Vsn — in the list InternPools shares between all tables that agree on it
 * (intern.ts; Int32Array). No column holds a pointer, so the GC has nothing per entry to trace.
 * About 60 bytes per entry instead of ~220 for an object plus its Map entry and array slots
 * (bench/member-bytes.mjs measures it).
 *
 * Slots:
 *   - self is slot 0 (SELF_SLOT), in the name index and the insertion order only;
 *   - a removed member's slot is reused by the next add (LIFO); its generation number is
 *     raised, so a holder of (slot, generation) can tell the slot was reaped meanwhile.
 *   - name → slot: an Int32Array indexed by the pools' dense name ids (shared by every table of
 *     one owner), and a Map only for names the full pool gave no id.
 * Dense lists (Int32Array of slots, swap-remove): `all` others and `live` others (alive or
 * suspect), so that a random member is picked by sampling an index in O(1); and the insertion
 * order (holes left by removals, squeezed out when they pile up), which entries are listed in.
 * Columns and lists grow by doubling; a table's memory follows its high-water member count.
 * A Vsn tally (version-tally.ts) keeps the push-pull version check's ranges as members change.
 */
import {assert} from "./errors.ts";
import type {MemberView} from "./events.ts";
import type {InternPools, MemberIdentity} from "./intern.ts";
import type {Address, MemberState, PushNodeState, Vsn} from "./messages.ts";
import {sameAddress} from "./messages.ts";
import type {VersionRanges} from "./push-pull.ts";
import type {Random} from "./random.ts";
import {VersionTally} from "./version-tally.ts";

/** No member (a lookup that found nothing). */
export const NO_SLOT = -1;
/** The local member's slot. */
export const SELF_SLOT = 0;

/** True for alive and suspect: members that are probed. */
export function isLive(state: MemberState): boolean {
  return state === "alive" || state === "suspect";
}

/** Per-state counts of the other members (self excluded). */
export interface StateCounts {
  alive: number;
  suspect: number;
  dead: number;
  left: number;
}

/** MemberTable.quickOldNews answers. */
const OLD_NEWS_UNKNOWN = 0;
export const OLD_NEWS_SAME = 1;
export const OLD_NEWS_OLDER = 2;

/** State codes in the state column (FREE: an unused slot). */
const STATES: readonly MemberState[] = ["alive", "suspect", "dead", "left"];
const FREE = 255;

function stateCode(state: MemberState): number {
  switch (state) {
    case "alive":
      return 0;
    case "suspect":
      return 1;
    case "dead":
      return 2;
    case "left":
      return 3;
  }
}

const ALIVE_CODE = stateCode("alive");

function grownInt32(old: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const next = new Int32Array(size).fill(-1);
  next.set(old);
  return next;
}

/** `size` doubled until it holds `n`. */
function doubledTo(size: number, n: number): number {
  let out = Math.max(1, size);
  while (out < n) out *= 2;
  return out;
}

function grownFloat64(old: Float64Array, size: number): Float64Array<ArrayBuffer> {
  const next = new Float64Array(size);
  next.set(old);
  return next;
}

/** The local member as the table starts with it. */
export interface SelfInit {
  readonly name: string;
  readonly addr: Address;
  readonly incarnation: number;
  readonly meta: Uint8Array;
  readonly vsn: Vsn;
}

/** The member table: a name index, columns per slot, and dense lists for O(1) random sampling. */
export class MemberTable {
  readonly self = SELF_SLOT;
  readonly counts: StateCounts = {alive: 0, suspect: 0, dead: 0, left: 0};
  private readonly pools: InternPools;
  private sizeValue = 0;

  // Columns, indexed by slot. BOUNDED: maxMembers slots (SwimNode refuses inserts beyond it;
  // reaping frees slots for reuse).
  private identityIds = new Int32Array(4).fill(-1);
  private incarnations = new Float64Array(4);
  private changeMs = new Float64Array(4);
  private states = new Uint8Array(4).fill(FREE);
  private generations = new Uint32Array(4);
  private allPos = new Int32Array(4).fill(-1);
  private livePos = new Int32Array(4).fill(-1);
  private orderPos = new Int32Array(4).fill(-1);
  /** Slots in use or freed: the columns' high-water mark. */
  private top = 0;
  // BOUNDED: slots below `top`.
  private readonly free: number[] = [];
  /** Self's identity (the caller's own values, not in the pools' list). */
  private selfIdentity: MemberIdentity;
  // Identities the pools could not list (id −1; a full pool), by slot. BOUNDED: maxMembers entries.
  private readonly unlisted = new Map<number, MemberIdentity>();

  // Dense lists of slots. BOUNDED: one place per slot (order: plus holes, at most as many).
  private all = new Int32Array(4);
  private allLen = 0;
  private live = new Int32Array(4);
  private liveLen = 0;
  private order = new Int32Array(4);
  private orderLen = 0;
  private orderHoles = 0;

  // Name index. BOUNDED: the pools' name ids (≤ their POOL_MAX); names without an id go to byName
  // (BOUNDED: maxMembers entries).
  private slotById = new Int32Array(0);
  private readonly byName = new Map<string, number>();
  /** Members per Vsn, and alive ones, for the push-pull version check. */
  private readonly versions = new VersionTally();

  /** `pools` gives the dense name ids of the name index and the shared identities. */
  constructor(self: SelfInit, pools: InternPools) {
    this.pools = pools;
    // Self's values are the caller's own (not interned: a pool holds only values from packets).
    this.selfIdentity = Object.freeze({name: self.name, addr: self.addr, meta: self.meta, vsn: self.vsn, id: -1});
    const slot = this.place(this.selfIdentity, self.incarnation, "alive", 0);
    assert(slot === SELF_SLOT, "self takes slot 0");
  }

  /** Members in the table, self and dead/left ones included (memberlist's estNumNodes). */
  get size(): number {
    return this.sizeValue;
  }

  /** Members other than self that are alive or suspect. */
  get liveCount(): number {
    return this.liveLen;
  }

  /** Members other than self. */
  get otherCount(): number {
    return this.allLen;
  }

  /** The i-th other member (0 ≤ i < otherCount), in no particular order. */
  otherAt(i: number): number {
    return this.all[i] as number;
  }

  /** The slot of `name`, or NO_SLOT. */
  slotOf(name: string): number {
    const id = this.pools.existingNameId(name);
    if (id >= 0) return id < this.slotById.length ? (this.slotById[id] as number) : NO_SLOT;
    return this.byName.get(name) ?? NO_SLOT;
  }

  identityOf(slot: number): MemberIdentity {
    const id = this.identityIds[slot] as number;
    if (id >= 0) return this.pools.identityAt(id);
    return slot === SELF_SLOT ? this.selfIdentity : (this.unlisted.get(slot) as MemberIdentity);
  }

  nameOf(slot: number): string {
    return this.identityOf(slot).name;
  }

  addrOf(slot: number): Address {
    return this.identityOf(slot).addr;
  }

  metaOf(slot: number): Uint8Array {
    return this.identityOf(slot).meta;
  }

  vsnOf(slot: number): Vsn {
    return this.identityOf(slot).vsn;
  }

  incarnationOf(slot: number): number {
    return this.incarnations[slot] as number;
  }

  stateOf(slot: number): MemberState {
    return STATES[this.states[slot] as number] as MemberState;
  }

  stateChangeMsOf(slot: number): number {
    return this.changeMs[slot] as number;
  }

  /** Raised each time the slot's member is removed: (slot, generation) names one entry for good. */
  generationOf(slot: number): number {
    return this.generations[slot] as number;
  }

  /** An other member still in the table (not self, not removed). */
  isOther(slot: number): boolean {
    return (this.allPos[slot] as number) >= 0;
  }

  /** An other member that is alive or suspect. */
  isLiveOther(slot: number): boolean {
    return (this.livePos[slot] as number) >= 0;
  }

  /**
   * Whether an alive for `name` at `incarnation` from `addr` is plain old news about another
   * member: OLD_NEWS_SAME (same incarnation and address), OLD_NEWS_OLDER (lower incarnation, same
   * address), or OLD_NEWS_UNKNOWN (unknown member, self, newer incarnation or another address:
   * the full rules must decide).
   */
  quickOldNews(name: string, incarnation: number, addr: Address): number {
    const slot = this.slotOf(name);
    if (slot <= SELF_SLOT) return OLD_NEWS_UNKNOWN;
    const known = this.incarnations[slot] as number;
    if (incarnation > known || !sameAddress(this.addrOf(slot), addr)) return OLD_NEWS_UNKNOWN;
    return incarnation < known ? OLD_NEWS_OLDER : OLD_NEWS_SAME;
  }

  /** Appends every slot, self included, in insertion order, to `out`. */
  inOrder(out: number[]): number[] {
    for (let i = 0; i < this.orderLen; i++) {
      const slot = this.order[i] as number;
      if (slot >= 0) out.push(slot);
    }
    return out;
  }

  /** Adds a new (non-self) member; returns its slot. Its values are interned in the pools. */
  add(
    name: string,
    addr: Address,
    incarnation: number,
    meta: Uint8Array,
    vsn: Vsn,
    state: MemberState,
    nowMs: number,
  ): number {
    assert(this.slotOf(name) === NO_SLOT, "member already in table");
    const slot = this.place(this.pools.internIdentity(name, addr, meta, vsn), incarnation, state, nowMs);
    this.allPos[slot] = this.allLen;
    this.all = this.pushed(this.all, this.allLen++, slot);
    this.counts[state]++;
    if (isLive(state)) this.pushLive(slot);
    return slot;
  }

  /** Removes a (non-self) member entirely (reaping); its slot is freed for reuse. */
  remove(slot: number): void {
    assert(slot !== SELF_SLOT, "cannot remove self");
    assert(this.isOther(slot), "removing an entry not in the table");
    const name = this.nameOf(slot);
    const id = this.pools.existingNameId(name);
    if (id >= 0) this.slotById[id] = NO_SLOT;
    else this.byName.delete(name);
    this.swapRemove(this.all, this.allPos, slot, --this.allLen);
    if ((this.livePos[slot] as number) >= 0) this.swapRemove(this.live, this.livePos, slot, --this.liveLen);
    this.counts[this.stateOf(slot)]--;
    this.order[this.orderPos[slot] as number] = -1;
    this.orderPos[slot] = -1;
    this.orderHoles++;
    this.versions.remove(this.vsnOf(slot), this.states[slot] === ALIVE_CODE);
    this.setIdentityOf(slot, undefined);
    this.states[slot] = FREE;
    this.generations[slot] = ((this.generations[slot] as number) + 1) >>> 0;
    this.free.push(slot);
    this.sizeValue--;
  }

  /** Sets a member's state and state-change time, keeping the lists and counts in step. */
  setState(slot: number, state: MemberState, nowMs: number): void {
    const old = this.stateOf(slot);
    if (old === state) return;
    if (slot !== SELF_SLOT) {
      this.counts[old]--;
      this.counts[state]++;
      const wasLive = (this.livePos[slot] as number) >= 0;
      const nowLive = isLive(state);
      if (wasLive && !nowLive) this.swapRemove(this.live, this.livePos, slot, --this.liveLen);
      else if (!wasLive && nowLive) this.pushLive(slot);
    }
    if ((old === "alive") !== (state === "alive")) this.versions.setAlive(this.vsnOf(slot), state === "alive");
    this.states[slot] = stateCode(state);
    this.changeMs[slot] = nowMs;
  }

  setStateChangeMs(slot: number, nowMs: number): void {
    this.changeMs[slot] = nowMs;
  }

  setIncarnation(slot: number, incarnation: number): void {
    this.incarnations[slot] = incarnation;
  }

  /** Sets a member's address, meta and Vsn (interned in the pools, except self's). */
  setIdentity(slot: number, addr: Address, meta: Uint8Array, vsn: Vsn): void {
    const name = this.nameOf(slot);
    const oldVsn = this.vsnOf(slot);
    if (slot === SELF_SLOT) this.selfIdentity = Object.freeze({name, addr, meta, vsn, id: -1});
    else this.setIdentityOf(slot, this.pools.internIdentity(name, addr, meta, vsn));
    const newVsn = this.vsnOf(slot);
    if (newVsn !== oldVsn) {
      const alive = this.states[slot] === ALIVE_CODE;
      this.versions.remove(oldVsn, alive);
      this.versions.add(newVsn, alive);
    }
  }

  /** The push-pull version ranges over every member, self included (push-pull.ts), written into `into`. */
  versionRanges(into: VersionRanges): void {
    this.versions.ranges(into);
  }

  /**
   * This member as a push-pull state: the instance the pools share for these values
   * (InternPools.internPushState), so the codec encodes each member's state once per change for
   * all the nodes sharing the pools rather than once per push-pull of every node (EncodeOnce).
   */
  pushState(slot: number): PushNodeState {
    return this.pools.pushStateOf(this.identityOf(slot), this.incarnationOf(slot), this.stateOf(slot));
  }

  /** A snapshot safe to hand out. */
  toView(slot: number): MemberView {
    const id = this.identityOf(slot);
    return {
      name: id.name,
      addr: id.addr,
      state: this.stateOf(slot),
      incarnation: this.incarnationOf(slot),
      meta: id.meta,
      vsn: id.vsn,
      stateChangeMs: this.stateChangeMsOf(slot),
    };
  }

  /**
   * Picks up to `k` distinct random other members accepted by `accept`, appending their slots to
   * `out`. Samples from the live list (or all, when `includeNonLive`) with a bounded number of
   * tries, so the cost is O(k) whatever the table size; may return fewer than k when matches are
   * rare.
   */
  sample(
    k: number,
    random: Random,
    accept: (slot: number) => boolean,
    out: number[],
    includeNonLive = false,
  ): number[] {
    const pool = includeNonLive ? this.all : this.live;
    const n = includeNonLive ? this.allLen : this.liveLen;
    if (k <= 0 || n === 0) return out;
    const start = out.length;
    if (n <= k * 4) {
      // Small pool: a partial Fisher–Yates over a copy is exact and cheap.
      const copy = pool.slice(0, n);
      for (let i = 0; i < n && out.length - start < k; i++) {
        const j = i + random.nextInt(n - i);
        const s = copy[j] as number;
        copy[j] = copy[i] as number;
        copy[i] = s;
        if (accept(s)) out.push(s);
      }
      return out;
    }
    const tries = k * 8 + 16;
    for (let t = 0; t < tries && out.length - start < k; t++) {
      const s = pool[random.nextInt(n)] as number;
      if (!accept(s)) continue;
      let dup = false;
      for (let i = start; i < out.length; i++) if (out[i] === s) dup = true;
      if (!dup) out.push(s);
    }
    return out;
  }

  /** Takes a slot (a freed one, else a new one) for a member and indexes it by name. */
  private place(identity: MemberIdentity, incarnation: number, state: MemberState, nowMs: number): number {
    const slot = this.free.pop() ?? this.newSlot();
    if (slot !== SELF_SLOT) this.setIdentityOf(slot, identity);
    this.incarnations[slot] = incarnation;
    this.changeMs[slot] = nowMs;
    this.states[slot] = stateCode(state);
    this.versions.add(identity.vsn, state === "alive");
    const id = this.pools.nameId(identity.name);
    if (id >= 0) {
      if (id >= this.slotById.length)
        this.slotById = grownInt32(this.slotById, Math.max(id + 1, 2 * this.slotById.length));
      this.slotById[id] = slot;
    } else {
      this.byName.set(identity.name, slot);
    }
    // Squeezing costs O(length): only when holes are a quarter of it, so adds stay O(1) amortized.
    if (this.orderLen === this.order.length && this.orderHoles * 4 >= this.order.length) this.squeezeOrder();
    this.orderPos[slot] = this.orderLen;
    this.order = this.pushed(this.order, this.orderLen++, slot);
    this.sizeValue++;
    return slot;
  }

  /** Records a slot's identity: its id in the column, or the identity itself when it has none. */
  private setIdentityOf(slot: number, identity: MemberIdentity | undefined): void {
    const id = identity === undefined ? -1 : identity.id;
    this.identityIds[slot] = id;
    if (id < 0 && identity !== undefined) this.unlisted.set(slot, identity);
    else if (this.unlisted.size > 0) this.unlisted.delete(slot);
  }

  /**
   * Makes room for `members` members, self included, at once: merging a push-pull of that many
   * states then grows no column or list on the way (doubling one add at a time would copy each
   * about log2 times). Each grows to the size doubling would have reached, so that later adds
   * leave no more unused room than they would have.
   */
  reserve(members: number): void {
    if (members > this.states.length) this.growColumns(doubledTo(this.states.length, members));
    if (members > this.all.length) this.all = grownInt32(this.all, doubledTo(this.all.length, members));
    if (members > this.live.length) this.live = grownInt32(this.live, doubledTo(this.live.length, members));
    if (members > this.order.length) this.order = grownInt32(this.order, doubledTo(this.order.length, members));
  }

  private newSlot(): number {
    const slot = this.top++;
    if (slot === this.states.length) this.growColumns(2 * slot);
    return slot;
  }

  /** Grows every per-slot column to `size` slots. */
  private growColumns(size: number): void {
    this.incarnations = grownFloat64(this.incarnations, size);
    this.changeMs = grownFloat64(this.changeMs, size);
    this.identityIds = grownInt32(this.identityIds, size);
    const states = new Uint8Array(size).fill(FREE);
    states.set(this.states);
    this.states = states;
    const generations = new Uint32Array(size);
    generations.set(this.generations);
    this.generations = generations;
    this.allPos = grownInt32(this.allPos, size);
    this.livePos = grownInt32(this.livePos, size);
    this.orderPos = grownInt32(this.orderPos, size);
  }

  /** `list` with `slot` stored at `at` (= its length so far), grown when full. */
  private pushed(list: Int32Array<ArrayBuffer>, at: number, slot: number): Int32Array<ArrayBuffer> {
    const out = at < list.length ? list : grownInt32(list, 2 * list.length);
    out[at] = slot;
    return out;
  }

  private pushLive(slot: number): void {
    this.livePos[slot] = this.liveLen;
    this.live = this.pushed(this.live, this.liveLen++, slot);
  }

  /** Removes `slot` from a dense list whose last place is `last` (its new length). */
  private swapRemove(list: Int32Array, pos: Int32Array, slot: number, last: number): void {
    const at = pos[slot] as number;
    assert(at >= 0 && at <= last, "swapRemove index out of range");
    const moved = list[last] as number;
    if (at < last) {
      list[at] = moved;
      pos[moved] = at;
    }
    pos[slot] = -1;
  }

  /** Squeezes the removed members' holes out of the insertion order, keeping its sequence. */
  private squeezeOrder(): void {
    let j = 0;
    for (let i = 0; i < this.orderLen; i++) {
      const slot = this.order[i] as number;
      if (slot < 0) continue;
      this.order[j] = slot;
      this.orderPos[slot] = j++;
    }
    this.order.fill(-1, j);
    this.orderLen = j;
    this.orderHoles = 0;
  }
}
