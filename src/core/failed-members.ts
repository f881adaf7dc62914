/*
 * Healing memory (Lifeline's addition; memberlist has none, serf has its reconnect loop).
 * When a member is declared dead we remember its name and address for reconnectTimeoutMs,
 * even after the member table reaps it. Every reconnectIntervalMs the node push-pulls with one
 * remembered member picked at random; after a partition heals, that exchange is what lets the
 * two halves learn about each other again (and refute each other's "dead" verdicts) without an
 * operator.
 *
 * Entries live in a dense array with swap-remove (random pick in O(1)) plus a name index.
 */
import {assert} from "./errors.ts";
import type {Address} from "./messages.ts";
import type {Random} from "./random.ts";

/** One remembered failed member. */
export interface FailedMember {
  readonly name: string;
  readonly addr: Address;
  /** When we learnt it was dead (core ms). */
  readonly deadAtMs: number;
}

interface Slot {
  member: FailedMember;
  index: number;
}

/** A bounded set of recently failed members. */
export class FailedMembers {
  // BOUNDED: `max` entries; when full, a random entry is replaced; entries expire after ttlMs.
  private readonly slots: Slot[] = [];
  // BOUNDED: same entries as `slots`.
  private readonly byName = new Map<string, Slot>();
  private readonly max: number;

  constructor(max: number) {
    assert(max >= 1, "failed member bound must be positive");
    this.max = max;
  }

  get size(): number {
    return this.slots.length;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Remembers (or refreshes) a failed member. */
  remember(member: FailedMember, random: Random): void {
    const existing = this.byName.get(member.name);
    if (existing !== undefined) {
      existing.member = member;
      return;
    }
    if (this.slots.length >= this.max) {
      const victim = this.slots[random.nextInt(this.slots.length)] as Slot;
      this.forget(victim.member.name);
    }
    const slot: Slot = {member, index: this.slots.length};
    this.slots.push(slot);
    this.byName.set(member.name, slot);
  }

  /** Forgets `name` (it came back, or left gracefully). */
  forget(name: string): void {
    const slot = this.byName.get(name);
    if (slot === undefined) return;
    this.byName.delete(name);
    const last = this.slots.pop() as Slot;
    if (last !== slot) {
      this.slots[slot.index] = last;
      last.index = slot.index;
    }
  }

  /**
   * A random remembered member accepted by `accept`, forgetting expired ones (older than
   * `ttlMs`) it meets on the way. Bounded tries: O(1) per call.
   */
  pick(nowMs: number, ttlMs: number, random: Random, accept: (m: FailedMember) => boolean): FailedMember | undefined {
    for (let tries = 0; tries < 8 && this.slots.length > 0; tries++) {
      const slot = this.slots[random.nextInt(this.slots.length)] as Slot;
      if (nowMs - slot.member.deadAtMs > ttlMs) {
        this.forget(slot.member.name);
        continue;
      }
      if (accept(slot.member)) return slot.member;
    }
    return undefined;
  }

  /** Every remembered member (for diagnostics and tests). */
  list(): FailedMember[] {
    return this.slots.map((s) => s.member);
  }
}
