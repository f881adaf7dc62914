/*
 * The agent's plain-heartbeat service: the listener (optional), the registry, two timers, and
 * the cluster reports.
 *
 *   device ─"name\n"─▶ listener ─▶ registry.beat ─────────────┐
 *   every evaluateIntervalMs: registry.evaluate ──────────────┼─▶ "heartbeat:up" / "heartbeat:down"
 *   every reportIntervalMs: registry.localReports ─▶ encode ─▶ broadcast (memberlist user message)
 *   delivered user message ─▶ handleMessage ─▶ decode ─▶ registry.applyReport ─┘ (and relay once)
 *   member failed / left ─▶ memberGone ─▶ registry.dropReporter
 *
 * Time comes from a monotonic clock (performance.now by default) so wall-clock jumps do not
 * make devices flap.
 */
import {EventEmitter} from "node:events";
import {InvalidConfigError} from "../core/index.ts";
import {decodeHeartbeatReport, encodeHeartbeatReports, isHeartbeatReport} from "./gossip.ts";
import {
  type HeartbeatListener,
  type HeartbeatListenerInit,
  type HeartbeatListenerStats,
  startHeartbeatListener,
} from "./listener.ts";
import {
  type DeviceView,
  HeartbeatRegistry,
  type HeartbeatRegistryInit,
  type HeartbeatRegistryStats,
  type HeartbeatTransition,
} from "./registry.ts";

/** Service options. */
export interface HeartbeatServiceInit {
  /** Our node name: the reporter name in cluster reports. */
  readonly name: string;
  /** Where to accept plain heartbeats (TCP + UDP); none: only learn devices from the cluster. */
  readonly listen?: {readonly host: string; readonly port: number};
  /** Listener bounds (connections, idle timeout, datagram size, name length). */
  readonly listener?: Omit<HeartbeatListenerInit, "host" | "port" | "onBeat">;
  readonly registry?: HeartbeatRegistryInit;
  /** How often devices are re-judged. Default 200. Integer 10..60000. */
  readonly evaluateIntervalMs?: number;
  /** How often devices heard here are reported to the cluster. Default 2000. Integer 100..600000. */
  readonly reportIntervalMs?: number;
  /**
   * Share devices heard here with the cluster (and relay others' reports). Default true. Turn it
   * off in a cluster with serf agents if their "unknown type: 76" warnings are unwelcome.
   */
  readonly share?: boolean;
  /** Queues a user message for the cluster (the core's broadcast input). */
  readonly broadcast: (payload: Uint8Array) => void;
  readonly log?: (line: string) => void;
  /** Monotonic milliseconds. Default performance.now. */
  readonly now?: () => number;
}

/** The service's events; emitted in the order the registry decided them. */
export interface HeartbeatServiceEvents {
  /** A device was heard for the first time, or again after being down. */
  "heartbeat:up": [device: DeviceView];
  /** A device's φ crossed the threshold (or every source that heard it went away). */
  "heartbeat:down": [device: DeviceView];
}

/** Counters, monotonic. */
export interface HeartbeatServiceStats {
  reportsSent: number;
  reportsReceived: number;
  reportsRelayed: number;
  reportsDuplicate: number;
  reportsMalformed: number;
  registry: HeartbeatRegistryStats;
  listener: HeartbeatListenerStats | undefined;
}

/** Relayed-report ids remembered, to relay each report once. */
const SEEN_REPORTS_MAX = 8_192;

/** Plain heartbeats for one agent. `start()` binds the listener (if any) and arms the timers. */
export class HeartbeatService extends EventEmitter<HeartbeatServiceEvents> {
  readonly registry: HeartbeatRegistry;
  private readonly init: HeartbeatServiceInit;
  private readonly now: () => number;
  private readonly evaluateIntervalMs: number;
  private readonly reportIntervalMs: number;
  private readonly log: (line: string) => void;
  private listener: HeartbeatListener | undefined;
  private timers: ReturnType<typeof setInterval>[] = [];
  // Seq numbers start from the wall clock so a restarted agent's reports are not taken for relays seen before.
  private seq = Date.now() * 1_000;
  // BOUNDED: at most SEEN_REPORTS_MAX ids; the oldest is forgotten first (Map insertion order).
  private readonly seen = new Map<string, true>();
  private readonly counters = {
    reportsSent: 0,
    reportsReceived: 0,
    reportsRelayed: 0,
    reportsDuplicate: 0,
    reportsMalformed: 0,
  };

  constructor(init: HeartbeatServiceInit) {
    super();
    this.init = init;
    this.registry = new HeartbeatRegistry(init.registry);
    this.now = init.now ?? (() => performance.now());
    this.log = init.log ?? (() => undefined);
    this.evaluateIntervalMs = checkInt("evaluateIntervalMs", init.evaluateIntervalMs ?? 200, 10, 60_000);
    this.reportIntervalMs = checkInt("reportIntervalMs", init.reportIntervalMs ?? 2_000, 100, 600_000);
  }

