/*
 * The virtual network: decides, for every datagram and every stream, whether it arrives and
 * after how long. It knows nodes only by index (0..n-1) and draws every random number from its
 * own seeded Random, in the order the simulation asks, so a run is reproducible.
 *
 * A datagram from `a` to `b`:
 *   1. blocked?    any active block rule with a in `from` and b in `to` (partitions, one-way
 *                  partitions, flapping links in their down phase) drops it;
 *   2. lost?       with probability 1 − (1 − loss)(1 − egressLoss[a])(1 − ingressLoss[b])
 *                  (or a per-link loss set with setLink);
 *   3. latency     min + Exp(mean) jitter + extraLatency[a] + extraLatency[b], rounded to whole ms;
 *   4. reordered?  with probability reorderRate an extra uniform [0, reorderMs) delay, so it
 *                  overtakes or is overtaken by its neighbours;
 *   5. duplicated? with probability duplicateRate a second copy with its own latency.
 * A stream (TCP) is never lost but each lost segment costs a 200 ms retransmission; five losses
 * in a row, or a block, make it hang until the opener's timeout. Opening one costs the handshake
 * first (streamOpen): a lost SYN or SYN-ACK waits for Linux's initial 1 s retransmission timeout,
 * doubling each time, as the testbed measured (without it, lossy runs here suspected less than
 * half as often as real agents: their TCP fallback pings never failed).
 */
import type {Random} from "../src/core/index.ts";

/** Latency of one hop: `minMs` plus an exponentially distributed jitter with mean `jitterMeanMs`. */
export interface Latency {
  readonly minMs: number;
  readonly jitterMeanMs: number;
}

/** Link quality for the whole network. Every rate is a probability in [0, 1]. */
export interface NetworkOptions {
  readonly nodes: number;
  readonly latency: Latency;
  readonly lossRate: number;
  readonly duplicateRate: number;
  readonly reorderRate: number;
  /** Extra delay window of a reordered datagram. */
  readonly reorderMs: number;
}

/** A one-way block: datagrams and streams from any `from` node to any `to` node are dropped while `active`. */
export interface BlockRule {
  readonly id: number;
  readonly label: string;
  readonly from: Uint8Array;
  readonly to: Uint8Array;
  active: boolean;
}

/** A per-link override (one direction). */
export interface LinkOverride {
  readonly lossRate?: number;
  readonly latency?: Latency;
}

/** What happened to the datagrams offered to the network. */
export interface NetworkStats {
  datagrams: number;
  delivered: number;
  lost: number;
  blocked: number;
  duplicated: number;
  reordered: number;
  streams: number;
  streamsBlocked: number;
}

const TCP_RTO_MS = 200;
const TCP_MAX_RETRIES = 5;
/** Linux's initial retransmission timeout of a SYN (and SYN-ACK), and its SYN retries (tcp_syn_retries). */
const TCP_SYN_RTO_MS = 1_000;
const TCP_SYN_RETRIES = 6;

/** The virtual network between `options.nodes` nodes. */
export class Network {
  readonly n: number;
  private readonly options: NetworkOptions;
  private readonly random: Random;
  /** Extra loss on everything a node sends / receives (a flaky NIC). */
  readonly egressLoss: Float64Array;
  readonly ingressLoss: Float64Array;
  /** Extra one-way latency added on both ends' account. */
  readonly extraLatencyMs: Float64Array;
  // BOUNDED: one rule per partition / flap the scenario creates; heal() clears them.
  private rules: BlockRule[] = [];
  private nextRuleId = 1;
  // BOUNDED: at most n² entries, in practice the few links a scenario names.
  private readonly overrides = new Map<number, LinkOverride>();
  readonly stats: NetworkStats = {
    datagrams: 0,
    delivered: 0,
    lost: 0,
    blocked: 0,
    duplicated: 0,
    reordered: 0,
    streams: 0,
    streamsBlocked: 0,
  };

  constructor(options: NetworkOptions, random: Random) {
    this.n = options.nodes;
    this.options = options;
    this.random = random;
    this.egressLoss = new Float64Array(options.nodes);
    this.ingressLoss = new Float64Array(options.nodes);
    this.extraLatencyMs = new Float64Array(options.nodes);
  }

  /** Adds an active one-way block from every node in `from` to every node in `to`. */
  block(from: Iterable<number>, to: Iterable<number>, label: string): BlockRule {
    const rule: BlockRule = {
      id: this.nextRuleId++,
      label,
      from: this.mask(from),
      to: this.mask(to),
      active: true,
    };
    this.rules.push(rule);
    return rule;
  }

  /** Removes one rule (no-op if already gone). */
  unblock(rule: BlockRule): void {
    rule.active = false;
    this.rules = this.rules.filter((r) => r !== rule);
  }

  /** Removes every block rule; returns how many there were. */
  clearBlocks(): number {
    const count = this.rules.length;
    for (const rule of this.rules) rule.active = false;
    this.rules = [];
    return count;
  }

