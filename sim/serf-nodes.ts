/*
 * Serf's layer in the simulator: one SerfLayer (src/serf) per running node process, wired to the
 * simulation through a small host interface, the way src/agent/serf-bridge.ts wires it to the
 * real Driver:
 *
 *   layer.broadcast(bytes) ─▶ host.broadcast(i)  (the core's `broadcast` input: piggybacked gossip)
 *   layer.sendTo(addr)     ─▶ host.sendUser(i)   (one datagram with one user message)
 *   layer.setTimer(fn, ms) ─▶ host.at(now + ms)  (virtual time; dies with the process)
 *   core `deliver` effect  ─▶ deliver(i, bytes)  ─▶ layer.handleMessage
 *   push-pull stream       ─▶ localState(i) / mergeState(i, bytes, join)
 *
 * Randomness (query IDs, relay picks) comes from one seeded Random per process, so a run stays a
 * pure function of the seed. Every node answers every user query with its own name (the built-in
 * responder), so query completeness can be measured. What the layers deliver and receive is
 * reported to an observer (serf-metrics.ts); this file holds the wiring only.
 *
 * When the executor becomes the runtime Driver, SimSerfHost is what it has to provide.
 */
import {decodeSerfMessage, QUERY_FLAG_ACK} from "../src/codec/index.ts";
import {type Address, createRandom} from "../src/core/index.ts";
import {emptySerfStats, SerfLayer, type SerfMember, type SerfStats} from "../src/serf/index.ts";

/** What the serf layers need from the simulation (or, later, from a Driver per node). */
export interface SimSerfHost {
  /** Virtual time in ms. */
  now(): number;
  /** Node i's advertised address. */
  self(i: number): Address;
  /** Node i's member table as the layer reads it. */
  members(i: number): readonly SerfMember[];
  /** Whether node i has `name` in its member table (any state). */
  isMember(i: number, name: string): boolean;
  /** Queues a user message on node i's gossip (the core's `broadcast` input). */
  broadcast(i: number, payload: Uint8Array): void;
  /** Sends one datagram holding one user message from node i to `to`. */
  sendUser(i: number, to: Address, payload: Uint8Array): void;
  /** Runs `fn` at absolute virtual time `atMs`. */
  at(atMs: number, fn: () => void): void;
  readonly gossipIntervalMs: number;
}

/** What the simulated layers tell the report. Times are virtual ms. */
export interface SimSerfObserver {
  /** A user event reached node i's application (the sender's own delivery included). */
  onEvent(i: number, process: number, name: string, payload: Uint8Array, atMs: number): void;
  /** Node `querier`'s open query (by LTime and ID) accepted an ack or a response from `from`. */
  onAnswer(querier: number, lTime: number, id: number, from: string, ack: boolean, atMs: number): void;
}

/** An outgoing query as the simulation tracks it. */
export interface SimQuery {
  readonly lTime: number;
  readonly id: number;
  readonly timeoutMs: number;
}

interface Running {
  readonly layer: SerfLayer;
  /** A process number unique within the run (restarts get a new one). */
  readonly process: number;
}

/** One SerfLayer per running node process. */
export class SimSerf {
  private readonly host: SimSerfHost;
  private readonly observer: SimSerfObserver;
  private readonly seedBase: number;
  // BOUNDED: one slot per node.
  private readonly running: (Running | undefined)[];
  private nextProcess = 1;

  constructor(nodes: number, seedBase: number, host: SimSerfHost, observer: SimSerfObserver) {
    this.host = host;
    this.observer = observer;
    this.seedBase = seedBase >>> 0;
    this.running = new Array<Running | undefined>(nodes).fill(undefined);
  }

  /** The process number of node i's layer, or 0 while it is down. */
  processOf(i: number): number {
    return this.running[i]?.process ?? 0;
  }

  /** Every node's process number (0: down), by index: what eligibility is judged on. */
  processes(): Int32Array {
    return Int32Array.from(this.running, (r) => r?.process ?? 0);
  }

