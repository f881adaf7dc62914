/*
 * The codec's per-owner state. Encoding and decoding are functions of their input except for
 * three memories, which live here instead of in module globals so that two agents (or an agent
 * and a simulation) in one process never change each other's results:
 *
 *   mappedAddresses  the IPv4-mapped addresses seen on the wire, re-encoded in the same 16-byte
 *                    form (address.ts) — this one changes bytes;
 *   intern           the core's value pools, which the decode memo's shared messages draw their
 *                    names and addresses from (gossip-memo.ts, core intern.ts);
 *   the last Vsn     decoded, shared by every message with the same six numbers (a cluster has
 *                    one or two distinct Vsns; a fresh array per alive message was a measurable
 *                    share of the simulator's allocations).
 *
 * Owners: one context per Driver (src/runtime/driver.ts) and one per simulation
 * (sim/simulation.ts), each sharing its InternPools with the nodes it runs. Codec calls without a
 * context remember nothing (IPv4 is always 4 bytes, each Vsn tuple is fresh).
 */
import {DEFAULT_VSN, InternPools, type Vsn} from "../core/index.ts";
import {MappedAddresses} from "./address.ts";

/** The state one driver's or one simulation's encoding and decoding share. */
export class CodecContext {
  readonly intern: InternPools;
  readonly mappedAddresses = new MappedAddresses();
  private lastVsn: Vsn = freezeVsn(Uint8Array.from(DEFAULT_VSN));

  /** `intern`: the pools the nodes this context serves use (default: its own). */
  constructor(intern: InternPools = new InternPools()) {
    this.intern = intern;
  }

  /** A frozen Vsn equal to the 6 bytes `v`: the last one returned when equal, else a new one. */
  vsn(v: Uint8Array): Vsn {
    const last = this.lastVsn;
    if (
      v[0] === last[0] &&
      v[1] === last[1] &&
      v[2] === last[2] &&
      v[3] === last[3] &&
      v[4] === last[4] &&
      v[5] === last[5]
    ) {
      return last;
    }
    this.lastVsn = freezeVsn(v);
    return this.lastVsn;
  }
}

/** A new frozen Vsn tuple of the 6 bytes `v`. */
export function freezeVsn(v: Uint8Array): Vsn {
  return Object.freeze([
    v[0] as number,
    v[1] as number,
    v[2] as number,
    v[3] as number,
    v[4] as number,
    v[5] as number,
  ] as const);
}
