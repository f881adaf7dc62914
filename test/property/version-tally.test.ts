/*
 * The member table's Vsn tally (src/core/version-tally.ts) against the ranges computed from
 * scratch: after any sequence of adds, state changes, Vsn changes and removals, the table's
 * version ranges (MemberTable.versionRanges, which push-pull's version check reads instead of
 * walking every member) equal those of its members listed one by one.
 */
import fc from "fast-check";
import {describe, expect, it} from "vitest";
import {DEFAULT_VSN, InternPools, type MemberState, type Vsn} from "../../src/core/index.ts";
import {MemberTable, NO_SLOT, SELF_SLOT} from "../../src/core/member-table.ts";
import {emptyRanges, versionedList} from "../../src/core/push-pull.ts";
import {checkProperty} from "../helpers/property-run.ts";

const NAMES = ["m1", "m2", "m3", "m4", "m5"] as const;
const EMPTY = new Uint8Array(0);
/** The default, newer and older protocols and delegates, and a fresh array equal to the default. */
const VSNS: readonly Vsn[] = [
  DEFAULT_VSN,
  [1, 5, 5, 2, 5, 5],
  [1, 3, 1, 2, 4, 3],
  [2, 4, 3, 1, 5, 2],
  [...DEFAULT_VSN] as unknown as Vsn,
];
const STATES: readonly MemberState[] = ["alive", "suspect", "dead", "left"];

type Op =
  | {op: "add"; name: number; vsn: number; state: number}
  | {op: "state"; name: number; state: number}
  | {op: "vsn"; name: number; vsn: number}
  | {op: "remove"; name: number};

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({op: fc.constant("add" as const), name: fc.nat(6), vsn: fc.nat(4), state: fc.nat(3)}),
  fc.record({op: fc.constant("state" as const), name: fc.nat(6), state: fc.nat(3)}),
  fc.record({op: fc.constant("vsn" as const), name: fc.nat(6), vsn: fc.nat(4)}),
  fc.record({op: fc.constant("remove" as const), name: fc.nat(6)}),
);

/** The table's members (self first) as plain data, for the from-scratch ranges. */
function membersOf(t: MemberTable) {
  return t.inOrder([]).map((slot) => ({name: t.nameOf(slot), state: t.stateOf(slot), vsn: t.vsnOf(slot)}));
}

describe("Vsn tally", () => {
  it("keeps the table's version ranges equal to its members' through adds, state and Vsn changes and removals", () => {
    checkProperty(
      "keeps the table's version ranges equal to its members' through adds, state and Vsn changes and removals",
      fc.record({selfVsn: fc.nat(4), ops: fc.array(op, {minLength: 1, maxLength: 60})}),
      ({selfVsn, ops}) => {
        const self = {name: "self", addr: {host: "10.0.0.1", port: 7946}, incarnation: 1, meta: EMPTY};
        const t = new MemberTable({...self, vsn: VSNS[selfVsn] as Vsn}, new InternPools());
        for (const o of ops) {
          // Index 5 and 6 name self, so its state and Vsn change too.
          const name = o.name < NAMES.length ? (NAMES[o.name] as string) : "self";
          const slot = name === "self" ? SELF_SLOT : t.slotOf(name);
          if (o.op === "add") {
            if (slot !== NO_SLOT) continue;
            t.add(
              name,
              {host: `10.0.1.${o.name}`, port: 7946},
              1,
              EMPTY,
              VSNS[o.vsn] as Vsn,
              STATES[o.state] as MemberState,
              0,
            );
          } else if (slot === NO_SLOT) {
            continue;
          } else if (o.op === "state") {
            t.setState(slot, STATES[o.state] as MemberState, 1);
          } else if (o.op === "vsn") {
            t.setIdentity(slot, t.addrOf(slot), t.metaOf(slot), VSNS[o.vsn] as Vsn);
          } else {
            if (slot === SELF_SLOT) continue;
            t.remove(slot);
          }
          const want = emptyRanges();
          versionedList(membersOf(t)).ranges(want);
          const got = emptyRanges();
          t.versionRanges(got);
          expect(got).toEqual(want);
        }
        return true;
      },
      {numRuns: 300, file: import.meta.url},
    );
  });
});
