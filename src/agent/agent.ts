/*
 * The Agent: what a user runs. It binds the transport, drives a SwimNode through the runtime
 * driver, turns the core's notifications into typed node:events events, decodes serf-style tags
 * from member metadata, joins seeds (DNS names expand to all their addresses; startup joins
 * retry with exponential backoff), and optionally serves the HTTP API.
 *
 *   createAgent(init) ─▶ transport.bind ─▶ driver.start ─▶ (http.listen) ─▶ join seeds in background
 *   core notify ─▶ Agent emits "member:*" after the change is committed; listeners are isolated
 *   leave() ─▶ core gossips dead(self, from self) ─▶ "left"      stop() ─▶ sockets closed
 */
import {EventEmitter} from "node:events";
import {hostname, networkInterfaces} from "node:os";
import createDebug from "debug";
import {type DecodeError, decodeTags, encodeTags, Keyring} from "../codec/index.ts";
import {encodeSerfLeaveIntent} from "../codec/serf-leave-intent.ts";
import {
  type Address,
  DEFAULT_VSN,
  InvalidConfigError,
  META_MAX_SIZE,
  type MemberState,
  type MemberView,
  type Notification,
  type ProfileName,
  profileConfig,
  resolveConfig,
  type SwimConfig,
  type SwimNode,
} from "../core/index.ts";
import {type DeviceView, type HeartbeatRegistryInit, resolveHeartbeatRegistryConfig} from "../heartbeat/registry.ts";
import {HeartbeatService} from "../heartbeat/service.ts";
import {
  EventHandlerRunner,
  type EventHandlerSpec,
  type HandlerEventName,
  type HandlerMember,
  parseEventHandler,
} from "../hooks/event-handler.ts";
import {startHttpApi} from "../http/server.ts";
import {DEFAULT_VNODES, HashRing, type RingChange} from "../ring/index.ts";
import {isUp, LeaderElector, type LeaderOptions} from "../ring/leader.ts";
import {Driver, type DriverStats, type JoinResult} from "../runtime/index.ts";
import {BindError, createTransport, type Transport, type TransportStats} from "../transport/index.ts";
import {formatHostPort, type HostPort, parseHostPort, resolveSeeds} from "./address.ts";
import {AgentStateError, JoinError} from "./errors.ts";

const log = createDebug("lifeline:agent");
const logMember = createDebug("lifeline:member");
const logNet = createDebug("lifeline:net");
const logJoin = createDebug("lifeline:join");
const logRecovery = createDebug("lifeline:recovery");

/** memberlist's and serf's default port, for UDP and TCP. */
export const DEFAULT_PORT = 7946;

/**
 * User-supplied agent options. Every SwimConfig field may be given directly (e.g.
 * `probeIntervalMs`); they override the chosen profile.
 */
export interface AgentInit extends Partial<SwimConfig> {
  /** Node name, unique in the cluster. Default: the host name. */
  readonly name?: string;
  /** "HOST:PORT" to bind UDP and TCP on (port 0: any free port). Default "127.0.0.1:7946". */
  readonly bind?: string;
  /** "HOST[:PORT]" others reach us at. Default: the bind address (a local IP when bound to 0.0.0.0/::). */
  readonly advertise?: string;
  /** Seeds joined at start ("HOST:PORT" or a DNS name; default port = our bound port). */
  readonly join?: readonly string[];
  /** Attempts of the startup join before giving up (0 = keep trying). Default 0. */
  readonly retryJoinMax?: number;
  /** First wait between startup join attempts; doubles each time up to 32×. Default 1000. */
  readonly retryJoinIntervalMs?: number;
  /** Our tags, carried in node meta as serf does (visible in `serf members`). */
  readonly tags?: Readonly<Record<string, string>>;
  /** Base config preset. Default "lan". */
  readonly profile?: ProfileName;
  /** Base64 AES keys (16, 24 or 32 bytes), primary first; encrypts every packet and stream. */
  readonly encrypt?: string | readonly string[];
  /** LZW-compress outgoing packets (when smaller) and streams, as serf does. Default true. */
  readonly compress?: boolean;
  /** Serve the HTTP API on "HOST:PORT" (port 0: any). Default: no HTTP server. */
  readonly http?: string;
  /** Seed of the core's PRNG (reproducible probe order). Default: random. */
  readonly seed?: number;
  /** Largest incoming stream in bytes. Default 20 MiB + 64 KiB. */
  readonly maxStreamBytes?: number;
  /** Concurrent incoming streams. Default 128. */
  readonly maxIncomingStreams?: number;
  /**
   * Commands run on member and heartbeat events, each "[FILTER=]COMMAND" (serf's form; FILTER is
   * a comma list of member-join, member-leave, member-failed, member-update, member-suspect,
   * heartbeat-up, heartbeat-down, or *). See event-handler.ts.
   */
  readonly eventHandlers?: readonly string[];
  /** A handler still running after this long is killed with its process group. Default 30000. */
  readonly eventHandlerTimeoutMs?: number;
  /** Accept plain heartbeats ("name\n" over TCP and UDP) on "HOST:PORT". Default: not listening. */
  readonly heartbeatListen?: string;
  /** Phi-accrual and flood-control settings for plain heartbeats. */
  readonly heartbeat?: HeartbeatRegistryInit & {
    /** How often devices are re-judged. Default 200. */
    readonly evaluateIntervalMs?: number;
    /** How often devices heard here are reported to the cluster. Default 2000. */
    readonly reportIntervalMs?: number;
    /** Share devices with the cluster as user messages (serf logs a warning per copy). Default true. */
    readonly share?: boolean;
  };
  /** Positions per member on the hash ring. Default 256. */
  readonly ringVnodes?: number;
}

