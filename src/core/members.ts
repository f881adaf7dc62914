/*
 * The member table and the rules that decide which membership message wins (SWIM §4.2
 * "suspicion subprotocol", memberlist's state.go aliveNode / suspectNode / deadNode; spec
 * §7.4–§7.7).
 *
 * Precedence, by incarnation number i of the message versus the known one:
 *   alive(i)   accepted if i > known, or if it is an allowed address change (old state left,
 *              or dead longer than deadNodeReclaimMs when that is > 0); unknown → inserted
 *   suspect(i) accepted if i ≥ known and the member is alive
 *   dead(i)    accepted if i ≥ known and the member is not already dead or left;
 *              dead with from === node means "left gracefully"
 *   about self: suspect and dead (unless we are leaving) are refuted; so is an alive with a
 *              higher incarnation, or the same one with other meta or vsn.
 * The verdict functions below are pure; SwimNode applies them.
 *
 * The table keeps, besides the name index, two dense arrays (all others; live others = alive or
 * suspect) with swap-remove, so that a random member is picked by sampling an index in O(1)
 * instead of copying the table. Self is in the name index only.
 */
import {assert} from "./errors.ts";
import type {MemberView} from "./events.ts";
import type {InternPools} from "./intern.ts";
import type {DropReason} from "./io.ts";
import type {Address, AliveMessage, DeadMessage, MemberState, PushNodeState, SuspectMessage, Vsn} from "./messages.ts";
import {bytesEqual, sameAddress, vsnEqual} from "./messages.ts";
import type {Random} from "./random.ts";

/** One member as this node knows it. Kept compact: the simulator holds n × n of these. */
export class MemberEntry {
  readonly name: string;
  addr: Address;
  incarnation: number;
  meta: Uint8Array;
  vsn: Vsn;
  state: MemberState;
  stateChangeMs: number;
  /** Position in the table's `all` array (−1 for self or once removed). */
  allIndex = -1;
  /** Position in the table's `live` array (−1 when not alive/suspect). */
  liveIndex = -1;

  constructor(
    name: string,
    addr: Address,
    incarnation: number,
    meta: Uint8Array,
    vsn: Vsn,
    state: MemberState,
    nowMs: number,
  ) {
    this.name = name;
    this.addr = addr;
    this.incarnation = incarnation;
    this.meta = meta;
    this.vsn = vsn;
    this.state = state;
    this.stateChangeMs = nowMs;
  }

  /**
   * This member as a push-pull state: the instance `pools` shares for these values
   * (InternPools.internPushState), so the codec encodes each member's state once per change for
   * all the nodes sharing the pools rather than once per push-pull of every node (EncodeOnce).
   */
  pushState(pools: InternPools): PushNodeState {
    return pools.internPushState(this.name, this.addr, this.incarnation, this.meta, this.state, this.vsn);
  }

  /** A snapshot safe to hand out. */
  toView(): MemberView {
    return {
      name: this.name,
      addr: this.addr,
      state: this.state,
      incarnation: this.incarnation,
      meta: this.meta,
      vsn: this.vsn,
      stateChangeMs: this.stateChangeMs,
    };
  }
}

/** True for alive and suspect: members that are probed. */
export function isLive(state: MemberState): boolean {
  return state === "alive" || state === "suspect";
}

/** memberlist's alive sanity rule: pMin 0, pMax 0 or pMin > pMax is nonsense (docs/memberlist-wire.md §6.5). */
export function isBadVsn(vsn: Vsn): boolean {
  if (vsn.length !== 6) return true;
  return vsn[0] === 0 || vsn[1] === 0 || (vsn[0] as number) > (vsn[1] as number);
}

/** What the node knows about itself when judging a message about itself. */
export interface SelfContext {
  readonly selfName: string;
  /** We are leaving or have left (our own entry is `left`). */
  readonly leaving: boolean;
  readonly nowMs: number;
  readonly deadNodeReclaimMs: number;
}

/**
 * Verdict on an alive message:
 * - insert: an unknown member; add it as alive
 * - accept: update the known member to alive with the message's incarnation, meta and address
 * - refute: it is about us and contradicts us; raise our incarnation
 * - noop:   nothing new (same incarnation), silently ignored
 * - a DropReason: ignored for that reason
 */
export type AliveVerdict = "insert" | "accept" | "refute" | "noop" | DropReason;

/** Decides an alive message against the known entry (docs/memberlist-wire.md §7.7). */
export function aliveVerdict(known: MemberEntry | undefined, msg: AliveMessage, ctx: SelfContext): AliveVerdict {
  const isSelf = msg.node === ctx.selfName;
  if (isSelf && ctx.leaving) return "noop";
  if (isBadVsn(msg.vsn)) return "badVsn";
  if (known === undefined) return "insert";
  let updatesAddress = false;
  if (!sameAddress(known.addr, msg.addr)) {
    const canReclaim = ctx.deadNodeReclaimMs > 0 && ctx.nowMs - known.stateChangeMs > ctx.deadNodeReclaimMs;
    if (known.state === "left" || (known.state === "dead" && canReclaim)) updatesAddress = true;
    else return "addressConflict";
  }
  if (isSelf) {
    if (msg.incarnation < known.incarnation) return "oldIncarnation";
    if (msg.incarnation === known.incarnation && bytesEqual(msg.meta, known.meta) && vsnEqual(msg.vsn, known.vsn)) {
      return "noop";
    }
    return "refute";
  }
  if (!updatesAddress) {
    if (msg.incarnation < known.incarnation) return "oldIncarnation";
    if (msg.incarnation === known.incarnation) return "noop";
  }
  return "accept";
}

