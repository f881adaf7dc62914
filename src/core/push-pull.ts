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
 * The local members as verifyProtocol reads them: `count` members by index. `at(i)` may hand out
 * one reused cursor (a member table's view does, so a push-pull allocates nothing per member):
 * its fields are read before the next call.
 */
export interface VersionedMembers {
  readonly count: number;
  at(i: number): VersionedMember;
}

/** A list of members as VersionedMembers. */
export function versionedList(members: readonly VersionedMember[]): VersionedMembers {
  return {count: members.length, at: (i) => members[i] as VersionedMember};
}

/**
 * memberlist's verifyProtocol: returns undefined when compatible, else a description of the
 * first member whose spoken versions fall outside what every alive member understands. The
 * first pass also keeps the range of every member's spoken versions, so that in the usual case
 * (every spoken version inside the common range) each member is read once; a second pass runs
 * only to name a failing member.
 */
export function verifyProtocol(local: VersionedMembers, remote: readonly PushNodeState[]): string | undefined {
  let maxPMin = 0;
  let minPMax = 255;
  let maxDMin = 0;
  let minDMax = 255;
  // The range of spoken (current) versions over every member, alive or not, local and remote.
  let lowP = 255;
  let highP = 0;
  let lowD = 255;
  let highD = 0;
  for (let i = 0; i < local.count; i++) {
    const m = local.at(i);
    const p = currentProtocol(m.vsn);
    const d = currentDelegate(m.vsn);
    if (p < lowP) lowP = p;
    if (p > highP) highP = p;
    if (d < lowD) lowD = d;
    if (d > highD) highD = d;
    if (m.state !== "alive") continue;
    maxPMin = Math.max(maxPMin, m.vsn[0]);
    minPMax = Math.min(minPMax, m.vsn[1]);
    maxDMin = Math.max(maxDMin, m.vsn[3]);
    minDMax = Math.min(minDMax, m.vsn[4]);
  }
  for (const r of remote) {
    const p = currentProtocol(r.vsn);
    const d = currentDelegate(r.vsn);
    if (p < lowP) lowP = p;
    if (p > highP) highP = p;
    if (d < lowD) lowD = d;
    if (d > highD) highD = d;
    // A Go peer may send an empty Vsn (read as zero versions); the codec passes its length through.
    if (r.state !== "alive" || (r.vsn as readonly number[]).length === 0) continue;
    maxPMin = Math.max(maxPMin, r.vsn[0]);
    minPMax = Math.min(minPMax, r.vsn[1]);
    maxDMin = Math.max(maxDMin, r.vsn[3]);
    minDMax = Math.min(minDMax, r.vsn[4]);
  }
  if (lowP >= maxPMin && highP <= minPMax && lowD >= maxDMin && highD <= minDMax) return undefined;
  // Someone is out of range: name the first, remote members before local ones (memberlist's order).
  for (const r of remote) {
    const err = checkVersions(r.name, r.vsn, maxPMin, minPMax, maxDMin, minDMax);
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