/** The agent's resolved settings. */
export interface AgentConfig {
  readonly name: string;
  readonly bind: HostPort;
  readonly advertise: HostPort | undefined;
  readonly join: readonly HostPort[];
  readonly retryJoinMax: number;
  readonly retryJoinIntervalMs: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly profile: ProfileName;
  readonly swim: SwimConfig;
  readonly keyring: Keyring | undefined;
  readonly compress: boolean;
  readonly http: HostPort | undefined;
  readonly seed: number | undefined;
  readonly maxStreamBytes: number | undefined;
  readonly maxIncomingStreams: number | undefined;
  readonly eventHandlers: readonly EventHandlerSpec[];
  readonly eventHandlerTimeoutMs: number;
  readonly heartbeatListen: HostPort | undefined;
  readonly heartbeat: NonNullable<AgentInit["heartbeat"]>;
  readonly ringVnodes: number;
}

/** One member as the agent shows it (also the JSON of the HTTP API and `lifeline members --json`). */
export interface AgentMember {
  readonly name: string;
  /** IP address text. */
  readonly addr: string;
  readonly port: number;
  readonly state: MemberState;
  readonly incarnation: number;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The agent's events. Every member event is emitted after the core committed the change,
 * serially, in state-change order. A listener that throws is logged (lifeline:agent) and the
 * others still run.
 */
export interface AgentEvents {
  /** A member became alive: first sight, or alive again after being down or gone. */
  "member:up": [member: AgentMember];
  /** An alive member became suspect. */
  "member:suspect": [member: AgentMember];
  /** A suspect member refuted the suspicion and is alive again (it never went down). */
  "member:alive": [member: AgentMember];
  /** A member failed (declared dead) or left gracefully. */
  "member:down": [member: AgentMember, reason: "failed" | "left"];
  /** An alive member changed its tags or address. */
  "member:updated": [member: AgentMember];
  /** We were suspected or declared dead and refuted it with a higher incarnation. */
  refuted: [info: {incarnation: number; accusedBy: string}];
  /** Our leave finished (the leave broadcast had its chance to spread). */
  left: [];
  /** Bytes from the network failed to decode; they were dropped and counted. */
  decodeError: [error: DecodeError, from: Address];
  /** A startup join attempt finished (`answered` 0 = failed; it will be retried). */
  "join:attempt": [result: {attempt: number; answered: number; errors: readonly string[]}];
  /** Application data from the cluster. */
  message: [payload: Uint8Array];
  /** An internal error (a Lifeline bug) was caught; the agent keeps running. */
  internalError: [error: unknown];
  /**
   * The hash ring's members changed (members came up or went down): which arcs moved from whom
   * to whom. Emitted on the tick after the member events that caused it, one per rebuild (a
   * burst of member events gives one event listing all of them).
   */
  "ring:changed": [change: RingChange];
  /** A plain-heartbeat device was heard for the first time, or again after being down. */
  "heartbeat:up": [device: DeviceView];
  /** A plain-heartbeat device's φ crossed the threshold (or no agent hears it any more). */
  "heartbeat:down": [device: DeviceView];
  /** A line from an event handler (its output, or how it ended). */
  "handler:log": [line: string];
}

type AgentStatus = "created" | "starting" | "running" | "leaving" | "left" | "stopped";

/** Resolves and validates an AgentInit. Throws InvalidConfigError naming the field. */
export function resolveAgentConfig(init: AgentInit = {}): AgentConfig {
  const name = init.name ?? hostname();
  if (typeof name !== "string" || name.length === 0 || name.length > 255) {
    throw new InvalidConfigError("name", "must be a non-empty string of at most 255 characters");
  }
  const bind = parseHostPort(init.bind ?? `127.0.0.1:${DEFAULT_PORT}`, "bind", DEFAULT_PORT);
  const advertise = init.advertise === undefined ? undefined : parseHostPort(init.advertise, "advertise", -1);
  const join = (init.join ?? []).map((seed) => parseHostPort(seed, "join", -1));
  const retryJoinMax = init.retryJoinMax ?? 0;
  if (!Number.isInteger(retryJoinMax) || retryJoinMax < 0) {
    throw new InvalidConfigError("retryJoinMax", "must be an integer ≥ 0 (0 = keep trying)");
  }
  const retryJoinIntervalMs = init.retryJoinIntervalMs ?? 1_000;
  if (!Number.isInteger(retryJoinIntervalMs) || retryJoinIntervalMs < 1 || retryJoinIntervalMs > 3_600_000) {
    throw new InvalidConfigError("retryJoinIntervalMs", "must be an integer between 1 and 3600000");
  }
  const tags = {...(init.tags ?? {})};
  for (const [key, value] of Object.entries(tags)) {
    if (typeof value !== "string")
      throw new InvalidConfigError("tags", `value of ${JSON.stringify(key)} must be a string`);
  }
  checkTags(tags);
  const profile = init.profile ?? "lan";
  const base = profileConfig(profile);
  const overrides: Record<string, unknown> = {};
  for (const field of Object.keys(base)) {
    const value = (init as Record<string, unknown>)[field];
    if (value !== undefined) overrides[field] = value;
  }
  const swim = resolveConfig(overrides as Partial<SwimConfig>, base);
  let keyring: Keyring | undefined;
  if (init.encrypt !== undefined) {
    const keys = typeof init.encrypt === "string" ? [init.encrypt] : [...init.encrypt];
    try {
      keyring = Keyring.fromBase64(keys);
    } catch (error) {
      throw new InvalidConfigError(
        "encrypt",
        `must be base64 of a 16, 24 or 32-byte key (${(error as Error).message})`,
        {
          cause: error,
        },
      );
    }
  }
  const http = init.http === undefined ? undefined : parseHostPort(init.http, "http");
  const eventHandlers = (init.eventHandlers ?? []).map((text) => {
    try {
      return parseEventHandler(text);
    } catch (error) {
      throw error instanceof InvalidConfigError ? error.withField("eventHandlers") : error;
    }
  });
  const eventHandlerTimeoutMs = init.eventHandlerTimeoutMs ?? 30_000;
  if (!Number.isInteger(eventHandlerTimeoutMs) || eventHandlerTimeoutMs < 1 || eventHandlerTimeoutMs > 86_400_000) {
    throw new InvalidConfigError("eventHandlerTimeoutMs", "must be an integer between 1 and 86400000");
  }
  const heartbeatListen =
    init.heartbeatListen === undefined ? undefined : parseHostPort(init.heartbeatListen, "heartbeatListen");
  const heartbeat = {...(init.heartbeat ?? {})};
  try {
    resolveHeartbeatRegistryConfig(heartbeat);
    for (const [field, min, max] of [
      ["evaluateIntervalMs", 10, 60_000],
      ["reportIntervalMs", 100, 600_000],
    ] as const) {
      const value = heartbeat[field];
      if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
        throw new InvalidConfigError(field, `must be an integer between ${min} and ${max}`);
      }
    }
  } catch (error) {
    throw error instanceof InvalidConfigError ? error.under("heartbeat") : error;
  }
  const ringVnodes = init.ringVnodes ?? DEFAULT_VNODES;
  if (!Number.isInteger(ringVnodes) || ringVnodes < 1 || ringVnodes > 4096) {
    throw new InvalidConfigError("ringVnodes", "must be an integer between 1 and 4096");
  }
  return Object.freeze({
    name,
    bind,
    advertise,
    join,
    retryJoinMax,
    retryJoinIntervalMs,
    tags,
    profile,
    swim,
    keyring,
    compress: init.compress ?? true,
    http,
    seed: init.seed,
    maxStreamBytes: init.maxStreamBytes,
    maxIncomingStreams: init.maxIncomingStreams,
    eventHandlers,
    eventHandlerTimeoutMs,
    heartbeatListen,
    heartbeat,
    ringVnodes,
  });
}

