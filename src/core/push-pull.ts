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
 * memberlist's verifyProtocol: returns undefined when compatible, else a description of the
 * first member whose spoken versions fall outside what every alive member understands. `local`
 * is iterated twice (an array, or a MemberTable), so it must be re-iterable.
 */
export function verifyProtocol(local: Iterable<VersionedMember>, remote: readonly PushNodeState[]): string | undefined {
  let maxPMin = 0;
  let minPMax = 255;
  let maxDMin = 0;
  let minDMax = 255;
  for (const m of local) {
    if (m.state !== "alive") continue;
    maxPMin = Math.max(maxPMin, m.vsn[0]);
    minPMax = Math.min(minPMax, m.vsn[1]);
    maxDMin = Math.max(maxDMin, m.vsn[3]);
    minDMax = Math.min(minDMax, m.vsn[4]);
  }
  for (const r of remote) {
    // A Go peer may send an empty Vsn (read as zero versions); the codec passes its length through.
    if (r.state !== "alive" || (r.vsn as readonly number[]).length === 0) continue;
    maxPMin = Math.max(maxPMin, r.vsn[0]);
    minPMax = Math.min(minPMax, r.vsn[1]);
    maxDMin = Math.max(maxDMin, r.vsn[3]);
    minDMax = Math.min(minDMax, r.vsn[4]);
  }
  for (const r of remote) {
    const err = checkVersions(r.name, r.vsn, maxPMin, minPMax, maxDMin, minDMax);
    if (err !== undefined) return err;
  }
  for (const m of local) {
    const err = checkVersions(m.name, m.vsn, maxPMin, minPMax, maxDMin, minDMax);
    if (err !== undefined) return err;
  }
  return undefined;
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
  const pCur = vsn.length > 0 ? (vsn[2] ?? 0) : 0;
  const dCur = vsn.length > 0 ? (vsn[5] ?? 0) : 0;
  if (pCur < maxPMin || pCur > minPMax) {
    return `node '${name}' protocol version (${pCur}) is incompatible: [${maxPMin}, ${minPMax}]`;
  }
  if (dCur < maxDMin || dCur > minDMax) {
    return `node '${name}' delegate protocol version (${dCur}) is incompatible: [${maxDMin}, ${minDMax}]`;
  }
  return undefined;
}
