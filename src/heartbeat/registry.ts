/*
 * The table of plain-heartbeat devices and their phi-accrual judgement. Pure: every call takes
 * `nowMs` (a monotonic clock), so tests drive time by hand.
 *
 * A device can be known two ways:
 *   local   it beats to this agent: a PhiAccrualDetector per device learns its rhythm;
 *   remote  another agent reports it (heartbeat-gossip.ts): the report carries that agent's fit
 *           (silence so far, mean, σ), so φ is recomputed here for any later time:
 *               φ_remote(now) = phiOf(ago + (now − receivedAt), mean, σ)
 *           A report is trusted for `reportTtlMs`; the reporter re-sends it while it hears the
 *           device, and a reporter that dies simply stops refreshing it.
 *           The gossip delay (usually well under a second) is not added, so an agent that only
 *           hears of a device through reports judges it down that much later than its reporter.
 * The device's φ is the smallest over its sources (someone hears it: it is up), and its state
 * is up while φ < threshold. `beat`, `applyReport` and `evaluate` return the up/down
 * transitions, which the agent turns into heartbeat:up / heartbeat:down events.
 *
 * There is no authentication, as in the classic protocol: any host that reaches the listener
 * can beat for any name. Bind the listener to a trusted network.
 *
 * Flood control: a token bucket per source host (`ratePerSecond`, `burst`); beats over it are
 * dropped and counted. The device table, the per-host buckets and the reporters per device are
 * all capped (BOUNDED notes below); a new device when the table is full evicts the device that
 * has been down longest, or is refused when every device is up.
 */
import {InvalidConfigError} from "../core/index.ts";
import {type PhiAccrualConfig, PhiAccrualDetector, phiOf, resolvePhiConfig} from "../phi/index.ts";

/** Registry options; all optional. */
export interface HeartbeatRegistryInit {
  /** Phi-accrual tunables for each device (threshold 8, window 1000, σ floor 100 ms, pause 3 s). */
  readonly phi?: Partial<PhiAccrualConfig>;
  /** Devices tracked. Default 1024. Integer ≥ 1. */
  readonly maxDevices?: number;
  /** Source hosts with a rate bucket. Default 4096. Integer ≥ 1. */
  readonly maxAddresses?: number;
  /** Sustained beats per second accepted from one source host. Default 50. > 0. */
  readonly ratePerSecond?: number;
  /** Beats one source host may send in a burst. Default 100. ≥ 1. */
  readonly burst?: number;
  /** A device down this long is forgotten. Default 3600000 (1 h). Integer ≥ 1. */
  readonly forgetAfterMs?: number;
  /** How long a remote report is trusted without refresh. Default 10000. Integer ≥ 1. */
  readonly reportTtlMs?: number;
  /** Local devices heard within this window are reported to the cluster. Default 60000. */
  readonly reportWindowMs?: number;
  /** Reporters kept per device. Default 8. Integer ≥ 1. */
  readonly maxReportersPerDevice?: number;
}

/** Resolved registry options. */
export interface HeartbeatRegistryConfig {
  readonly phi: PhiAccrualConfig;
  readonly maxDevices: number;
  readonly maxAddresses: number;
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly forgetAfterMs: number;
  readonly reportTtlMs: number;
  readonly reportWindowMs: number;
  readonly maxReportersPerDevice: number;
}

/** Validates and freezes registry options. Throws InvalidConfigError. */
export function resolveHeartbeatRegistryConfig(init: HeartbeatRegistryInit = {}): HeartbeatRegistryConfig {
  let phi: PhiAccrualConfig;
  try {
    phi = resolvePhiConfig(init.phi);
  } catch (error) {
    throw error instanceof InvalidConfigError ? error.under("phi") : error;
  }
  const int = (field: keyof HeartbeatRegistryInit, fallback: number, min: number): number => {
    const value = (init[field] as number | undefined) ?? fallback;
    if (!Number.isInteger(value) || value < min) {
      throw new InvalidConfigError(field, `must be an integer ≥ ${min} (got ${value})`);
    }
    return value;
  };
  const ratePerSecond = init.ratePerSecond ?? 50;
  if (!Number.isFinite(ratePerSecond) || ratePerSecond <= 0) {
    throw new InvalidConfigError("ratePerSecond", `must be a number > 0 (got ${ratePerSecond})`);
  }
  return Object.freeze({
    phi,
    maxDevices: int("maxDevices", 1024, 1),
    maxAddresses: int("maxAddresses", 4096, 1),
    ratePerSecond,
    burst: int("burst", 100, 1),
    forgetAfterMs: int("forgetAfterMs", 3_600_000, 1),
    reportTtlMs: int("reportTtlMs", 10_000, 1),
    reportWindowMs: int("reportWindowMs", 60_000, 1),
    maxReportersPerDevice: int("maxReportersPerDevice", 8, 1),
  });
}