/** A Lifeline agent. Create with `createAgent` (which starts it) or `new Agent(init)` then `start()`. */
export class Agent extends EventEmitter<AgentEvents> {
  readonly config: AgentConfig;
  private status: AgentStatus = "created";
  private transport: Transport | undefined;
  private driver: Driver | undefined;
  private advertised: Address | undefined;
  private httpServer: {close(): Promise<void>; address: Address} | undefined;
  private startupJoin: Promise<boolean> | undefined;
  private readonly abort = new AbortController();
  private tags: Readonly<Record<string, string>>;
  private readonly hashRing: HashRing;
  private ringStale = false;
  private ringFlushScheduled = false;
  private pendingRingChanges: RingChange[] = [];
  private readonly elector: LeaderElector;
  private heartbeatService: HeartbeatService | undefined;
  private eventHandlerRunner: EventHandlerRunner | undefined;

  constructor(init: AgentInit = {}) {
    super();
    this.config = resolveAgentConfig(init);
    this.tags = this.config.tags;
    this.hashRing = new HashRing({vnodes: this.config.ringVnodes});
    this.elector = new LeaderElector(this.config.ringVnodes);
  }

  /**
   * The consistent-hash ring over the up (alive or suspect) members, self included. Always
   * current: a member event marks it stale and the next read (or the next tick) rebuilds it, so
   * a burst of events (a join that brings in 1000 members) costs one rebuild. Read-only:
   * `owner(key)`, `owners(key, n)`, `members()`.
   */
  get ring(): Pick<HashRing, "owner" | "owners" | "members" | "size" | "has" | "position" | "ownership" | "vnodes"> {
    this.refreshRing();
    return this.hashRing;
  }

