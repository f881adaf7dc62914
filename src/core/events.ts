/*
 * What the core tells its driver about membership: member events (returned as `notify` effects,
 * never through callbacks) and the read-only view of a member they carry.
 */
import type {Address, MemberState, Vsn} from "./messages.ts";

/** A snapshot of one member, safe to keep (it is not updated in place). */
export interface MemberView {
  readonly name: string;
  readonly addr: Address;
  readonly state: MemberState;
  readonly incarnation: number;
  /** Node metadata bytes (serf tags encoding; see codec's encodeTags/decodeTags). */
  readonly meta: Uint8Array;
  readonly vsn: Vsn;
  /** Core time (ms) of the last state change. */
  readonly stateChangeMs: number;
}

/**
 * Member events, emitted in state-change order, after the change is committed.
 * - memberUp: first sight of an alive member, or a dead/left member alive again.
 * - memberSuspect: an alive member became suspect.
 * - memberDown: declared dead (failed) — by our suspicion timer or by gossip.
 * - memberLeft: left gracefully (a dead message from the node about itself).
 * - memberUpdated: an alive member changed its meta (tags) or address.
 * - memberAlive: a suspect member was refuted (back to alive without having been down).
 */
export type MemberEvent =
  | {readonly type: "memberUp"; readonly member: MemberView}
  | {readonly type: "memberSuspect"; readonly member: MemberView}
  | {readonly type: "memberAlive"; readonly member: MemberView}
  | {readonly type: "memberDown"; readonly member: MemberView}
  | {readonly type: "memberLeft"; readonly member: MemberView}
  | {readonly type: "memberUpdated"; readonly member: MemberView};

/**
 * Node-level notifications.
 * - refuted: we were suspected or declared dead and raised our incarnation to refute it.
 * - left: `leave` finished (the leave broadcast was transmitted or leaveTimeoutMs passed).
 * - nameConflict: an alive message claims a live member's name from another address (memberlist's
 *   NotifyConflict); the message was ignored. `name` may be ours: someone else uses our name.
 */
export type NodeEvent =
  | {readonly type: "refuted"; readonly incarnation: number; readonly accusedBy: string}
  | {readonly type: "left"}
  | {readonly type: "nameConflict"; readonly name: string; readonly existing: Address; readonly other: Address};

export type Notification = MemberEvent | NodeEvent;