/** One device's state as reported by another agent (what heartbeat-gossip carries). */
export interface HeartbeatReportEntry {
  readonly name: string;
  /** Silence (ms) since the device's last beat, when the report was made. */
  readonly agoMs: number;
  /** The reporter's φ mean (ms; mean interval + acceptable pause). */
  readonly meanMs: number;
  /** The reporter's φ standard deviation (ms; after the floor). */
  readonly stdDeviationMs: number;
}

/** A device as the API shows it. */
export interface DeviceView {
  readonly name: string;
  readonly state: "up" | "down";
  /** Current φ (the lowest over all sources); rounded to 3 decimals; null when unknown (∞). */
  readonly phi: number | null;
  /** Milliseconds since the freshest known beat, from any source. */
  readonly lastBeatAgoMs: number | null;
  /** Source address of the last local beat (host), when this agent hears it directly. */
  readonly addr: string | null;
  /** Who hears it: "local" and/or the names of reporting agents, best (lowest φ) first. */
  readonly sources: readonly string[];
  /** Beats this agent received directly. */
  readonly beats: number;
  /** Milliseconds since the state last changed. */
  readonly stateAgoMs: number;
}

/** An up/down change of one device. */
export interface HeartbeatTransition {
  readonly type: "up" | "down";
  readonly device: DeviceView;
}

/** What `beat` did with a heartbeat. */
export type BeatResult = "accepted" | "rateLimited" | "devicesFull";

/** Counters, monotonic. */
export interface HeartbeatRegistryStats {
  beatsAccepted: number;
  beatsRateLimited: number;
  beatsRefusedFull: number;
  devicesEvicted: number;
  devicesForgotten: number;
  reportEntriesApplied: number;
  reportEntriesRefusedFull: number;
  transitionsUp: number;
  transitionsDown: number;
}

interface LocalSource {
  readonly detector: PhiAccrualDetector;
  addr: string;
  beats: number;
  lastBeatMs: number;
}

interface RemoteSource {
  readonly entry: HeartbeatReportEntry;
  readonly receivedAtMs: number;
}

interface Device {
  readonly name: string;
  local: LocalSource | undefined;
  // BOUNDED: at most maxReportersPerDevice reporters (the stalest is replaced).
  readonly remote: Map<string, RemoteSource>;
  state: "up" | "down";
  stateSinceMs: number;
}

interface Bucket {
  tokens: number;
  lastMs: number;
}

/** The device table. Single-threaded; all times are the caller's monotonic ms. */
export class HeartbeatRegistry {
  readonly config: HeartbeatRegistryConfig;
  readonly stats: HeartbeatRegistryStats = {
    beatsAccepted: 0,
    beatsRateLimited: 0,
    beatsRefusedFull: 0,
    devicesEvicted: 0,
    devicesForgotten: 0,
    reportEntriesApplied: 0,
    reportEntriesRefusedFull: 0,
    transitionsUp: 0,
    transitionsDown: 0,
  };
  // BOUNDED: at most maxDevices devices (evict the longest-down, else refuse).
  private readonly deviceTable = new Map<string, Device>();
  // BOUNDED: at most maxAddresses buckets; the least recently used is evicted (Map order = LRU).
  private readonly buckets = new Map<string, Bucket>();

  constructor(init: HeartbeatRegistryInit = {}) {
    this.config = resolveHeartbeatRegistryConfig(init);
  }

  /** Number of devices tracked. */
  get size(): number {
    return this.deviceTable.size;
  }

