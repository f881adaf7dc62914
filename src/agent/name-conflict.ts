/*
 * Name conflicts, as serf handles them. The core reports an alive message that claims a live
 * member's name from another address (memberlist's NotifyConflict). About another member it is a
 * warning. About us — someone else runs with our name — we ask the cluster: a `_serf_conflict`
 * query carrying our name, which every member but the claimants answers with the member it knows
 * by that name. If a majority of the answers (more than half, counted over the answers received)
 * has our address, we stay; otherwise we lost and stop, as serf's agent shuts down. With no answer
 * at all the vote is lost too (0 of a majority of 1): serf's rule, kept so that a mixed cluster
 * decides one way.
 *
 *   nameConflict(name, existing, other) ─▶ count, report (throttled per claimant) ─▶ ours? ─▶ query
 *   answers ─▶ decode [6][Member] ─▶ matching = same address and port ─▶ won | lost ─▶ stop
 */
import {bytesToHost, decodeSerfConflictResponse} from "../codec/index.ts";
import type {Address} from "../core/index.ts";
import {formatHostPort} from "./address.ts";

/** One name claimed from two addresses. */
export interface NameConflict {
  readonly name: string;
  /** The address we know the member at ("host:port"). */
  readonly existing: string;
  /** The address the conflicting alive message gives. */
  readonly other: string;
  /** Whether the name is ours. */
  readonly ours: boolean;
}

/** How a vote on our name ended. */
export interface ConflictOutcome {
  /** Answers that know our name at our address. */
  readonly matching: number;
  /** Answers that decoded. */
  readonly responses: number;
  readonly won: boolean;
}

export interface NameConflictStats {
  /** Conflicting alive messages about another member. */
  othersClaimed: number;
  /** Conflicting alive messages about us. */
  oursClaimed: number;
  resolutionsWon: number;
  resolutionsLost: number;
}

export interface NameConflictInit {
  readonly selfName: string;
  /** Our advertised address. */
  readonly self: () => Address;
  /** Run the vote when our name is claimed (serf's EnableNameConflictResolution). */
  readonly resolve: boolean;
  /** Sends `_serf_conflict` with our name; resolves with the response payloads. */
  readonly ask: (payload: Uint8Array) => Promise<readonly Uint8Array[]>;
  readonly onConflict: (conflict: NameConflict) => void;
  readonly onOutcome: (outcome: ConflictOutcome) => void;
  readonly log: (line: string) => void;
}

/** The same claimant is reported at most once per this long (the claim is re-gossiped often). */
const REPORT_INTERVAL_MS = 10_000;
/** Claimants remembered for throttling. */
const REPORTED_MAX = 64;

export class NameConflictResolver {
  readonly stats: NameConflictStats = {othersClaimed: 0, oursClaimed: 0, resolutionsWon: 0, resolutionsLost: 0};
  private readonly init: NameConflictInit;
  // BOUNDED: at most REPORTED_MAX claimants (the oldest is forgotten first).
  private readonly reportedAt = new Map<string, number>();
  private resolving = false;

  constructor(init: NameConflictInit) {
    this.init = init;
  }

  /** A conflicting alive message: `name` is known at `existing`, claimed from `other`. */
  notice(name: string, existing: Address, other: Address, nowMs: number = performance.now()): void {
    const ours = name === this.init.selfName;
    if (ours) this.stats.oursClaimed++;
    else this.stats.othersClaimed++;
    const conflict = {name, existing: formatHostPort(existing), other: formatHostPort(other), ours};
    const key = `${name}\u0000${conflict.other}`;
    const last = this.reportedAt.get(key);
    if (last === undefined || nowMs - last >= REPORT_INTERVAL_MS) {
      this.reportedAt.delete(key);
      this.reportedAt.set(key, nowMs);
      if (this.reportedAt.size > REPORTED_MAX) this.reportedAt.delete(this.reportedAt.keys().next().value as string);
      this.init.log(
        ours
          ? `name conflict: ${conflict.other} also claims our name ${name}; names must be unique (resolution ${this.init.resolve ? "on" : "off"})`
          : `name conflict: ${name} is claimed by both ${conflict.existing} and ${conflict.other}`,
      );
      this.init.onConflict(conflict);
    }
    if (ours && this.init.resolve && !this.resolving) void this.vote();
  }

  private async vote(): Promise<void> {
    this.resolving = true;
    try {
      const answers = await this.init.ask(new TextEncoder().encode(this.init.selfName));
      const self = this.init.self();
      let responses = 0;
      let matching = 0;
      for (const payload of answers) {
        let member: ReturnType<typeof decodeSerfConflictResponse>;
        try {
          member = decodeSerfConflictResponse(payload);
        } catch (error) {
          this.init.log(`name conflict: an answer did not decode (${(error as Error).message}); not counted`);
          continue;
        }
        responses++;
        if (member !== undefined && bytesToHost(member.addr) === self.host && member.port === self.port) matching++;
      }
      const won = matching >= Math.floor(responses / 2) + 1;
      if (won) this.stats.resolutionsWon++;
      else this.stats.resolutionsLost++;
      this.init.log(
        won
          ? `name conflict: majority for our address [${matching}/${responses}]; staying`
          : `name conflict: minority for our address [${matching}/${responses}]; stopping`,
      );
      this.init.onOutcome({matching, responses, won});
    } catch (error) {
      this.init.log(`name conflict: the vote failed (${(error as Error).message})`);
    } finally {
      this.resolving = false;
    }
  }
}
