/*
 * A content-addressed memo of decoded gossip parts (alive, suspect, dead) and push-pull node states.
 *
 * In SWIM's infection-style dissemination every update reaches each member about retransmitLimit
 * times (16 at 1,000 members), and every copy is the same bytes: the update is encoded once where
 * it was first queued and relayed verbatim. Most gossip a member receives is therefore a part it
 * has decoded before. The memo keys a decoded message by the part's exact bytes (a hash over
 * 32-bit words picks the slot, then a full word-by-word comparison), so a repeated part costs a
 * hash and a compare instead of a msgpack walk and a handful of allocations. Decoding a gossip
 * part is a function of its bytes, so a hit returns exactly what decoding would. Never stored:
 * parts that fail to decode, and parts with an IPv4-mapped address, whose decoding also has a
 * side effect (the context's memory of mapped addresses, address.ts, keeps it so that it is
 * re-encoded in the same form).
 *
 * Push-pull is the same story at a larger grain: every push-pull carries every member's state,
 * and all members that agree on a member send its state as the same bytes.
 *
 * A memo decodes with its own codec context (context.ts), and its values' names and addresses
 * come from that context's InternPools: give a driver's or a simulation's memo the context its
 * nodes share. Memoized values are shared by every caller that receives the same bytes. Their
 * name and address are the core's interned instances (a member table keyed by that name, holding that
 * address, then matches them by identity), and since the encoder keeps a gossip message's bytes
 * in its `wire` slot (encode.ts), relaying one, as every receiver does, encodes it once in the
 * whole process. Callers must not mutate them (core messages are readonly).
 *
 * Two-way set associative, least recently used out. Memory is bounded by `capacity` entries of
 * at most MEMO_PART_MAX bytes each. A part of at most SMALL_PART_MAX bytes (nearly all: gossip
 * parts and node states without long metas) is kept in a dense arena of that stride, so the
 * pages a probe touches stay few (at 10,000 simulated nodes each probe is otherwise a TLB miss).
 */

import type {InternPools, Message, PushNodeState} from "../core/index.ts";
import {CodecContext} from "./context.ts";
import type {MsgpackReader} from "./msgpack-reader.ts";
import {MessageType} from "./wire.ts";

/** Parts longer than this are decoded every time (gossip parts are ~50–80 bytes; meta may add 512). */
const MEMO_PART_MAX = 640;
/** Parts up to this long are kept in the dense arena; longer ones in the wide one. */
const SMALL_PART_MAX = 128;
/**
 * Leading bytes of a push-pull node state that pick its slot: its map header, name and address
 * (a state is longer: seven keys alone take 43 bytes). Shorter states are never stored.
 */
const STATE_PREFIX = 32;

/** A bounded memo of decoded alive/suspect/dead parts, shared by the decoders given it. */
export class GossipMemo {
  // BOUNDED: `capacity` slots (two per set), each holding ≤ MEMO_PART_MAX bytes. Slot i's part
  // hash is keys[2i] and its length keys[2i + 1] (0: empty); its bytes are a copy at
  // i × SMALL_PART_MAX in the dense arena, or at i × MEMO_PART_MAX in the wide one (made at the
  // first such part) when longer. A probe reads one flat array, then the slot's bytes only
  // when hash and length match: no object is chased (in a 1,000-node simulation each such hop
  // is a cache miss). The arena's pages are touched as slots fill, so a small cluster's memo
  // stays small.
  private readonly keys: Int32Array;
  private readonly arena: DataView;
  private wideArena: DataView | undefined;
  /** Per set, which of its two slots (0 or 1) was stored or hit last; a new part replaces the other. */
  private readonly front: Uint8Array;
  /** Slot i's decoded value: a Message for a gossip part, a PushNodeState for a node state (the bytes tell which). */
  private readonly values: unknown[];
  private readonly setMask: number;
  private lastBuffer: Uint8Array | undefined;
  private lastView: DataView | undefined;
  /** Parts answered from the memo. */
  hits = 0;
  /** Parts decoded and stored. */
  misses = 0;
  /** The context every decode through this memo uses. */
  readonly context: CodecContext;