  /**
   * The leader for `options.key` (default "lifeline/leader") among up members carrying
   * `options.tags`: the ring owner of the key. Deterministic — agents with the same view agree —
   * but not consensus: see leader.ts for exactly what it guarantees.
   */
  leader(options: LeaderOptions = {}): string | undefined {
    this.refreshRing();
    return this.elector.leader(this.members(), options, options.tags ? undefined : this.hashRing);
  }

  /** Plain-heartbeat devices known here (heard directly or reported by other agents). */
  heartbeats(): DeviceView[] {
    return this.heartbeatService?.devices() ?? [];
  }

  /** Where plain heartbeats are accepted, when listening. */
  get heartbeatAddress(): Address | undefined {
    return this.heartbeatService?.address;
  }

  /** Counters of the heartbeat service and the event handlers (undefined parts are not running). */
  get recoveryStats(): {
    heartbeats: HeartbeatService["stats"] | undefined;
    eventHandlers: EventHandlerRunner["stats"] | undefined;
  } {
    return {heartbeats: this.heartbeatService?.stats, eventHandlers: this.eventHandlerRunner?.stats};
  }

  /** Queues application data for the cluster (a memberlist user message; serf ignores unknown types). */
  broadcast(payload: Uint8Array): void {
    this.requireRunning("broadcast");
    this.driver?.broadcast(payload);
  }

  /** The node name. */
  get name(): string {
    return this.config.name;
  }

  /** Where UDP and TCP are bound (the real port after binding to 0). */
  get address(): Address {
    if (!this.transport) throw new AgentStateError("the agent is not started");
    return this.transport.address;
  }

  /** The address others reach us at. */
  get advertiseAddress(): Address {
    if (!this.advertised) throw new AgentStateError("the agent is not started");
    return this.advertised;
  }

  /** The HTTP API address, when serving. */
  get httpAddress(): Address | undefined {
    return this.httpServer?.address;
  }