  /** Source hosts with a rate bucket (for tests of the bound). */
  get addressCount(): number {
    return this.buckets.size;
  }

  /**
   * A heartbeat from device `name`, received from host `addr`. Returns what happened and, when
   * the device just came up (first sight or back from down), the transition.
   */
  beat(nowMs: number, name: string, addr: string): {result: BeatResult; transition?: HeartbeatTransition} {
    if (!this.takeToken(nowMs, addr)) {
      this.stats.beatsRateLimited++;
      return {result: "rateLimited"};
    }
    let device = this.deviceTable.get(name);
    if (!device) {
      if (!this.makeRoom(nowMs)) {
        this.stats.beatsRefusedFull++;
        return {result: "devicesFull"};
      }
      device = {name, local: undefined, remote: new Map(), state: "down", stateSinceMs: nowMs};
      this.deviceTable.set(name, device);
    }
    if (!device.local) {
      device.local = {detector: new PhiAccrualDetector(this.config.phi), addr, beats: 0, lastBeatMs: nowMs};
    }
    device.local.detector.heartbeat(nowMs);
    device.local.addr = addr;
    device.local.beats++;
    device.local.lastBeatMs = nowMs;
    this.stats.beatsAccepted++;
    const transition = this.judge(nowMs, device);
    return transition ? {result: "accepted", transition} : {result: "accepted"};
  }

  /** Merges another agent's report. Returns the devices it brought up. */
  applyReport(nowMs: number, reporter: string, entries: readonly HeartbeatReportEntry[]): HeartbeatTransition[] {
    const transitions: HeartbeatTransition[] = [];
    for (const entry of entries) {
      let device = this.deviceTable.get(entry.name);
      if (!device) {
        if (!this.makeRoom(nowMs)) {
          this.stats.reportEntriesRefusedFull++;
          continue;
        }
        device = {name: entry.name, local: undefined, remote: new Map(), state: "down", stateSinceMs: nowMs};
        this.deviceTable.set(entry.name, device);
      }
      if (!device.remote.has(reporter) && device.remote.size >= this.config.maxReportersPerDevice) {
        let stalest: string | undefined;
        let stalestAt = Number.POSITIVE_INFINITY;
        for (const [name, source] of device.remote) {
          if (source.receivedAtMs < stalestAt) {
            stalest = name;
            stalestAt = source.receivedAtMs;
          }
        }
        if (stalest !== undefined) device.remote.delete(stalest);
      }
      device.remote.set(reporter, {entry, receivedAtMs: nowMs});
      this.stats.reportEntriesApplied++;
      const transition = this.judge(nowMs, device);
      if (transition) transitions.push(transition);
    }
    return transitions;
  }

  /** Forgets everything `reporter` said (it left or failed); devices it alone heard go down at the next evaluate. */
  dropReporter(reporter: string): void {
    for (const device of this.deviceTable.values()) device.remote.delete(reporter);
  }

  /**
   * Re-judges every device at `nowMs`: returns up/down transitions, drops expired reports and
   * forgets devices down longer than forgetAfterMs. Call it periodically (a few times a second).
   */
  evaluate(nowMs: number): HeartbeatTransition[] {
    const transitions: HeartbeatTransition[] = [];
    for (const device of [...this.deviceTable.values()]) {
      for (const [reporter, source] of device.remote) {
        if (nowMs - source.receivedAtMs > this.config.reportTtlMs) device.remote.delete(reporter);
      }
      if (device.local && nowMs - device.local.lastBeatMs > this.config.forgetAfterMs) device.local = undefined;
      const transition = this.judge(nowMs, device);
      if (transition) transitions.push(transition);
      if (device.state === "down" && nowMs - device.stateSinceMs > this.config.forgetAfterMs) {
        this.deviceTable.delete(device.name);
        this.stats.devicesForgotten++;
      }
    }
    return transitions;
  }