  /** `capacity` is rounded up to a power of two (at least 16); `context` defaults to a new one. */
  constructor(capacity = 4096, context: CodecContext = new CodecContext()) {
    this.context = context;
    let size = 16;
    while (size < capacity) size *= 2;
    this.keys = new Int32Array(2 * size);
    this.arena = new DataView(new ArrayBuffer(size * SMALL_PART_MAX));
    // Slot 1 starts at the front, so the first part of a set goes to slot 0.
    this.front = new Uint8Array(size / 2).fill(1);
    this.values = new Array<unknown>(size).fill(undefined);
    this.setMask = size / 2 - 1;
  }

  /** Whether a part starting with type byte `type` and `length` bytes long may be memoized. */
  static accepts(type: number, length: number): boolean {
    return (
      (type === MessageType.Alive || type === MessageType.Suspect || type === MessageType.Dead) &&
      length <= MEMO_PART_MAX
    );
  }

  /**
   * The message for part `bytes[start..end)`: the memoized one when the same bytes were decoded
   * before, otherwise `decode(bytes, start, end)`'s result, remembered. Errors from `decode`
   * propagate and store nothing.
   */
  decode(
    bytes: Uint8Array,
    start: number,
    end: number,
    decode: (bytes: Uint8Array, start: number, end: number, context: CodecContext) => Message,
  ): Message {
    const view = this.viewOf(bytes);
    const length = end - start;
    const h = hashWords(view, start, length);
    const set = h & this.setMask;
    const keys = this.keys;
    for (let k = 0; k < 2; k++) {
      const slot = 2 * set + k;
      if (keys[2 * slot] === h && keys[2 * slot + 1] === length && this.holds(slot, length, view, start)) {
        this.hits++;
        this.front[set] = k;
        return this.values[slot] as Message;
      }
    }
    const mapped = this.context.mappedAddresses;
    const seen = mapped.seen;
    const decoded = decode(bytes, start, end, this.context);
    this.misses++;
    // Decoding an IPv4-mapped address remembers it (address.ts); a hit would skip that, so such
    // parts are decoded every time.
    if (mapped.seen !== seen) return decoded;
    const value = shareable(decoded, this.context.intern);
    this.store(set, h, bytes, start, length, value);
    return value;
  }

  /**
   * The same for the push-pull node state at `r.pos`, leaving `r.pos` where it ends. A state's
   * slot is picked by a hash of its first STATE_PREFIX bytes, so a repeated state is found before
   * its end is known: msgpack values delimit themselves, so bytes at `r.pos` equal to a whole
   * stored state are that state. On a miss `decode` reads it from `r` as decoding without a memo
   * does (same errors, same "need more bytes"). A node state is a msgpack map, so its bytes never
   * equal a gossip part's, which starts with a message type byte 3–5.
   */
  decodeStateAt(r: MsgpackReader, decode: (r: MsgpackReader, context: CodecContext) => PushNodeState): PushNodeState {
    const bytes = r.buf;
    const start = r.pos;
    const view = this.viewOf(bytes);
    const first = bytes[start] ?? 0;
    const isMap = (first & 0xf0) === 0x80 || first === 0xde || first === 0xdf;
    let h = 0;
    let set = -1;
    if (isMap && r.end - start >= STATE_PREFIX) {
      h = hashWords(view, start, STATE_PREFIX);
      set = h & this.setMask;
      const keys = this.keys;
      for (let k = 0; k < 2; k++) {
        const slot = 2 * set + k;
        const length = keys[2 * slot + 1] as number;
        if (
          keys[2 * slot] === h &&
          length >= STATE_PREFIX &&
          start + length <= r.end &&
          this.holds(slot, length, view, start)
        ) {
          this.hits++;
          this.front[set] = k;
          r.pos = start + length;
          return this.values[slot] as PushNodeState;
        }
      }
    }
    const mapped = this.context.mappedAddresses;
    const seen = mapped.seen;
    const decoded = decode(r, this.context);
    this.misses++;
    const length = r.pos - start;
    if (set < 0 || length > MEMO_PART_MAX || mapped.seen !== seen) return decoded;
    const value = shareableState(decoded, this.context.intern);
    this.store(set, h, bytes, start, length, value);
    return value;
  }

