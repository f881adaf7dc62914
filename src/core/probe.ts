/*
 * Probe cycle bookkeeping (SWIM §4.3 "round-robin probe target selection"; memberlist's
 * state.go probe / probeNode / handleIndirectPing).
 *
 * - ProbeRing: every member is probed once per round, in an order shuffled at each wrap; new
 *   members are swapped into a random position, so a newcomer waits at most one round. On
 *   wrap the owner reaps long-dead members and the order is rebuilt and reshuffled, which costs
 *   O(n) once per n probes.
 * - ActiveProbe: a probe in flight (the round-robin one, and a suspect probe beside it), keyed by its seqNo (direct ping, then indirect pings
 *   and a TCP ping after probeTimeoutMs, then suspicion at the scaled deadline).
 * - ServedRequests: indirect pings we forward for others, keyed by the seqNo of our own ping:
 *
 *     A ->[indirectPing(B, seq 7)] C      C ->[ping seq 91] B      B ->[ack 91] C      C ->[ack 7] A
 *     (B silent for probeTimeoutMs and A asked for it:   C ->[nack 7] A)
 */
import {assert} from "./errors.ts";
import type {MemberIdentity} from "./intern.ts";
import type {Address} from "./messages.ts";
import {type Random, shuffle} from "./random.ts";

/** Shuffled round-robin order of probe targets: member-table slots (member-table.ts), in an Int32Array. */
export class ProbeRing {
  // BOUNDED: one place per member in the table (rebuilt from the table at every wrap); grows by doubling.
  private order = new Int32Array(4);
  private len = 0;
  private index = 0;

  /** Inserts a new member at a random position (memberlist inserts new nodes at a random offset). */
  add(slot: number, random: Random): void {
    this.reserve(this.len + 1);
    const last = this.len++;
    const j = random.nextInt(this.len);
    this.order[last] = this.order[j] as number;
    this.order[j] = slot;
  }

  /**
   * The next member accepted by `eligible`, advancing the cursor. At the end of the order,
   * `onWrap` is called and must return the members for the next round (it reaps); they are
   * shuffled. Returns undefined when a whole pass finds nobody eligible.
   */
  next(eligible: (slot: number) => boolean, onWrap: () => readonly number[], random: Random): number | undefined {
    // At most one wrap per call: the rest of this round, then one full pass over the new round.
    // (memberlist counts the wrap against the old round's length and can skip a tick.)
    let wrapped = false;
    for (;;) {
      if (this.index >= this.len) {
        if (wrapped) return undefined;
        wrapped = true;
        const round = onWrap();
        this.reserve(round.length);
        this.order.set(round);
        this.len = round.length;
        shuffle(this.order, random, this.len);
        this.index = 0;
        if (this.len === 0) return undefined;
      }
      const slot = this.order[this.index++] as number;
      if (eligible(slot)) return slot;
    }
  }

  get length(): number {
    return this.len;
  }

  private reserve(size: number): void {
    if (size <= this.order.length) return;
    const grown = new Int32Array(Math.max(size, 2 * this.order.length));
    grown.set(this.order.subarray(0, this.len));
    this.order = grown;
  }
}

/** A probe in flight. */
export interface ActiveProbe {
  readonly seqNo: number;
  /** The target's slot in the member table, and that slot's generation then (member-table.ts). */
  readonly target: number;
  readonly targetGeneration: number;
  /**
   * The target's identity, kept fresh from the table while the slot is the target's: what the
   * probe reads should the target be reaped (its slot freed) while the probe runs.
   */
  targetIdentity: MemberIdentity;
  /** The target's incarnation when the probe started (the suspicion uses it). */
  readonly incarnation: number;
  readonly startMs: number;
  /** startMs + probeIntervalMs × (awareness + 1): the ack handler's lifetime. */
  readonly deadlineMs: number;
  /** Indirect helpers asked that will nack (peer pMax ≥ 4). */
  expectedNacks: number;
  nacks: number;
  /**
   * True once probeTimeoutMs passed without an ack and the indirect pings went out: an ack from
   * then on completes the probe but is no RTT sample (memberlist notifies its PingDelegate only
   * in the direct phase).
   */
  indirect: boolean;
  /** The outgoing stream id of the TCP fallback ping, if one was opened. */
  tcpStreamId: number | undefined;
  /** The deadline fired late once and was deferred (config.lateTimerGraceMs). */
  graced: boolean;
  /** A suspect probe (config.suspectProbes), run beside the round-robin one. */
  readonly suspect: boolean;
}

/** An indirect ping we forward for someone: where to send the ack or nack. */
export interface ServedRequest {
  readonly requesterSeqNo: number;
  readonly replyTo: Address;
  readonly nack: boolean;
}

/** Indirect requests we serve, keyed by our forwarded ping's seqNo. */
export class ServedRequests {
  // BOUNDED: `max` entries; each also expires through its indirectTimeout timer.
  private readonly bySeq = new Map<number, ServedRequest>();
  private readonly max: number;

  constructor(max: number) {
    assert(max >= 1, "served request bound must be positive");
    this.max = max;
  }

  get size(): number {
    return this.bySeq.size;
  }

  /** False when full (the request is then refused). */
  add(seqNo: number, request: ServedRequest): boolean {
    if (this.bySeq.size >= this.max) return false;
    this.bySeq.set(seqNo, request);
    return true;
  }

  /** Removes and returns the request for `seqNo`. */
  take(seqNo: number): ServedRequest | undefined {
    const r = this.bySeq.get(seqNo);
    if (r !== undefined) this.bySeq.delete(seqNo);
    return r;
  }
}