  /** Every device, sorted by name. */
  devices(nowMs: number): DeviceView[] {
    return [...this.deviceTable.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((device) => this.view(nowMs, device));
  }

  /** One device, or undefined. */
  device(nowMs: number, name: string): DeviceView | undefined {
    const device = this.deviceTable.get(name);
    return device ? this.view(nowMs, device) : undefined;
  }

  /** Reports for the cluster: every device this agent heard directly within reportWindowMs. */
  localReports(nowMs: number): HeartbeatReportEntry[] {
    const entries: HeartbeatReportEntry[] = [];
    for (const device of this.deviceTable.values()) {
      const local = device.local;
      if (!local || nowMs - local.lastBeatMs > this.config.reportWindowMs) continue;
      const snapshot = local.detector.snapshot();
      entries.push({
        name: device.name,
        agoMs: Math.max(0, Math.round(nowMs - local.lastBeatMs)),
        meanMs: Math.round(snapshot.meanMs),
        stdDeviationMs: Math.max(1, Math.round(snapshot.stdDeviationMs)),
      });
    }
    return entries;
  }

  // ---- internals ----------------------------------------------------------------------------

  /** Token bucket per host; refreshes LRU order. */
  private takeToken(nowMs: number, addr: string): boolean {
    let bucket = this.buckets.get(addr);
    if (bucket) {
      this.buckets.delete(addr);
      const refill = (Math.max(0, nowMs - bucket.lastMs) / 1000) * this.config.ratePerSecond;
      bucket.tokens = Math.min(this.config.burst, bucket.tokens + refill);
      bucket.lastMs = nowMs;
    } else {
      if (this.buckets.size >= this.config.maxAddresses) {
        const oldest = this.buckets.keys().next().value as string;
        this.buckets.delete(oldest);
      }
      bucket = {tokens: this.config.burst, lastMs: nowMs};
    }
    this.buckets.set(addr, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Frees a slot for a new device if the table is full: evicts the longest-down device. */
  private makeRoom(_nowMs: number): boolean {
    if (this.deviceTable.size < this.config.maxDevices) return true;
    let victim: Device | undefined;
    for (const device of this.deviceTable.values()) {
      if (device.state !== "down") continue;
      if (!victim || device.stateSinceMs < victim.stateSinceMs) victim = device;
    }
    if (!victim) return false;
    this.deviceTable.delete(victim.name);
    this.stats.devicesEvicted++;
    return true;
  }

  /** φ of every source at `nowMs`, best first. */
  private sourcesOf(nowMs: number, device: Device): {source: string; phi: number; agoMs: number}[] {
    const out: {source: string; phi: number; agoMs: number}[] = [];
    if (device.local) {
      out.push({
        source: "local",
        phi: device.local.detector.phi(nowMs),
        agoMs: Math.max(0, nowMs - device.local.lastBeatMs),
      });
    }
    for (const [reporter, {entry, receivedAtMs}] of device.remote) {
      if (nowMs - receivedAtMs > this.config.reportTtlMs) continue;
      const agoMs = entry.agoMs + Math.max(0, nowMs - receivedAtMs);
      out.push({source: reporter, phi: phiOf(agoMs, entry.meanMs, entry.stdDeviationMs), agoMs});
    }
    return out.sort((a, b) => a.phi - b.phi || a.agoMs - b.agoMs);
  }

  private judge(nowMs: number, device: Device): HeartbeatTransition | undefined {
    const best = this.sourcesOf(nowMs, device)[0];
    const state = best !== undefined && best.phi < this.config.phi.threshold ? "up" : "down";
    if (state === device.state) return undefined;
    device.state = state;
    device.stateSinceMs = nowMs;
    if (state === "up") this.stats.transitionsUp++;
    else this.stats.transitionsDown++;
    return {type: state, device: this.view(nowMs, device)};
  }

  private view(nowMs: number, device: Device): DeviceView {
    const sources = this.sourcesOf(nowMs, device);
    const best = sources[0];
    const phi = best === undefined || !Number.isFinite(best.phi) ? null : Math.round(best.phi * 1000) / 1000;
    const freshest = sources.reduce<number | null>((min, s) => (min === null || s.agoMs < min ? s.agoMs : min), null);
    return {
      name: device.name,
      state: device.state,
      phi,
      lastBeatAgoMs: freshest === null ? null : Math.round(freshest),
      addr: device.local?.addr ?? null,
      sources: sources.map((s) => s.source),
      beats: device.local?.beats ?? 0,
      stateAgoMs: Math.max(0, Math.round(nowMs - device.stateSinceMs)),
    };
  }
}