  /** The listener's bound address, when listening. */
  get address(): {readonly host: string; readonly port: number} | undefined {
    return this.listener?.address;
  }

  get stats(): HeartbeatServiceStats {
    return {...this.counters, registry: this.registry.stats, listener: this.listener?.stats};
  }

  /** Binds the listener (when configured) and arms the timers. Rejects when the address is taken. */
  async start(): Promise<void> {
    if (this.init.listen) {
      this.listener = await startHeartbeatListener({
        ...this.init.listener,
        host: this.init.listen.host,
        port: this.init.listen.port,
        onBeat: (name, host) => this.beat(name, host),
      });
    }
    const evaluate = setInterval(() => this.evaluate(), this.evaluateIntervalMs);
    const report = setInterval(() => this.report(), this.reportIntervalMs);
    evaluate.unref();
    report.unref();
    this.timers = [evaluate, report];
  }

  /** Closes the listener and stops the timers. Idempotent. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    const listener = this.listener;
    this.listener = undefined;
    await listener?.close();
  }

  /** Every device known here (heard directly or reported by another agent), sorted by name. */
  devices(): DeviceView[] {
    return this.registry.devices(this.now());
  }

  /** A heartbeat from a device (the listener calls this; exposed for embedding). */
  beat(name: string, host: string): void {
    const {result, transition} = this.registry.beat(this.now(), name, host);
    if (
      result !== "accepted" &&
      (this.registry.stats.beatsRateLimited + this.registry.stats.beatsRefusedFull) % 1000 === 1
    ) {
      this.log(`heartbeat from ${host} for ${JSON.stringify(name)} dropped: ${result} (logged every 1000th)`);
    }
    if (transition) this.emitTransition(transition);
  }

  /** Re-judges every device now (the timer calls this). */
  evaluate(): void {
    for (const transition of this.registry.evaluate(this.now())) this.emitTransition(transition);
  }

  /** Broadcasts reports of the devices heard here (the timer calls this). */
  report(): void {
    if (this.init.share === false) return;
    const entries = this.registry.localReports(this.now());
    if (entries.length === 0) return;
    for (const payload of encodeHeartbeatReports(this.init.name, entries, () => this.seq++)) {
      this.safeBroadcast(payload);
      this.counters.reportsSent++;
    }
  }

  /**
   * A user message from the cluster. Returns false when it is not a heartbeat report (someone
   * else's message); true when it was one, valid or not (malformed ones are counted, dropped).
   */
  handleMessage(payload: Uint8Array): boolean {
    if (!isHeartbeatReport(payload)) return false;
    let report: ReturnType<typeof decodeHeartbeatReport>;
    try {
      report = decodeHeartbeatReport(payload);
    } catch (error) {
      this.counters.reportsMalformed++;
      this.log(`dropped a malformed heartbeat report: ${(error as Error).message}`);
      return true;
    }
    if (report.reporter === this.init.name) return true; // our own, relayed back
    const id = `${report.reporter}\u0000${report.seq}`;
    if (this.seen.has(id)) {
      this.counters.reportsDuplicate++;
      return true;
    }
    this.seen.set(id, true);
    if (this.seen.size > SEEN_REPORTS_MAX) this.seen.delete(this.seen.keys().next().value as string);
    this.counters.reportsReceived++;
    for (const transition of this.registry.applyReport(this.now(), report.reporter, report.entries)) {
      this.emitTransition(transition);
    }
    if (this.init.share !== false) {
      this.safeBroadcast(payload);
      this.counters.reportsRelayed++;
    }
    return true;
  }

  /** A member failed or left: forget what it reported. */
  memberGone(name: string): void {
    this.registry.dropReporter(name);
    this.evaluate();
  }

  private safeBroadcast(payload: Uint8Array): void {
    try {
      this.init.broadcast(payload);
    } catch (error) {
      // e.g. the node is leaving; reports are best-effort
      this.log(`heartbeat report not broadcast: ${(error as Error).message}`);
    }
  }

  private emitTransition(transition: HeartbeatTransition): void {
    const event = transition.type === "up" ? "heartbeat:up" : "heartbeat:down";
    for (const listener of this.rawListeners(event) as ((device: DeviceView) => void)[]) {
      try {
        listener.call(this, transition.device);
      } catch (error) {
        this.log(`a ${event} listener threw: ${(error as Error).message}`);
      }
    }
  }
}

function checkInt(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidConfigError(field, `must be an integer between ${min} and ${max} (got ${value})`);
  }
  return value;
}