  /** Summed layer counters over the running processes. */
  stats(): SerfStats {
    const sum = emptySerfStats();
    for (const r of this.running) {
      if (r === undefined) continue;
      for (const key of Object.keys(sum) as (keyof SerfStats)[]) sum[key] += r.layer.stats[key];
    }
    return sum;
  }

  /** A new process of node i (boot or restart) gets a fresh layer: serf keeps no state across restarts. */
  boot(i: number, name: string, generation: number): void {
    const process = this.nextProcess++;
    const random = createRandom(
      (this.seedBase ^ Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(generation, 0x7feb352d)) >>> 0,
    );
    const host = this.host;
    let running: Running | undefined;
    const layer = new SerfLayer(
      {
        name,
        self: () => host.self(i),
        members: () => host.members(i),
        isMember: (member) => host.isMember(i, member),
        tags: () => ({}),
        broadcast: (payload) => host.broadcast(i, payload),
        sendTo: (to, payload) => host.sendUser(i, to, payload),
        now: () => host.now(),
        setTimer: (fn, ms) => {
          let cancelled = false;
          host.at(host.now() + ms, () => {
            if (!cancelled && this.running[i] === running) fn();
          });
          return () => {
            cancelled = true;
          };
        },
        random: () => random.nextFloat(),
        gossipIntervalMs: host.gossipIntervalMs,
      },
      {
        onUserEvent: (event) => this.observer.onEvent(i, process, event.name, event.payload, host.now()),
        // The built-in responder: every node answers every user query with its name.
        onQuery: (query) => query.respond(new TextEncoder().encode(name)),
      },
    );
    running = {layer, process};
    this.running[i] = running;
  }

  /** Node i's process stopped (crash or leave): its layer, open queries and timers go with it. */
  stop(i: number): void {
    this.running[i] = undefined;
  }

  /** A user message the core of node i delivered. */
  deliver(i: number, payload: Uint8Array): void {
    const r = this.running[i];
    if (r === undefined) return;
    const before = r.layer.stats.queryAnswersReceived;
    r.layer.handleMessage(payload);
    if (r.layer.stats.queryAnswersReceived === before) return;
    // An answer was accepted by an open query: tell the observer who answered and when.
    let message = decodeSerfMessage(payload);
    if (message.type === "relay") message = decodeSerfMessage(message.inner);
    if (message.type !== "queryResponse") return;
    const ack = (message.flags & QUERY_FLAG_ACK) !== 0;
    this.observer.onAnswer(i, message.lTime, message.id, message.from, ack, this.host.now());
  }

  /** Node i's serf state for a push-pull it sends (request or reply). Empty while it has no layer. */
  localState(i: number): Uint8Array {
    return this.running[i]?.layer.localState() ?? new Uint8Array(0);
  }

  /** A peer's serf state, received by node i in a push-pull. */
  mergeState(i: number, state: Uint8Array, join: boolean): void {
    if (state.length === 0) return;
    this.running[i]?.layer.mergeState(state, join);
  }

  /** Node i emits a user event; false when it has no running layer. */
  event(i: number, name: string, payload: Uint8Array, coalesce: boolean): boolean {
    const r = this.running[i];
    if (r === undefined) return false;
    r.layer.event(name, payload, coalesce);
    return true;
  }

  /** Node i sends a query; undefined when it has no running layer. */
  query(
    i: number,
    name: string,
    payload: Uint8Array,
    options: {readonly timeoutMs?: number | undefined; readonly relayFactor?: number | undefined},
  ): SimQuery | undefined {
    const r = this.running[i];
    if (r === undefined) return undefined;
    const timeoutMs = options.timeoutMs ?? r.layer.defaultQueryTimeoutMs();
    const result = r.layer.query(name, payload, {timeoutMs, relayFactor: options.relayFactor ?? 0});
    return {lTime: result.lTime, id: result.id, timeoutMs};
  }
}