  /** created | starting | running | leaving | left | stopped. */
  get state(): AgentStatus {
    return this.status;
  }

  /** The core (read-only use: stats, awarenessScore, incarnation). */
  get node(): SwimNode {
    if (!this.driver) throw new AgentStateError("the agent is not started");
    return this.driver.node as SwimNode;
  }

  /** Counters of the driver and the transport. */
  get stats(): {driver: DriverStats; transport: TransportStats} {
    if (!this.driver || !this.transport) throw new AgentStateError("the agent is not started");
    return {driver: this.driver.stats, transport: this.transport.stats};
  }

  /**
   * Binds the sockets, starts the protocol, starts the HTTP API when configured, and starts the
   * startup join (with retries) in the background. Throws BindError when the address is taken.
   */
  async start(): Promise<void> {
    if (this.status !== "created") throw new AgentStateError(`cannot start an agent that is ${this.status}`);
    this.status = "starting";
    const config = this.config;
    try {
      this.transport = await createTransport({
        host: config.bind.host,
        port: config.bind.port,
        ...(config.maxStreamBytes !== undefined ? {maxStreamBytes: config.maxStreamBytes} : {}),
        ...(config.maxIncomingStreams !== undefined ? {maxIncomingStreams: config.maxIncomingStreams} : {}),
      });
    } catch (error) {
      this.status = "stopped";
      throw error;
    }
    const bound = this.transport.address;
    this.advertised = {
      host: config.advertise?.host ?? advertiseHostFor(bound.host),
      port: config.advertise && config.advertise.port >= 0 ? config.advertise.port : bound.port,
    };
    this.startRecovery();
    this.driver = new Driver(
      {
        config: config.swim,
        self: {name: config.name, addr: this.advertised, meta: encodeTags(this.tags), vsn: DEFAULT_VSN},
        keyring: config.keyring,
        compress: config.compress,
        seed: config.seed,
      },
      {transport: this.transport},
      {
        onNotify: (event) => this.handleNotification(event),
        onDeliver: (payload) => {
          if (!this.heartbeatService?.handleMessage(payload)) this.dispatch("message", payload);
        },
        onDecodeError: (error, from, via) => {
          logNet("dropped undecodable %s bytes from %s: %s", via, formatHostPort(from), error.message);
          this.dispatch("decodeError", error, from);
        },
        onInternalError: (error, input) => {
          log("internal error handling %s: %O", input.type, error);
          this.dispatch("internalError", error);
        },
      },
    );
    this.driver.start();
    this.status = "running";
    this.markRingStale();
    if (this.heartbeatService) {
      try {
        await this.heartbeatService.start();
      } catch (error) {
        await this.stop();
        const code = (error as NodeJS.ErrnoException).code ?? "EBIND";
        const at = config.heartbeatListen as HostPort;
        throw new BindError(`cannot accept heartbeats on ${formatHostPort(at)}: ${code}`, code, {cause: error});
      }
    }
    log("%s listening on %s, advertising %s", config.name, formatHostPort(bound), formatHostPort(this.advertised));
    if (config.http) {
      try {
        this.httpServer = await startHttpApi(this, config.http);
      } catch (error) {
        await this.stop();
        const code = (error as NodeJS.ErrnoException).code ?? "EBIND";
        throw new BindError(`cannot serve the HTTP API on ${formatHostPort(config.http)}: ${code}`, code, {
          cause: error,
        });
      }
    }
    if (config.join.length > 0) {
      this.startupJoin = this.joinWithRetry(config.join).catch((error: unknown) => {
        logJoin("startup join gave up: %s", (error as Error).message);
        return false;
      });
    }
  }

  /**
   * Joins a cluster through `addrs` ("HOST:PORT" or DNS names; every A/AAAA record is tried).
   * One attempt: resolves with the number of addresses that answered a push-pull, rejects
   * with JoinError when none did. The core remembers the seeds and re-contacts them later
   * when it knows no live member (healing).
   */
  async join(addrs: readonly string[]): Promise<number> {
    const seeds = addrs.map((addr) => parseHostPort(addr, "addrs", this.transport?.address.port ?? DEFAULT_PORT));
    if (seeds.length === 0) throw new InvalidConfigError("addrs", "must list at least one address");
    return this.joinOnce(seeds);
  }