  /** Whether slot `slot`, holding a part of `length` bytes, holds those of `v` at `start`. */
  private holds(slot: number, length: number, v: DataView, start: number): boolean {
    if (length <= SMALL_PART_MAX) return sameWords(this.arena, slot * SMALL_PART_MAX, v, start, length);
    return sameWords(this.wideArena as DataView, slot * MEMO_PART_MAX, v, start, length);
  }

  /** Remembers `value` for the `length` bytes at `start`, hashed `h`, in `set`: it replaces the part not at the front, and takes the front. */
  private store(set: number, h: number, bytes: Uint8Array, start: number, length: number, value: unknown): void {
    const k = 1 - (this.front[set] as number);
    const slot = 2 * set + k;
    this.front[set] = k;
    this.keys[2 * slot] = h;
    this.keys[2 * slot + 1] = length;
    let at = slot * SMALL_PART_MAX;
    let arena = this.arena;
    if (length > SMALL_PART_MAX) {
      this.wideArena ??= new DataView(new ArrayBuffer(this.values.length * MEMO_PART_MAX));
      arena = this.wideArena;
      at = slot * MEMO_PART_MAX;
    }
    new Uint8Array(arena.buffer, at, length).set(bytes.subarray(start, start + length));
    this.values[slot] = value;
  }

  /** A DataView over `bytes` (the last one is kept: a push-pull's states are all in one buffer). */
  private viewOf(bytes: Uint8Array): DataView {
    let view = this.lastView;
    if (this.lastBuffer !== bytes || view === undefined) {
      view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      this.lastBuffer = bytes;
      this.lastView = view;
    }
    return view;
  }
}

/** A 32-bit hash (signed) of `length` bytes at `start`: FNV-1a over little-endian 32-bit words, then an avalanche. */
function hashWords(v: DataView, start: number, length: number): number {
  const end = start + length;
  let h = length;
  let p = start;
  for (; p + 4 <= end; p += 4) h = Math.imul(h ^ v.getInt32(p, true), 0x01000193);
  for (; p < end; p++) h = Math.imul(h ^ v.getUint8(p), 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h;
}

/** Whether the `length` bytes of `kept` at `at` (a stored part) equal those of `v` at `start`. */
function sameWords(kept: DataView, at: number, v: DataView, start: number, length: number): boolean {
  const words = length & ~3;
  for (let i = 0; i < words; i += 4) if (kept.getInt32(at + i, true) !== v.getInt32(start + i, true)) return false;
  for (let i = words; i < length; i++) if (kept.getUint8(at + i) !== v.getUint8(start + i)) return false;
  return true;
}

/** The shared form of a gossip message: the core's interned name and address, same field order as the decoder's. */
function shareable(m: Message, pools: InternPools): Message {
  switch (m.type) {
    case "alive":
      return {
        type: "alive",
        incarnation: m.incarnation,
        node: pools.internName(m.node),
        addr: pools.internAddress(m.addr),
        meta: m.meta,
        vsn: m.vsn,
        wire: undefined,
      };
    case "suspect":
    case "dead":
      return {
        type: m.type,
        incarnation: m.incarnation,
        node: pools.internName(m.node),
        from: pools.internName(m.from),
        wire: undefined,
      };
    default:
      return m;
  }
}

/** The shared form of a push-pull node state: the core's interned name and address. */
function shareableState(s: PushNodeState, pools: InternPools): PushNodeState {
  return {
    name: pools.internName(s.name),
    addr: pools.internAddress(s.addr),
    incarnation: s.incarnation,
    meta: s.meta,
    state: s.state,
    vsn: s.vsn,
  };
}
