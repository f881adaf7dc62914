/*
 * Deterministic leader choice ("failover" without a coordinator).
 *
 *   leader(key, tags) = the owner of `key` on a consistent-hash ring (src/ring) whose members are
 *                       the candidates: members that are up (alive or suspect) and carry every
 *                       tag in `tags`.
 *
 * What it guarantees:
 * - It is a pure function of (candidate names, key, vnodes). Every agent whose member list has
 *   the same candidates computes the same leader, with no messages exchanged.
 * - The leader keeps its role while it stays up. Leadership moves when the leader is declared
 *   down (failed or left) — to the next owner clockwise, which every agent computes alike — or
 *   when a joining candidate happens to own the key (about 1 in n joins).
 * - Suspicion alone does not move leadership: a suspect is still a candidate, so a falsely
 *   suspected leader that refutes never loses its role.
 * - Different keys spread over the candidates, so "one leader per job" balances the jobs.
 *
 * What it does NOT guarantee — it is not consensus:
 * - Agents' views converge, they are not agreed. Between a failure and its dissemination (about
 *   the detection bound), agents can disagree on the leader, so for a moment two agents may act
 *   as leader, or none.
 * - In a network partition each side sees the other side as failed and picks its own leader:
 *   two leaders until the partition heals (then they agree again).
 * Work that must never run twice at once needs fencing (a lease or a compare-and-set in a store
 * with consensus) in addition to this choice.
 */
import type {MemberState} from "../core/index.ts";
import {HashRing} from "./hash-ring.ts";

/** The key used when none is given. */
export const DEFAULT_LEADER_KEY = "lifeline/leader";

/** Which leader to compute. */
export interface LeaderOptions {
  /** The ring key that names the role (e.g. a job name). Default "lifeline/leader". */
  readonly key?: string;
  /** Only members carrying all these tags (exact values) are candidates. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The fields of a member that leadership depends on. */
export interface LeaderCandidate {
  readonly name: string;
  readonly state: MemberState;
  readonly tags: Readonly<Record<string, string>>;
}

/** Up members — alive or suspect — take part in the ring and in leader choice. */
export function isUp(state: MemberState): boolean {
  return state === "alive" || state === "suspect";
}

/** Names of the up members carrying every tag in `tags`, sorted. */
export function leaderCandidates(
  members: readonly LeaderCandidate[],
  tags: Readonly<Record<string, string>> = {},
): string[] {
  const required = Object.entries(tags);
  return members
    .filter((m) => isUp(m.state) && required.every(([key, value]) => m.tags[key] === value))
    .map((m) => m.name)
    .sort();
}

/**
 * Computes leaders, caching one ring per distinct candidate set (the ring of all up members is
 * the agent's own ring, passed in, so the common case builds nothing).
 */
export class LeaderElector {
  private readonly vnodes: number;
  // BOUNDED: at most CACHE_MAX candidate sets; cleared when full.
  private readonly rings = new Map<string, HashRing>();

  constructor(vnodes: number) {
    this.vnodes = vnodes;
  }

  /** The leader among `members` for `options`, or undefined when there is no candidate. */
  leader(members: readonly LeaderCandidate[], options: LeaderOptions = {}, allUpRing?: HashRing): string | undefined {
    const key = options.key ?? DEFAULT_LEADER_KEY;
    const candidates = leaderCandidates(members, options.tags);
    if (candidates.length === 0) return undefined;
    if (allUpRing && sameMembers(allUpRing, candidates)) return allUpRing.owner(key);
    const id = candidates.join("\u0000");
    let ring = this.rings.get(id);
    if (!ring) {
      if (this.rings.size >= CACHE_MAX) this.rings.clear();
      ring = new HashRing({vnodes: this.vnodes});
      ring.setMembers(candidates);
      this.rings.set(id, ring);
    }
    return ring.owner(key);
  }
}

const CACHE_MAX = 16;

function sameMembers(ring: HashRing, sortedNames: readonly string[]): boolean {
  if (ring.size !== sortedNames.length) return false;
  return sortedNames.every((name) => ring.has(name));
}