  /**
   * The startup join's outcome: true once a seed answered; false when retryJoinMax attempts
   * failed or the agent left or stopped first. True at once when no seeds were configured.
   */
  get joined(): Promise<boolean> {
    return this.startupJoin ?? Promise.resolve(true);
  }

  /** Every known member, self included. */
  members(): AgentMember[] {
    if (!this.driver) return [];
    return this.node.members().map((member) => toAgentMember(member));
  }

  /** Replaces our tags; the change is gossiped (a higher incarnation). */
  setTags(tags: Readonly<Record<string, string>>): void {
    const meta = checkTags({...tags});
    this.requireRunning("set tags");
    this.tags = {...tags};
    this.driver?.updateMeta(meta);
  }

  /** Our current tags. */
  get currentTags(): Readonly<Record<string, string>> {
    return this.tags;
  }

  /**
   * Leaves gracefully: gossips our leave so others record us as `left` (not failed) and waits
   * until it had its chance to spread (at most leaveTimeoutMs). The sockets stay open (to
   * answer probes) until `stop()`.
   */
  async leave(): Promise<void> {
    if (this.status === "left" || this.status === "stopped" || this.status === "leaving") return;
    this.requireRunning("leave");
    this.status = "leaving";
    this.abort.abort();
    // Serf records a member as left (not failed) only after its leave intent: send it first and
    // give it two gossip rounds before memberlist's leave, as serf's own Leave does.
    if (this.driver && this.node.members().some((m) => m.name !== this.name && m.state === "alive")) {
      this.driver.broadcast(encodeSerfLeaveIntent(this.name));
      await new Promise((resolve) => setTimeout(resolve, 2 * this.config.swim.gossipIntervalMs));
    }
    await this.driver?.leave();
    if (this.status === "leaving") this.status = "left";
  }

  /**
   * Stops at once: closes the HTTP API and the sockets without telling anyone (call `leave()`
   * first for a graceful exit; without it peers see a failure). Idempotent.
   */
  async stop(): Promise<void> {
    if (this.status === "stopped") return;
    this.status = "stopped";
    this.abort.abort();
    this.driver?.stop();
    const closing: Promise<void>[] = [];
    if (this.heartbeatService) closing.push(this.heartbeatService.stop());
    if (this.eventHandlerRunner) closing.push(this.eventHandlerRunner.stop());
    if (this.httpServer) closing.push(this.httpServer.close());
    if (this.transport) closing.push(this.transport.close());
    await Promise.all(closing);
    log("%s stopped", this.config.name);
  }

  // ---- internals ----------------------------------------------------------------------------

  private requireRunning(what: string): void {
    if (this.status !== "running") throw new AgentStateError(`cannot ${what}: the agent is ${this.status}`);
  }

  private async joinOnce(seeds: readonly HostPort[]): Promise<number> {
    this.requireRunning("join");
    const port = this.address.port;
    const {addresses, errors} = await resolveSeeds(seeds.map((s) => (s.port < 0 ? {host: s.host, port} : s)));
    if (addresses.length === 0) {
      throw new JoinError(`join failed: no address to contact (${errors.join("; ")})`, errors);
    }
    const driver = this.driver as Driver;
    const result: JoinResult = await driver.join(addresses);
    const allErrors = [...errors, ...result.errors];
    logJoin("join %s: %d of %d answered", seeds.map(formatHostPort).join(","), result.answered, result.attempted);
    if (result.answered === 0) {
      throw new JoinError(
        `join failed: none of ${addresses.length} address(es) answered (${allErrors.join("; ") || "no reply"})`,
        allErrors,
      );
    }
    return result.answered;
  }

  private async joinWithRetry(seeds: readonly HostPort[]): Promise<boolean> {
    const {retryJoinMax, retryJoinIntervalMs} = this.config;
    const signal = this.abort.signal;
    for (let attempt = 1; retryJoinMax === 0 || attempt <= retryJoinMax; attempt++) {
      if (signal.aborted || this.status !== "running") return false;
      try {
        const answered = await this.joinOnce(seeds);
        this.dispatch("join:attempt", {attempt, answered, errors: []});
        return true;
      } catch (error) {
        const errors = error instanceof JoinError ? error.errors : [(error as Error).message];
        this.dispatch("join:attempt", {attempt, answered: 0, errors});
        if (signal.aborted || this.status !== "running") return false;
        if (retryJoinMax !== 0 && attempt >= retryJoinMax) throw error;
        const waitMs = retryJoinIntervalMs * 2 ** Math.min(attempt - 1, 5);
        logJoin("join attempt %d failed (%s); retrying in %d ms", attempt, (error as Error).message, waitMs);
        await sleep(waitMs, signal);
      }
    }
    return false;
  }

