/*
 * The agent's network coordinates, as serf keeps them (serf/ping_delegate.go, serf.go's
 * coordCache): one Vivaldi CoordinateClient for this node and a cache of every member's latest
 * coordinate.
 *
 *   our ping ─▶ peer's ack [01 | msgpack Coordinate] ─▶ core pingComplete{node, rttMs, payload}
 *     ─▶ handlePingComplete: decode ─▶ client.update(node, coord, rtt) ─▶ cache[node] = coord
 *     ─▶ the agent sets ackPayload() as the payload of our next acks (our coordinate moved)
 *
 * Bad input from the network never throws: an empty payload is ignored (a peer without
 * coordinates, as serf ignores it), one that does not decode is dropped and counted in
 * `badPayloads`, one the client refuses (other dimensionality, non-finite, RTT over 10 s) is
 * counted in `rejected`.
 *
 * The cache is bounded by `maxEntries` (the core's maxMembers): the agent forgets a member that
 * left; failed members keep their coordinate until the core reaps them, which `isMember` reveals
 * (reads skip and drop such entries, a full cache first sweeps them, then forgets its oldest).
 */
import {decodeCoordinatePayload, encodeCoordinatePayload} from "../codec/index.ts";
import {type Coordinate, CoordinateClient, estimateRttMs, isCompatible} from "../coordinate/index.ts";

/** What the agent needs to run its coordinates. */
export interface AgentCoordinatesInit {
  /** This node's name (its own coordinate is listed under it). */
  readonly self: string;
  /** Most member coordinates kept. */
  readonly maxEntries: number;
  /** Uniform [0, 1) source for the client (seed it per node). */
  readonly random: () => number;
  /** Whether `name` is still in the member table (dead members stay until reaped). */
  readonly isMember: (name: string) => boolean;
}

/** Counters of the coordinate updates. */
export interface CoordinateStats {
  /** Ping completions that moved our coordinate. */
  readonly updates: number;
  /** Acks without a payload (a peer that does not send coordinates). */
  readonly emptyPayloads: number;
  /** Payloads that did not decode (wrong ping version, bad msgpack, non-finite numbers): dropped. */
  readonly badPayloads: number;
  /** Coordinates or RTTs the Vivaldi client refused (other dimensionality, RTT over 10 s). */
  readonly rejected: number;
  /** Member coordinates cached now. */
  readonly cached: number;
}

/** One member's coordinate, as listed by `entries()`. */
export interface NodeCoordinate {
  readonly node: string;
  readonly coordinate: Coordinate;
}

/** The outcome of one ping completion. */
export type PingCompleteOutcome = "updated" | "empty" | "badPayload" | "rejected";

export class AgentCoordinates {
  private readonly self: string;
  private readonly maxEntries: number;
  private readonly isMember: (name: string) => boolean;
  private readonly client: CoordinateClient;
  // BOUNDED: maxEntries (oldest update forgotten first; reaped members swept).
  private readonly cache = new Map<string, Coordinate>();
  private counters = {updates: 0, emptyPayloads: 0, badPayloads: 0, rejected: 0};

  constructor(init: AgentCoordinatesInit) {
    this.self = init.self;
    this.maxEntries = Math.max(1, init.maxEntries);
    this.isMember = init.isMember;
    this.client = new CoordinateClient({random: init.random});
  }

  /** Our coordinate now. */
  get coordinate(): Coordinate {
    return this.client.getCoordinate();
  }

  /** The ack payload carrying our coordinate (serf's AckPayload: ping version 1, then msgpack). */
  ackPayload(): Uint8Array {
    return encodeCoordinatePayload(this.client.getCoordinate());
  }

  /**
   * One direct probe answered by `node` after `rttMs` with `payload` in its ack. Never throws;
   * on "updated" our coordinate moved and the caller refreshes the ack payload.
   */
  handlePingComplete(node: string, rttMs: number, payload: Uint8Array): PingCompleteOutcome {
    if (payload.length === 0) {
      this.counters.emptyPayloads++;
      return "empty";
    }
    let peer: Coordinate;
    try {
      peer = decodeCoordinatePayload(payload);
    } catch {
      this.counters.badPayloads++;
      return "badPayload";
    }
    const result = this.client.update(node, peer, rttMs);
    if (!result.ok) {
      this.counters.rejected++;
      return "rejected";
    }
    this.counters.updates++;
    this.remember(node, peer);
    return "updated";
  }

  /** Our coordinate for our own name, a member's latest, or undefined when none is known. */
  coordinateOf(name: string): Coordinate | undefined {
    if (name === this.self) return this.client.getCoordinate();
    const cached = this.cache.get(name);
    if (cached === undefined) return undefined;
    if (!this.isMember(name)) {
      this.forget(name);
      return undefined;
    }
    return cached;
  }

  /**
   * Estimated RTT in ms between two named nodes (either may be us), serf's DistanceTo; undefined
   * when a coordinate is unknown or the two have different dimensionality.
   */
  rttMs(a: string, b: string): number | undefined {
    const ca = this.coordinateOf(a);
    const cb = this.coordinateOf(b);
    if (ca === undefined || cb === undefined || !isCompatible(ca, cb)) return undefined;
    return estimateRttMs(ca, cb);
  }

  /** Our coordinate first, then every member's known one (reaped members dropped on the way). */
  entries(): NodeCoordinate[] {
    const out: NodeCoordinate[] = [{node: this.self, coordinate: this.client.getCoordinate()}];
    for (const name of [...this.cache.keys()]) {
      const coordinate = this.coordinateOf(name);
      if (coordinate !== undefined) out.push({node: name, coordinate});
    }
    return out;
  }

  /** Forgets a member's coordinate and its RTT samples (it left, or was reaped). */
  forget(name: string): void {
    this.cache.delete(name);
    this.client.forgetNode(name);
  }

  /** A copy of the counters. */
  get stats(): CoordinateStats {
    return {...this.counters, cached: this.cache.size};
  }

  private remember(node: string, coordinate: Coordinate): void {
    this.cache.delete(node); // re-inserted last: Map order is update order
    if (this.cache.size >= this.maxEntries) {
      for (const name of [...this.cache.keys()]) if (!this.isMember(name)) this.forget(name);
    }
    if (this.cache.size >= this.maxEntries) {
      const oldest = this.cache.keys().next().value as string;
      this.forget(oldest);
    }
    this.cache.set(node, coordinate);
  }
}
