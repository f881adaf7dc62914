/*
 * Push-pull anti-entropy (memberlist's pushPullScale, verifyProtocol; docs/memberlist-wire.md §6.2, §6.4, §7.9).
 * Every so often a node exchanges its whole member table with one random member over a stream,
 * and both merge what they receive by the ordinary precedence rules. Because the exchange is
 * O(n), its period grows with the cluster: ×(ceil(log2 n − 5) + 1) above 32 members.
 * Before merging, every member's spoken protocol and delegate versions must lie within the range
 * every alive member understands; otherwise nothing is merged.
 */
import type {PushNodeState, Vsn} from "./messages.ts";

/** Members up to which the push-pull period is not scaled. */
const PUSH_PULL_SCALE_THRESHOLD = 32;

/** The push-pull period for `n` members: intervalMs × (ceil(log2(n) − 5) + 1) above 32, else intervalMs. */
export function pushPullScaleMs(intervalMs: number, n: number): number {
  if (n <= PUSH_PULL_SCALE_THRESHOLD) return intervalMs;
  const multiplier = Math.ceil(Math.log2(n) - Math.log2(PUSH_PULL_SCALE_THRESHOLD)) + 1;
  return multiplier * intervalMs;
}

/** A local member as the version check sees it. */
export interface VersionedMember {
  readonly name: string;
  readonly state: string;
  readonly vsn: Vsn;
}

/**
 * The version ranges verifyProtocol computes over a set of members: over the alive ones, the
 * highest minimum and lowest maximum protocol (P) and delegate (D) versions they understand;
 * over all of them, the lowest and highest versions they speak (0 for an empty Vsn).
 */
export interface VersionRanges {
  maxPMin: number;
  minPMax: number;
  maxDMin: number;
  minDMax: number;
  lowP: number;
  highP: number;
  lowD: number;
  highD: number;
}

/** Ranges over no member: every version understood, none spoken. */
export function emptyRanges(): VersionRanges {
  return resetRanges({} as VersionRanges);
}

/** Sets `r` to the ranges over no member (see emptyRanges), without allocating; returns it. */
export function resetRanges(r: VersionRanges): VersionRanges {
  r.maxPMin = 0;
  r.minPMax = 255;
  r.maxDMin = 0;
  r.minDMax = 255;
  r.lowP = 255;
  r.highP = 0;
  r.lowD = 255;
  r.highD = 0;
  return r;
}

/**
 * Widens `r` by one member's (or, with `alive` counted once, every such member's) versions. A
 * local member's empty Vsn reads as undefined here, which turns the understood range to NaN and
 * so accepts everything, as memberlist's Go reads missing versions; a remote one is skipped by
 * the caller.
 */
export function widenRanges(r: VersionRanges, vsn: Vsn | readonly number[], alive: boolean): void {
  const p = currentProtocol(vsn);
  const d = currentDelegate(vsn);
  if (p < r.lowP) r.lowP = p;
  if (p > r.highP) r.highP = p;
  if (d < r.lowD) r.lowD = d;
  if (d > r.highD) r.highD = d;
  if (!alive) return;
  r.maxPMin = Math.max(r.maxPMin, vsn[0] as number);
  r.minPMax = Math.min(r.minPMax, vsn[1] as number);
  r.maxDMin = Math.max(r.maxDMin, vsn[3] as number);
  r.minDMax = Math.min(r.minDMax, vsn[4] as number);
}

/**
 * The local members as verifyProtocol reads them: their ranges at once (a member table keeps
 * them as it changes), and `count` members by index, read only to name a failing one. `at(i)`
 * may hand out one reused cursor, read before the next call.
 */
export interface VersionedMembers {
  readonly count: number;
  at(i: number): VersionedMember;
  /** The members' ranges, written into `into`. */
  ranges(into: VersionRanges): void;
}

/** A list of members as VersionedMembers. */
export function versionedList(members: readonly VersionedMember[]): VersionedMembers {
  return {
    count: members.length,
    at: (i) => members[i] as VersionedMember,
    ranges(into) {
      resetRanges(into);
      for (const m of members) widenRanges(into, m.vsn, m.state === "alive");
    },
  };
}

const scratchRanges = emptyRanges();

/**
 * memberlist's verifyProtocol: returns undefined when compatible, else a description of the
 * first member whose spoken versions fall outside what every alive member understands. When
 * every spoken version lies inside the understood range (the usual case) no local member is
 * read one by one; a second pass runs only to name a failing member.
 */
export function verifyProtocol(local: VersionedMembers, remote: readonly PushNodeState[]): string | undefined {
  const r = scratchRanges;
  local.ranges(r);
  // Widening is idempotent, so a run of states with the same Vsn instance and aliveness (most of
  // a push-pull: the codec shares Vsns) widens once.
  let lastVsn: Vsn | undefined;
  let lastAlive = false;
  for (const s of remote) {
    // A Go peer may send an empty Vsn (read as zero versions); the codec passes its length through.
    const alive = s.state === "alive" && (s.vsn as readonly number[]).length > 0;
    if (s.vsn === lastVsn && alive === lastAlive) continue;
    lastVsn = s.vsn;
    lastAlive = alive;
    widenRanges(r, s.vsn, alive);
  }
  const {maxPMin, minPMax, maxDMin, minDMax} = r;
  if (r.lowP >= maxPMin && r.highP <= minPMax && r.lowD >= maxDMin && r.highD <= minDMax) return undefined;
  // Someone is out of range: name the first, remote members before local ones (memberlist's order).
  for (const s of remote) {
    const err = checkVersions(s.name, s.vsn, maxPMin, minPMax, maxDMin, minDMax);
    if (err !== undefined) return err;
  }
  for (let i = 0; i < local.count; i++) {
    const m = local.at(i);
    const err = checkVersions(m.name, m.vsn, maxPMin, minPMax, maxDMin, minDMax);
    if (err !== undefined) return err;
  }
  return undefined;
}

/** The protocol version a member speaks (0 for an empty Vsn). */
function currentProtocol(vsn: Vsn | readonly number[]): number {
  return vsn.length > 0 ? (vsn[2] ?? 0) : 0;
}

/** The delegate protocol version a member speaks (0 for an empty Vsn). */
function currentDelegate(vsn: Vsn | readonly number[]): number {
  return vsn.length > 0 ? (vsn[5] ?? 0) : 0;
}

/** Whether one member's current versions lie in [maxPMin, minPMax] and [maxDMin, minDMax]; else why not. */
function checkVersions(
  name: string,
  vsn: Vsn | readonly number[],
  maxPMin: number,
  minPMax: number,
  maxDMin: number,
  minDMax: number,
): string | undefined {
  const pCur = currentProtocol(vsn);
  const dCur = currentDelegate(vsn);
  if (pCur < maxPMin || pCur > minPMax) {
    return `node '${name}' protocol version (${pCur}) is incompatible: [${maxPMin}, ${minPMax}]`;
  }
  if (dCur < maxDMin || dCur > minDMax) {
    return `node '${name}' delegate protocol version (${dCur}) is incompatible: [${maxDMin}, ${minDMax}]`;
  }
  return undefined;
}