  private handleNotification(event: Notification): void {
    // The ring is rebuilt lazily: any read (agent.ring, leader()) in a listener below sees the
    // change; ring:changed follows on the next tick, once per burst of member events.
    if (event.type !== "refuted" && event.type !== "left") this.markRingStale();
    this.handleMemberNotification(event);
    if (event.type === "refuted" || event.type === "left") return;
    if (event.type === "memberDown" || event.type === "memberLeft")
      this.heartbeatService?.memberGone(event.member.name);
    const handlerEvent = HANDLER_EVENT_OF[event.type];
    if (handlerEvent && this.eventHandlerRunner) {
      const member = toAgentMember(event.member);
      this.eventHandlerRunner.enqueue({
        event: handlerEvent,
        members: [
          {
            name: member.name,
            addr: formatHostPort({host: member.addr, port: member.port}),
            state: event.type === "memberDown" ? "failed" : event.type === "memberLeft" ? "left" : member.state,
            tags: member.tags,
          },
        ],
      });
    }
  }

  /** Creates the heartbeat service (always: it also learns devices from other agents) and the handler runner. */
  private startRecovery(): void {
    const config = this.config;
    const {evaluateIntervalMs, reportIntervalMs, share, ...registry} = config.heartbeat;
    this.heartbeatService = new HeartbeatService({
      name: config.name,
      ...(config.heartbeatListen ? {listen: config.heartbeatListen} : {}),
      registry,
      ...(evaluateIntervalMs !== undefined ? {evaluateIntervalMs} : {}),
      ...(reportIntervalMs !== undefined ? {reportIntervalMs} : {}),
      ...(share !== undefined ? {share} : {}),
      broadcast: (payload) => {
        if (this.status === "running") this.driver?.broadcast(payload);
      },
      log: (line) => logRecovery("%s", line),
    });
    if (config.eventHandlers.length > 0) {
      this.eventHandlerRunner = new EventHandlerRunner({
        handlers: config.eventHandlers,
        timeoutMs: config.eventHandlerTimeoutMs,
        self: () => ({name: this.name, tags: this.tags}),
        log: (line) => {
          logRecovery("%s", line);
          this.dispatch("handler:log", line);
        },
      });
    }
    for (const type of ["up", "down"] as const) {
      this.heartbeatService.on(`heartbeat:${type}`, (device) => {
        this.dispatch(`heartbeat:${type}`, device);
        this.eventHandlerRunner?.enqueue({event: `heartbeat-${type}`, members: [deviceToHandlerMember(device)]});
      });
    }
  }

  private markRingStale(): void {
    this.ringStale = true;
    if (this.ringFlushScheduled) return;
    this.ringFlushScheduled = true;
    setImmediate(() => {
      this.ringFlushScheduled = false;
      this.refreshRing();
      const changes = this.pendingRingChanges;
      this.pendingRingChanges = [];
      for (const change of changes) this.dispatch("ring:changed", change);
    });
  }

  /** Puts the up members on the ring if a member event made it stale; queues what moved. */
  private refreshRing(): void {
    if (!this.ringStale || !this.driver) return;
    this.ringStale = false;
    const change = this.hashRing.setMembers(
      this.node
        .members()
        .filter((m) => isUp(m.state))
        .map((m) => m.name),
    );
    // BOUNDED: drained on the next tick (markRingStale schedules it whenever the ring goes stale).
    if (change.added.length > 0 || change.removed.length > 0) this.pendingRingChanges.push(change);
  }

