/*
 * A member table's Vsn tally: how many members speak each Vsn and how many of those are alive,
 * kept as members come, go, change state or change Vsn. Push-pull's version check
 * (push-pull.ts, verifyProtocol) then reads the table's version ranges from the tally, in
 * O(distinct Vsns), one in a uniform cluster, instead of walking every member at every
 * push-pull. Vsns are keyed by instance: the pools intern them, and two equal Vsns held as two
 * instances only take two entries, which give the same ranges as one.
 */
import {assert} from "./errors.ts";
import type {Vsn} from "./messages.ts";
import {resetRanges, type VersionRanges, widenRanges} from "./push-pull.ts";

interface Tally {
  all: number;
  alive: number;
}

export class VersionTally {
  // BOUNDED: one entry per Vsn instance some member of the table holds (at most its members).
  private readonly counts = new Map<Vsn, Tally>();

  /** A member holding `vsn` came. */
  add(vsn: Vsn, alive: boolean): void {
    let t = this.counts.get(vsn);
    if (t === undefined) {
      t = {all: 0, alive: 0};
      this.counts.set(vsn, t);
    }
    t.all++;
    if (alive) t.alive++;
  }

  /** A member holding `vsn` went. */
  remove(vsn: Vsn, alive: boolean): void {
    const t = this.counts.get(vsn);
    assert(t !== undefined, "removing a Vsn the tally does not hold");
    t.all--;
    if (alive) t.alive--;
    if (t.all === 0) this.counts.delete(vsn);
  }

  /** A member holding `vsn` became alive (`alive`) or stopped being alive. */
  setAlive(vsn: Vsn, alive: boolean): void {
    const t = this.counts.get(vsn);
    assert(t !== undefined, "a state change for a Vsn the tally does not hold");
    t.alive += alive ? 1 : -1;
  }

  /** The version ranges over the members (see VersionRanges), written into `into`. */
  ranges(into: VersionRanges): void {
    resetRanges(into);
    for (const [vsn, t] of this.counts) widenRanges(into, vsn, t.alive > 0);
  }
}
