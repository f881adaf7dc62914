/*
 * The rules that decide which membership message wins (SWIM §4.2
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
 * The verdict functions below only read the table (member-table.ts); SwimNode applies them.
 */
import type {DropReason} from "./io.ts";
import {type MemberTable, NO_SLOT} from "./member-table.ts";
import type {AliveMessage, DeadMessage, SuspectMessage, Vsn} from "./messages.ts";
import {bytesEqual, sameAddress, vsnEqual} from "./messages.ts";

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

/** Decides an alive message against the known entry `known` (NO_SLOT: unknown) of `table` (docs/memberlist-wire.md §7.7). */
export function aliveVerdict(table: MemberTable, known: number, msg: AliveMessage, ctx: SelfContext): AliveVerdict {
  const isSelf = msg.node === ctx.selfName;
  if (isSelf && ctx.leaving) return "noop";
  if (isBadVsn(msg.vsn)) return "badVsn";
  if (known === NO_SLOT) return "insert";
  const state = table.stateOf(known);
  const incarnation = table.incarnationOf(known);
  let updatesAddress = false;
  if (!sameAddress(table.addrOf(known), msg.addr)) {
    const canReclaim = ctx.deadNodeReclaimMs > 0 && ctx.nowMs - table.stateChangeMsOf(known) > ctx.deadNodeReclaimMs;
    if (state === "left" || (state === "dead" && canReclaim)) updatesAddress = true;
    else return "addressConflict";
  }
  if (isSelf) {
    if (msg.incarnation < incarnation) return "oldIncarnation";
    if (
      msg.incarnation === incarnation &&
      bytesEqual(msg.meta, table.metaOf(known)) &&
      vsnEqual(msg.vsn, table.vsnOf(known))
    ) {
      return "noop";
    }
    return "refute";
  }
  if (!updatesAddress) {
    if (msg.incarnation < incarnation) return "oldIncarnation";
    if (msg.incarnation === incarnation) return "noop";
  }
  return "accept";
}

/**
 * Verdict on a suspect message (docs/memberlist-wire.md §7.4). `hasSuspicion`: a suspicion timer already runs for
 * the member, so the message can only confirm it.
 */
export type SuspectVerdict = "accept" | "confirm" | "refute" | "noop" | DropReason;

export function suspectVerdict(
  table: MemberTable,
  known: number,
  msg: SuspectMessage,
  hasSuspicion: boolean,
  selfName: string,
): SuspectVerdict {
  if (known === NO_SLOT) return "unknownMember";
  if (msg.incarnation < table.incarnationOf(known)) return "oldIncarnation";
  if (hasSuspicion) return "confirm";
  if (table.stateOf(known) !== "alive") return "noop";
  if (msg.node === selfName) return "refute";
  return "accept";
}

/** Verdict on a dead message (docs/memberlist-wire.md §7.5). `accept` covers both dead and left (from === node). */
export type DeadVerdict = "accept" | "refute" | "noop" | DropReason;

export function deadVerdict(table: MemberTable, known: number, msg: DeadMessage, ctx: SelfContext): DeadVerdict {
  if (known === NO_SLOT) return "unknownMember";
  if (msg.incarnation < table.incarnationOf(known)) return "oldIncarnation";
  const state = table.stateOf(known);
  if (state === "dead" || state === "left") return "noop";
  if (msg.node === ctx.selfName && !ctx.leaving) return "refute";
  return "accept";
}