  private handleMemberNotification(event: Notification): void {
    switch (event.type) {
      case "memberUp":
        this.emitMember("member:up", event.member);
        break;
      case "memberSuspect":
        this.emitMember("member:suspect", event.member);
        break;
      case "memberAlive":
        this.emitMember("member:alive", event.member);
        break;
      case "memberUpdated":
        this.emitMember("member:updated", event.member);
        break;
      case "memberDown": {
        const member = toAgentMember(event.member);
        logMember("%s down (failed) incarnation %d", member.name, member.incarnation);
        this.dispatch("member:down", member, "failed");
        break;
      }
      case "memberLeft": {
        const member = toAgentMember(event.member);
        logMember("%s down (left) incarnation %d", member.name, member.incarnation);
        this.dispatch("member:down", member, "left");
        break;
      }
      case "refuted":
        log("refuted an accusation by %s with incarnation %d", event.accusedBy, event.incarnation);
        this.dispatch("refuted", {incarnation: event.incarnation, accusedBy: event.accusedBy});
        break;
      case "left":
        if (this.status === "leaving") this.status = "left";
        this.dispatch("left");
        break;
    }
  }

  private emitMember(
    event: "member:up" | "member:suspect" | "member:alive" | "member:updated",
    view: MemberView,
  ): void {
    const member = toAgentMember(view);
    logMember("%s %s incarnation %d", member.name, event.slice(7), member.incarnation);
    this.dispatch(event, member);
  }

  /** Calls each listener in its own try/catch: a throwing listener is logged, never propagated. */
  private dispatch<K extends keyof AgentEvents>(event: K, ...args: AgentEvents[K]): void {
    const listeners = this.rawListeners(event as never) as ((...a: unknown[]) => unknown)[];
    for (const listener of listeners) {
      try {
        const result = listener.apply(this, args);
        if (result instanceof Promise) {
          result.catch((error: unknown) => log("async listener for %s rejected: %O", event, error));
        }
      } catch (error) {
        log("listener for %s threw: %O", event, error);
      }
    }
  }
}

/**
 * Creates an agent and starts it (binds, starts the protocol, serves HTTP if asked, begins the
 * startup join in the background). Throws InvalidConfigError for bad options
 * and BindError when the address is taken.
 */
export async function createAgent(init: AgentInit = {}): Promise<Agent> {
  const agent = new Agent(init);
  await agent.start();
  return agent;
}

/** The handler event for each member notification (a refuted suspicion runs no handler, as in serf). */
const HANDLER_EVENT_OF: Partial<Record<Notification["type"], HandlerEventName>> = {
  memberUp: "member-join",
  memberDown: "member-failed",
  memberLeft: "member-leave",
  memberUpdated: "member-update",
  memberSuspect: "member-suspect",
};

/** A heartbeat device as a handler's stdin line: name, last source address, up|down, phi and sources as tags. */
function deviceToHandlerMember(device: DeviceView): HandlerMember {
  return {
    name: device.name,
    addr: device.addr ?? "",
    state: device.state,
    tags: {phi: device.phi === null ? "inf" : String(device.phi), sources: device.sources.join(" ")},
  };
}

/** A member snapshot for users: tags decoded from serf's meta format. */
export function toAgentMember(view: MemberView): AgentMember {
  let tags: Record<string, string>;
  try {
    tags = decodeTags(view.meta);
  } catch {
    tags = {};
  }
  return {
    name: view.name,
    addr: view.addr.host,
    port: view.addr.port,
    state: view.state,
    incarnation: view.incarnation,
    tags,
  };
}

/** Encodes tags as serf does; throws InvalidConfigError("tags") when they do not fit in node meta. */
function checkTags(tags: Record<string, string>): Uint8Array {
  let meta: Uint8Array;
  try {
    meta = encodeTags(tags);
  } catch (error) {
    throw new InvalidConfigError("tags", (error as Error).message, {cause: error});
  }
  if (meta.length > META_MAX_SIZE)
    throw new InvalidConfigError("tags", `must encode to at most ${META_MAX_SIZE} bytes`);
  return meta;
}

/** The advertise host for a bind host: itself, or a local IP when bound to a wildcard. */
function advertiseHostFor(bindHost: string): string {
  if (bindHost !== "0.0.0.0" && bindHost !== "::") return bindHost;
  const wantV6 = bindHost === "::";
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.internal) continue;
      if (entry.family === "IPv4" && !wantV6) return entry.address;
      if (entry.family === "IPv6" && wantV6 && !entry.address.startsWith("fe80")) return entry.address;
    }
  }
  return wantV6 ? "::1" : "127.0.0.1";
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    signal.addEventListener("abort", onAbort, {once: true});
  });
}
