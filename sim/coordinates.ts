/*
 * Serf's network coordinates in the simulator (options.coordinates): each virtual node runs a
 * Vivaldi CoordinateClient the way the agent does (src/agent/coordinates.ts), fed by the core's
 * pingComplete effects, so coordinates converge on the virtual network's latencies:
 *
 *   node i pings j ─▶ j's ack carries j's coordinate ─▶ i: pingComplete{j, rttMs, payload}
 *     ─▶ onPingComplete: decode, client[i].update(j, coord, rtt) ─▶ i's next acks carry its new one
 *
 * A crash forgets the node's client (its coordinate dies with the process); a restart begins at
 * the origin again. Each client draws from its own generator, seeded from the node's process
 * seed, so a run stays a pure function of the simulation seed. Bad payloads are counted, never
 * thrown (there are none unless the codec breaks: every node encodes with the same codec).
 */
import {decodeCoordinatePayload, encodeCoordinatePayload} from "../src/codec/index.ts";
import {type Coordinate, CoordinateClient, estimateRttMs, seededRandom} from "../src/coordinate/index.ts";

/** What the coordinate updates did, over the whole run. */
export interface SimCoordinateStats {
  updates: number;
  emptyPayloads: number;
  badPayloads: number;
  rejected: number;
}

/** The coordinate clients of every virtual node, by node index. */
export class SimCoordinates {
  // BOUNDED: one slot per node.
  private readonly clients: (CoordinateClient | undefined)[];
  readonly stats: SimCoordinateStats = {updates: 0, emptyPayloads: 0, badPayloads: 0, rejected: 0};

  constructor(nodes: number) {
    this.clients = new Array<CoordinateClient | undefined>(nodes).fill(undefined);
  }

  /** A (re)started node gets a fresh client at the origin; returns its first ack payload. */
  boot(i: number, seed: number): Uint8Array {
    const client = new CoordinateClient({random: seededRandom(seed)});
    this.clients[i] = client;
    return encodeCoordinatePayload(client.getCoordinate());
  }

  /** A crashed node's coordinate is gone. */
  crash(i: number): void {
    this.clients[i] = undefined;
  }

  /**
   * Node `i`'s direct probe of `peer` completed after `rttMs` with `payload`: updates its
   * coordinate and returns its new ack payload, or undefined when nothing changed.
   */
  onPingComplete(i: number, peer: string, rttMs: number, payload: Uint8Array): Uint8Array | undefined {
    const client = this.clients[i];
    if (client === undefined) return undefined;
    if (payload.length === 0) {
      this.stats.emptyPayloads++;
      return undefined;
    }
    let coordinate: Coordinate;
    try {
      coordinate = decodeCoordinatePayload(payload);
    } catch {
      this.stats.badPayloads++;
      return undefined;
    }
    const result = client.update(peer, coordinate, rttMs);
    if (!result.ok) {
      this.stats.rejected++;
      return undefined;
    }
    this.stats.updates++;
    return encodeCoordinatePayload(result.coordinate);
  }

  /** Node `i`'s coordinate, undefined while it is down. */
  coordinateOf(i: number): Coordinate | undefined {
    return this.clients[i]?.getCoordinate();
  }

  /** Estimated RTT in ms between nodes `i` and `j` from their own coordinates; undefined if one is down. */
  estimatedRttMs(i: number, j: number): number | undefined {
    const a = this.coordinateOf(i);
    const b = this.coordinateOf(j);
    return a === undefined || b === undefined ? undefined : estimateRttMs(a, b);
  }
}