  /** The rules currently installed (active or in a flap's up phase). */
  blockRules(): readonly BlockRule[] {
    return this.rules;
  }

  /** Overrides loss and/or latency of the one-way link from → to. */
  setLink(from: number, to: number, override: LinkOverride): void {
    this.overrides.set(from * this.n + to, override);
  }

  /** Is the direction from → to currently cut by a partition or a flap? */
  isBlocked(from: number, to: number): boolean {
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i] as BlockRule;
      if (r.active && r.from[from] === 1 && r.to[to] === 1) return true;
    }
    return false;
  }

  /**
   * Offers one datagram; writes the delivery delays (ms) of the copies that will arrive into
   * `out` and returns how many there are (0, 1 or 2).
   */
  datagram(from: number, to: number, out: number[]): number {
    const stats = this.stats;
    stats.datagrams++;
    if (this.isBlocked(from, to)) {
      stats.blocked++;
      return 0;
    }
    const override = this.overrides.size > 0 ? this.overrides.get(from * this.n + to) : undefined;
    const loss = this.lossRate(from, to, override);
    if (loss > 0 && this.random.nextFloat() < loss) {
      stats.lost++;
      return 0;
    }
    out[0] = this.delay(from, to, override);
    let count = 1;
    if (this.options.duplicateRate > 0 && this.random.nextFloat() < this.options.duplicateRate) {
      stats.duplicated++;
      out[1] = this.delay(from, to, override);
      count = 2;
    }
    stats.delivered += count;
    return count;
  }

  /** Offers one stream transfer (request or reply); returns its delay in ms, or -1 if it never arrives. */
  stream(from: number, to: number): number {
    this.stats.streams++;
    if (this.isBlocked(from, to)) {
      this.stats.streamsBlocked++;
      return -1;
    }
    const override = this.overrides.size > 0 ? this.overrides.get(from * this.n + to) : undefined;
    const loss = this.lossRate(from, to, override);
    let extra = 0;
    if (loss > 0) {
      let retries = 0;
      while (this.random.nextFloat() < loss) {
        extra += TCP_RTO_MS << retries;
        if (++retries >= TCP_MAX_RETRIES) {
          this.stats.streamsBlocked++;
          return -1;
        }
      }
    }
    return this.baseDelay(from, to, override) + extra;
  }

  /**
   * Offers the opener's connection and first request: the handshake's wait for lost SYNs or
   * SYN-ACKs, then the request as one stream transfer; -1 if it never arrives.
   */
  streamOpen(from: number, to: number): number {
    if (this.isBlocked(from, to)) {
      this.stats.streams++;
      this.stats.streamsBlocked++;
      return -1;
    }
    const there = this.lossRate(from, to, this.overrides.size > 0 ? this.overrides.get(from * this.n + to) : undefined);
    const back = this.lossRate(to, from, this.overrides.size > 0 ? this.overrides.get(to * this.n + from) : undefined);
    let handshake = 0;
    if (there > 0 || back > 0) {
      let retries = 0;
      while (this.random.nextFloat() < there || this.random.nextFloat() < back) {
        handshake += TCP_SYN_RTO_MS << retries;
        if (++retries > TCP_SYN_RETRIES) {
          this.stats.streams++;
          this.stats.streamsBlocked++;
          return -1;
        }
      }
    }
    const request = this.stream(from, to);
    return request < 0 ? -1 : handshake + request;
  }

  private lossRate(from: number, to: number, override: LinkOverride | undefined): number {
    if (override?.lossRate !== undefined) return override.lossRate;
    const e = this.egressLoss[from] as number;
    const i = this.ingressLoss[to] as number;
    const g = this.options.lossRate;
    if (e === 0 && i === 0) return g;
    return 1 - (1 - g) * (1 - e) * (1 - i);
  }

  private baseDelay(from: number, to: number, override: LinkOverride | undefined): number {
    const latency = override?.latency ?? this.options.latency;
    let d = latency.minMs + (this.extraLatencyMs[from] as number) + (this.extraLatencyMs[to] as number);
    if (latency.jitterMeanMs > 0) d += -latency.jitterMeanMs * Math.log(1 - this.random.nextFloat());
    return Math.max(0, Math.round(d));
  }

  private delay(from: number, to: number, override: LinkOverride | undefined): number {
    let d = this.baseDelay(from, to, override);
    if (this.options.reorderRate > 0 && this.random.nextFloat() < this.options.reorderRate) {
      this.stats.reordered++;
      d += Math.floor(this.random.nextFloat() * this.options.reorderMs);
    }
    return d;
  }

  private mask(nodes: Iterable<number>): Uint8Array {
    const m = new Uint8Array(this.n);
    for (const i of nodes) {
      if (!Number.isInteger(i) || i < 0 || i >= this.n) throw new RangeError(`node index ${i} out of range`);
      m[i] = 1;
    }
    return m;
  }
}
