/*
 * Tombstones: the memory of reaped dead and left members (Lifeline's addition).
 *
 * memberlist forgets a dead or left member entirely after GossipToTheDead, and then an alive at
 * the same incarnation from a node that missed the death or leave (one that was paused or cut off
 * meanwhile) inserts it again as a new member (memberlist issue #312; found here by the safety
 * property, soak seeds 2350975446 and 988291260). A tombstone refuses such an alive, and the node
 * tells the member's address it is dead, so a real rejoin refutes to a higher incarnation.
 *
 * Entries expire after a time-to-live the caller passes (reconnectTimeoutMs); an alive at a higher
 * incarnation than the tombstone's clears it.
 */

/** A reaped dead or left member. */
export interface Tombstone {
  readonly incarnation: number;
  /** Whether the member left gracefully (its dead message then comes "from" itself). */
  readonly left: boolean;
  readonly reapedAtMs: number;
}

/** A bounded map from member name to its tombstone, oldest forgotten first. */
export class Tombstones {
  // BOUNDED: `max` entries (oldest evicted; entries older than the ttl are ignored and dropped).
  private readonly byName = new Map<string, Tombstone>();
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  get size(): number {
    return this.byName.size;
  }

  /** Records that `name` was reaped at `nowMs` (replacing an older tombstone; it becomes the newest). */
  bury(name: string, incarnation: number, left: boolean, nowMs: number): void {
    this.byName.delete(name);
    if (this.byName.size >= this.max) this.byName.delete(this.byName.keys().next().value as string);
    this.byName.set(name, {incarnation, left, reapedAtMs: nowMs});
  }

  /** Forgets the tombstone of `name` (it was reaped again, or came back). */
  forget(name: string): void {
    this.byName.delete(name);
  }

  /**
   * The tombstone that refuses an alive for `name` at `incarnation`, if one does: it is younger
   * than `ttlMs` and the alive is at no higher incarnation. A tombstone that does not refuse
   * (expired, or outranked by a rejoin) is forgotten.
   */
  refusing(name: string, incarnation: number, nowMs: number, ttlMs: number): Tombstone | undefined {
    const tomb = this.byName.get(name);
    if (tomb === undefined) return undefined;
    if (nowMs - tomb.reapedAtMs <= ttlMs && incarnation <= tomb.incarnation) return tomb;
    this.byName.delete(name);
    return undefined;
  }
}