/**
 * Verdict on a suspect message (docs/memberlist-wire.md §7.4). `hasSuspicion`: a suspicion timer already runs for
 * the member, so the message can only confirm it.
 */
export type SuspectVerdict = "accept" | "confirm" | "refute" | "noop" | DropReason;

export function suspectVerdict(
  known: MemberEntry | undefined,
  msg: SuspectMessage,
  hasSuspicion: boolean,
  selfName: string,
): SuspectVerdict {
  if (known === undefined) return "unknownMember";
  if (msg.incarnation < known.incarnation) return "oldIncarnation";
  if (hasSuspicion) return "confirm";
  if (known.state !== "alive") return "noop";
  if (msg.node === selfName) return "refute";
  return "accept";
}

/** Verdict on a dead message (docs/memberlist-wire.md §7.5). `accept` covers both dead and left (from === node). */
export type DeadVerdict = "accept" | "refute" | "noop" | DropReason;

export function deadVerdict(known: MemberEntry | undefined, msg: DeadMessage, ctx: SelfContext): DeadVerdict {
  if (known === undefined) return "unknownMember";
  if (msg.incarnation < known.incarnation) return "oldIncarnation";
  if (known.state === "dead" || known.state === "left") return "noop";
  if (msg.node === ctx.selfName && !ctx.leaving) return "refute";
  return "accept";
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

/** The member table: name index plus dense arrays for O(1) random sampling. */
export class MemberTable {
  readonly self: MemberEntry;
  // BOUNDED: maxMembers entries (SwimNode refuses inserts beyond it; reaping removes dead ones).
  private readonly byName = new Map<string, MemberEntry>();
  // BOUNDED: indexed by the pools' dense name ids (≤ POOL_MAX); holds the same entries as byName
  // for every name that has an id. The fast path of get().
  private readonly byId: (MemberEntry | undefined)[] = [];
  // BOUNDED: 2 slots per name id, like byId. For each other member with a name id: its
  // incarnation at [2·id] and its address object at [2·id + 1] (undefined when absent), kept in
  // step by add/remove/touch. quickOldNews reads one pair — a single cache line — instead of
  // byId's slot and then the entry: in a 1,000-node simulation, each is a miss to main memory.
  private readonly fast: (number | Address | undefined)[] = [];
  // BOUNDED: same entries as byName minus self.
  private readonly all: MemberEntry[] = [];
  // BOUNDED: a subset of `all`.
  private readonly live: MemberEntry[] = [];
  readonly counts: StateCounts = {alive: 0, suspect: 0, dead: 0, left: 0};

  private readonly pools: InternPools;

  /** `pools` gives the dense name ids the fast index uses (shared with the node's other tables). */
  constructor(self: MemberEntry, pools: InternPools) {
    this.self = self;
    this.pools = pools;
    this.byName.set(self.name, self);
    this.index(self);
  }

  /** Members in the table, self and dead/left ones included (memberlist's estNumNodes). */
  get size(): number {
    return this.byName.size;
  }

  /** Members other than self that are alive or suspect. */
  get liveCount(): number {
    return this.live.length;
  }

  /**
   * Whether an alive for `name` at `incarnation` from `addr` is plain old news about another
   * member: OLD_NEWS_SAME (same incarnation and address), OLD_NEWS_OLDER (lower incarnation, same
   * address), or OLD_NEWS_UNKNOWN (unknown member, self, newer incarnation or another address:
   * the full rules must decide). Reads the compact index (one cache line) for names with an id.
   */
  quickOldNews(name: string, incarnation: number, addr: Address): number {
    const id = this.pools.existingNameId(name);
    let known: number | undefined;
    let knownAddr: Address | undefined;
    if (id >= 0) {
      known = this.fast[2 * id] as number | undefined;
      knownAddr = this.fast[2 * id + 1] as Address | undefined;
    } else {
      const e = this.byName.get(name);
      if (e !== undefined && e !== this.self) {
        known = e.incarnation;
        knownAddr = e.addr;
      }
    }
    if (known === undefined || incarnation > known || !sameAddress(knownAddr as Address, addr)) {
      return OLD_NEWS_UNKNOWN;
    }
    return incarnation < known ? OLD_NEWS_OLDER : OLD_NEWS_SAME;
  }

  /** Refreshes the compact index after an entry's incarnation or address changed. */
  touch(entry: MemberEntry): void {
    if (entry === this.self) return;
    const id = this.pools.existingNameId(entry.name);
    if (id < 0 || this.byId[id] !== entry) return;
    this.fast[2 * id] = entry.incarnation;
    this.fast[2 * id + 1] = entry.addr;
  }

  get(name: string): MemberEntry | undefined {
    const id = this.pools.existingNameId(name);
    return id >= 0 ? this.byId[id] : this.byName.get(name);
  }

  /** Every entry, self included, in insertion order. */
  entries(): IterableIterator<MemberEntry> {
    return this.byName.values();
  }

  /** The same as entries(), each time it is iterated (verifyProtocol walks the table twice). */
  [Symbol.iterator](): IterableIterator<MemberEntry> {
    return this.byName.values();
  }

  /** Other members (self excluded), in no particular order. Do not mutate. */
  others(): readonly MemberEntry[] {
    return this.all;
  }

  /** Adds a new (non-self) member. */
  add(entry: MemberEntry): void {
    assert(!this.byName.has(entry.name), "member already in table");
    this.byName.set(entry.name, entry);
    this.index(entry);
    entry.allIndex = this.all.length;
    this.all.push(entry);
    this.counts[entry.state]++;
    if (isLive(entry.state)) this.pushLive(entry);
  }

  /** Removes a (non-self) member entirely (reaping). */
  remove(entry: MemberEntry): void {
    assert(entry !== this.self, "cannot remove self");
    assert(this.byName.get(entry.name) === entry, "removing an entry not in the table");
    this.byName.delete(entry.name);
    const id = this.pools.existingNameId(entry.name);
    if (id >= 0) {
      this.byId[id] = undefined;
      this.fast[2 * id] = undefined;
      this.fast[2 * id + 1] = undefined;
    }
    swapRemove(this.all, entry.allIndex, (e, i) => {
      e.allIndex = i;
    });
    entry.allIndex = -1;
    if (entry.liveIndex >= 0) this.removeLive(entry);
    this.counts[entry.state]--;
  }

  /** Sets a member's state and state-change time, keeping the arrays and counts in step. */
  setState(entry: MemberEntry, state: MemberState, nowMs: number): void {
    if (entry.state === state) return;
    if (entry !== this.self) {
      this.counts[entry.state]--;
      this.counts[state]++;
      const wasLive = entry.liveIndex >= 0;
      const nowLive = isLive(state);
      if (wasLive && !nowLive) this.removeLive(entry);
      else if (!wasLive && nowLive) this.pushLive(entry);
    }
    entry.state = state;
    entry.stateChangeMs = nowMs;
  }

  /**
   * Picks up to `k` distinct random other members accepted by `accept`, appending them to `out`.
   * Samples from the live array (or all, when `includeNonLive`) with a bounded number of tries, so
   * the cost is O(k) whatever the table size; may return fewer than k when matches are rare.
   */
  sample(
    k: number,
    random: Random,
    accept: (e: MemberEntry) => boolean,
    out: MemberEntry[],
    includeNonLive = false,
  ): MemberEntry[] {
    const pool = includeNonLive ? this.all : this.live;
    const n = pool.length;
    if (k <= 0 || n === 0) return out;
    const start = out.length;
    if (n <= k * 4) {
      // Small pool: a partial Fisher–Yates over a copy is exact and cheap.
      const copy = pool.slice();
      for (let i = 0; i < copy.length && out.length - start < k; i++) {
        const j = i + random.nextInt(copy.length - i);
        const e = copy[j] as MemberEntry;
        copy[j] = copy[i] as MemberEntry;
        copy[i] = e;
        if (accept(e)) out.push(e);
      }
      return out;
    }
    const tries = k * 8 + 16;
    for (let t = 0; t < tries && out.length - start < k; t++) {
      const e = pool[random.nextInt(n)] as MemberEntry;
      if (!accept(e)) continue;
      let dup = false;
      for (let i = start; i < out.length; i++) if (out[i] === e) dup = true;
      if (!dup) out.push(e);
    }
    return out;
  }

  private index(entry: MemberEntry): void {
    const id = this.pools.nameId(entry.name);
    if (id < 0) return;
    while (this.byId.length < id) this.byId.push(undefined);
    this.byId[id] = entry;
    while (this.fast.length < 2 * id) this.fast.push(undefined);
    if (entry !== this.self) {
      this.fast[2 * id] = entry.incarnation;
      this.fast[2 * id + 1] = entry.addr;
    }
  }

  private pushLive(entry: MemberEntry): void {
    entry.liveIndex = this.live.length;
    this.live.push(entry);
  }

  private removeLive(entry: MemberEntry): void {
    swapRemove(this.live, entry.liveIndex, (e, i) => {
      e.liveIndex = i;
    });
    entry.liveIndex = -1;
  }
}

function swapRemove(arr: MemberEntry[], index: number, setIndex: (e: MemberEntry, i: number) => void): void {
  assert(index >= 0 && index < arr.length, "swapRemove index out of range");
  const last = arr.pop() as MemberEntry;
  if (index < arr.length) {
    arr[index] = last;
    setIndex(last, index);
  }
}
