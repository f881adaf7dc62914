/*
 * The Agent: what a user runs. It binds the transport, drives a SwimNode through the runtime
 * driver, turns the core's notifications into typed node:events events, decodes serf-style tags
 * from member metadata, joins seeds (DNS names expand to all their addresses; startup joins
 * retry with exponential backoff), and optionally serves the HTTP API.
 *
 *   createAgent(init) ─▶ transport.bind ─▶ driver.start ─▶ (http.listen) ─▶ join seeds in background
 *   core notify ─▶ Agent emits "member:*" after the change is committed; listeners are isolated
 *   leave() ─▶ core gossips dead(self, from self) ─▶ "left"      stop() ─▶ sockets closed
 *   core pingComplete ─▶ coordinates.ts (serf's Vivaldi) ─▶ our next acks carry our new coordinate
 */
import {EventEmitter} from "node:events";
import createDebug from "debug";
import type {Registry} from "prom-client";
import {encodeTags, type Keyring, keyringEdits} from "../codec/index.ts";
import {type Coordinate, seededRandom} from "../coordinate/index.ts";
import {
  type Address,
  DEFAULT_VSN,
  InvalidConfigError,
  type MemberView,
  type Notification,
  type SwimNode,
} from "../core/index.ts";
import {type DeviceView, HeartbeatService} from "../heartbeat/index.ts";
import {EventHandlerRunner} from "../hooks/index.ts";
import {type HttpAgentView, type ProtocolStats, startHttpApi} from "../http/index.ts";
import {HashRing, isUp, LeaderElector, type LeaderOptions, type RingChange} from "../ring/index.ts";
import {
  type Clock,
  createMonotonicClock,
  createNodeTimerHost,
  Driver,
  type DriverStats,
  type DriverTransport,
  randomSeed,
  type TimerHost,
} from "../runtime/index.ts";
import type {KeyOperationResult, QueryOptions, QueryResult, SerfStats, UserEvent} from "../serf/index.ts";
import {BindError, createTransport, type Transport, type TransportStats} from "../transport/index.ts";
import {advertiseHostFor, formatHostPort, type HostPort, parseHostPort} from "./address.ts";
import {type AgentConfig, type AgentInit, checkTags, DEFAULT_PORT, resolveAgentConfig} from "./config.ts";
import {AgentCoordinates, type CoordinateStats, type NodeCoordinate} from "./coordinates.ts";
import {AgentStateError} from "./errors.ts";
import {type EventLoopDelay, EventLoopDelayMonitor} from "./event-loop-delay.ts";
import {
  type AgentEvents,
  type AgentMember,
  type AgentStatus,
  deviceToHandlerMember,
  HANDLER_EVENT_OF,
  toAgentMember,
  toHandlerQuery,
} from "./events.ts";
import {joinSeeds, retryJoin} from "./join.ts";
import {loadKeyringFile, saveKeyringFile} from "./keyring-file.ts";
import {createAgentMetrics} from "./metrics.ts";
import {NameConflictResolver} from "./name-conflict.ts";
import {type QueryHandler, SerfBridge} from "./serf-bridge.ts";

const log = createDebug("lifeline:agent");
const logMember = createDebug("lifeline:member");
const logNet = createDebug("lifeline:net");
const logJoin = createDebug("lifeline:join");
const logRecovery = createDebug("lifeline:recovery");
const logSerf = createDebug("lifeline:serf");
const logCoordinate = createDebug("lifeline:coordinate");

/**
 * Replacements around the agent's runtime, for fault injection: `lifeline testbed-agent` delays
 * a slow agent's datagrams and wake-ups through them (fault-gate.ts). Production
 * agents pass none.
 */
export interface AgentRuntimeHooks {
  /** Wraps the bound sockets as the driver sees them. */
  readonly wrapTransport?: (transport: DriverTransport) => DriverTransport;
  /** Wraps the driver's single wake-up (one setTimeout on the driver's monotonic clock). */
  readonly wrapTimers?: (timers: TimerHost, clock: Clock) => TimerHost;
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
  private readonly loopDelay = new EventLoopDelayMonitor();
  private tags: Readonly<Record<string, string>>;
  private readonly hashRing: HashRing;
  private ringStale = false;
  private ringFlushScheduled = false;
  private pendingRingChanges: RingChange[] = [];
  private readonly elector: LeaderElector;
  private heartbeatService: HeartbeatService | undefined;
  private eventHandlerRunner: EventHandlerRunner | undefined;
  private serf: SerfBridge | undefined;
  private nameConflicts: NameConflictResolver | undefined;
  // BOUNDED: one per query name the application answers.
  private readonly queryHandlers = new Map<string, QueryHandler>();
  /** Our Vivaldi coordinate and the members' (undefined with disableCoordinates). */
  private readonly vivaldi: AgentCoordinates | undefined;

  private readonly hooks: AgentRuntimeHooks;
  /** Made on the first read of `metrics`. */
  private metricsRegistry: Registry | undefined;

  constructor(init: AgentInit = {}, hooks: AgentRuntimeHooks = {}) {
    super();
    this.config = resolveAgentConfig(init);
    this.hooks = hooks;
    this.tags = this.config.tags;
    this.hashRing = new HashRing({vnodes: this.config.ringVnodes});
    this.elector = new LeaderElector(this.config.ringVnodes);
    this.vivaldi = this.config.disableCoordinates
      ? undefined
      : new AgentCoordinates({
          self: this.config.name,
          maxEntries: this.config.swim.maxMembers,
          // Only the direction between coincident coordinates is drawn: any per-node seed will do.
          random: seededRandom(this.config.seed ?? randomSeed()),
          isMember: (name) => this.driver !== undefined && this.node.member(name) !== undefined,
        });
  }

  /**
   * The agent's prom-client registry: every `lifeline_*` metric, plus Node's default process
   * metrics unless `processMetrics: false`. Serve it yourself, or merge it into your own:
   * `Registry.merge([myRegistry, agent.metrics])`. `/metrics` on the HTTP API renders it.
   * Made on first read (prom-client is loaded only then; see metrics.ts): the `lifeline_*`
   * families read the agent at scrape time, so they are the same whenever it is made; Node's
   * process metrics (GC, event-loop lag) count from that first read.
   */
  get metrics(): Registry {
    if (this.metricsRegistry === undefined) {
      const agent = this;
      this.metricsRegistry = createAgentMetrics(
        {
          members: () => agent.members(),
          heartbeats: () => agent.heartbeats(),
          get protocolStats() {
            return agent.driver ? agent.protocolStats : undefined;
          },
          get serfStats() {
            return agent.serf && agent.nameConflicts
              ? {layer: agent.serf.layer.stats, nameConflicts: agent.nameConflicts.stats}
              : undefined;
          },
          get recoveryStats() {
            return agent.recoveryStats;
          },
          eventLoopDelay: () => agent.eventLoopDelay(),
        },
        {processMetrics: this.config.processMetrics, eventHandlers: this.config.eventHandlers.length > 0},
      );
    }
    return this.metricsRegistry;
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

  /** Counters of serf's layer: events and queries sent, received and de-duplicated, push-pull states merged. */
  get serfStats(): Readonly<SerfStats> {
    if (!this.serf) throw new AgentStateError("the agent is not started");
    return this.serf.layer.stats;
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

  /** The protocol's counters and gauges now: the core's, the driver's, the transport's, local health, incarnation. */
  get protocolStats(): ProtocolStats {
    const node = this.node;
    const {driver, transport} = this.stats;
    return {core: node.stats, driver, transport, awarenessScore: node.awarenessScore, incarnation: node.incarnation};
  }

  /**
   * How late this process's event loop ran lately (p50, p99, max in ms, over the last 10–20 s): a
   * blocked loop delays our acks, and peers then suspect us. Zeros before start and after stop.
   */
  eventLoopDelay(): EventLoopDelay {
    return this.loopDelay.read();
  }

  /** Counters of the driver and the transport. */
  get stats(): {driver: DriverStats; transport: TransportStats} {
    if (!this.driver || !this.transport) throw new AgentStateError("the agent is not started");
    return {driver: this.driver.stats, transport: this.transport.stats};
  }

  /** The driver's clock and wake-up host with `wrap` around the wake-up. */
  private wrappedTimers(wrap: NonNullable<AgentRuntimeHooks["wrapTimers"]>): {clock: Clock; timers: TimerHost} {
    const clock = createMonotonicClock();
    return {clock, timers: wrap(createNodeTimerHost(clock), clock)};
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
    this.loopDelay.start();
    let keyring: Keyring | undefined;
    try {
      keyring = this.startingKeyring();
    } catch (error) {
      await this.transport.close();
      this.status = "stopped";
      throw error;
    }
    this.driver = new Driver(
      {
        config: config.swim,
        self: {name: config.name, addr: this.advertised, meta: encodeTags(this.tags), vsn: DEFAULT_VSN},
        keyring,
        compress: config.compress,
        seed: config.seed,
        label: config.label,
      },
      {
        transport: this.hooks.wrapTransport ? this.hooks.wrapTransport(this.transport) : this.transport,
        ...(this.hooks.wrapTimers ? this.wrappedTimers(this.hooks.wrapTimers) : {}),
        // Serf's push-pull state; the layer exists from just after the driver is built.
        userState: {
          local: () => this.serf?.layer.localState() ?? new Uint8Array(0),
          merge: (state, join) => this.serf?.layer.mergeState(state, join),
        },
      },
      {
        onNotify: (event) => this.handleNotification(event),
        onDeliver: (payload) => {
          if (this.heartbeatService?.handleMessage(payload)) return;
          if (this.serf?.layer.handleMessage(payload)) return;
          this.dispatch("message", payload);
        },
        onPingComplete: ({node, rttMs, payload}) => this.handlePingComplete(node, rttMs, payload),
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
    const driver = this.driver;
    this.serf = new SerfBridge({
      name: config.name,
      driver,
      self: () => this.advertiseAddress,
      members: () =>
        this.members().map((m) => ({name: m.name, host: m.addr, port: m.port, state: m.state, tags: m.tags})),
      isMember: (name) => this.node.member(name) !== undefined,
      tags: () => this.tags,
      gossipIntervalMs: config.swim.gossipIntervalMs,
      limits: config.serfLimits,
      keyring,
      keyringFile: config.keyringFile,
      onUserEvent: (event) => {
        this.dispatch("user:event", event);
        this.eventHandlerRunner?.enqueue({event: "user", ...event});
      },
      onQuery: (query) => {
        this.dispatch("query", query);
        this.eventHandlerRunner?.enqueue(toHandlerQuery(query));
      },
      log: (line) => logSerf("%s", line),
    });
    for (const [name, handler] of this.queryHandlers) this.serf.onQuery(name, handler);
    const serf = this.serf;
    this.nameConflicts = new NameConflictResolver({
      selfName: config.name,
      self: () => this.advertiseAddress,
      resolve: config.nameConflictResolution,
      ask: async (payload) =>
        (await serf.layer.query("_serf_conflict", payload, {requestAck: false}).result()).responses.map(
          (r) => r.payload,
        ),
      onConflict: (conflict) => this.dispatch("member:conflict", conflict),
      onOutcome: (outcome) => {
        this.dispatch("conflict:resolved", outcome);
        if (!outcome.won && this.status === "running") void this.stop();
      },
      log: (line) => logMember("%s", line),
    });
    if (this.vivaldi) this.driver.setAckPayload(this.vivaldi.ackPayload());
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
        this.httpServer = await startHttpApi(this.httpView(), config.http, {token: config.httpToken});
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
   * Our network coordinate now (serf's GetCoordinate): a Vivaldi point moved by every direct
   * probe's RTT; it starts at the origin with maximal error. Throws AgentStateError with
   * disableCoordinates.
   */
  coordinate(): Coordinate {
    return this.requireCoordinates().coordinate;
  }

  /**
   * The latest coordinate of member `name` (ours for our own name), learnt from its acks; undefined
   * when we have none (never probed it directly yet, it left, or it was reaped). Throws
   * AgentStateError with disableCoordinates.
   */
  coordinateOf(name: string): Coordinate | undefined {
    return this.requireCoordinates().coordinateOf(name);
  }

  /**
   * Estimated round-trip time in ms between members `a` and `b` (default: us), from their
   * coordinates (serf's DistanceTo, what `serf rtt` prints); undefined when a coordinate is
   * unknown. Throws AgentStateError with disableCoordinates.
   */
  rtt(a: string, b: string = this.name): number | undefined {
    return this.requireCoordinates().rttMs(a, b);
  }

  /** Every known coordinate, ours first. Throws AgentStateError with disableCoordinates. */
  coordinates(): NodeCoordinate[] {
    return this.requireCoordinates().entries();
  }

  /** Counters of the coordinate updates (undefined with disableCoordinates). */
  get coordinateStats(): CoordinateStats | undefined {
    return this.vivaldi?.stats;
  }

  /**
   * Sends a user event to the cluster (serf's `serf event`): every member gets it once, here
   * too, as a "user:event" event; serf agents run their `user:NAME` handlers. `coalesce` (default
   * true) lets handlers see only the latest of a burst with the same name. Throws InvalidConfigError
   * when name + payload exceed userEventSizeLimit.
   */
  event(name: string, payload: Uint8Array | string = new Uint8Array(0), options: {coalesce?: boolean} = {}): UserEvent {
    this.requireRunning("send an event");
    const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
    return (this.serf as SerfBridge).layer.event(name, bytes, options.coalesce ?? true);
  }

  /**
   * Sends a query (serf's `serf query`) to the members selected by `nodes` and `tags` (regular
   * expressions on tag values). Iterate the result for acks and responses as they arrive, or await
   * `result()` for everything by the deadline (default: serf's gossipInterval × 16 × ceil(log10(n+1))).
   */
  query(name: string, payload: Uint8Array | string = new Uint8Array(0), options: QueryOptions = {}): QueryResult {
    this.requireRunning("send a query");
    const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
    return (this.serf as SerfBridge).layer.query(name, bytes, options);
  }

  /**
   * Answers queries named `name`: the handler's return value (bytes, or text as UTF-8) is the
   * response; undefined sends none (the ack, if asked for, was already sent). One handler per name.
   * Returns a function that removes it. Every query also arrives as a "query" event.
   */
  onQuery(name: string, handler: QueryHandler): () => void {
    if (typeof name !== "string" || name.length === 0)
      throw new InvalidConfigError("name", "must be a non-empty string");
    if (name.startsWith("_serf_"))
      throw new InvalidConfigError("name", "must not start with _serf_ (serf's internal queries)");
    this.queryHandlers.set(name, handler);
    const unregister = this.serf?.onQuery(name, handler);
    return () => {
      if (this.queryHandlers.get(name) === handler) this.queryHandlers.delete(name);
      unregister?.();
    };
  }

  /**
   * Cluster-wide key rotation through serf's internal queries (like `serf keys`): install a key
   * everywhere, make it primary, remove the old one, or list what every member holds. Needs
   * encryption. Each call resolves with how many members answered and what failed.
   */
  get keys(): {
    install(key: string): Promise<KeyOperationResult>;
    use(key: string): Promise<KeyOperationResult>;
    remove(key: string): Promise<KeyOperationResult>;
    list(): Promise<KeyOperationResult>;
  } {
    const manager = (): SerfBridge => {
      this.requireRunning("rotate keys");
      return this.serf as SerfBridge;
    };
    return {
      install: (key) => manager().keys.install(key),
      use: (key) => manager().keys.use(key),
      remove: (key) => manager().keys.remove(key),
      list: () => manager().keys.list(),
    };
  }

  /** The keys this agent encrypts with now, base64, primary first (empty without encryption). */
  get keyring(): string[] {
    const keyring = this.serf?.currentKeyring ?? this.config.keyring;
    return keyring?.toBase64() ?? [];
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
      if (this.serf) this.driver.broadcast(this.serf.layer.leaveIntent());
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
    this.loopDelay.stop();
    this.driver?.stop();
    this.serf?.close();
    const closing: Promise<void>[] = [];
    if (this.heartbeatService) closing.push(this.heartbeatService.stop());
    if (this.eventHandlerRunner) closing.push(this.eventHandlerRunner.stop());
    if (this.httpServer) closing.push(this.httpServer.close());
    if (this.transport) closing.push(this.transport.close());
    await Promise.all(closing);
    log("%s stopped", this.config.name);
  }

  // ---- internals ----------------------------------------------------------------------------

  /** The keyring to start with: the keyring file's when it exists (plus `encrypt`'s keys), else `encrypt`'s. */
  private startingKeyring(): Keyring | undefined {
    const {keyringFile, keyring} = this.config;
    if (keyringFile === undefined) return keyring;
    const saved = loadKeyringFile(keyringFile);
    if (saved === undefined) {
      if (keyring !== undefined) saveKeyringFile(keyringFile, keyring);
      return keyring;
    }
    let merged = saved;
    for (const key of keyring?.keys ?? []) merged = keyringEdits.install(merged, key);
    if (merged !== saved) saveKeyringFile(keyringFile, merged);
    return merged;
  }

  /** The narrow view the HTTP API serves: reads and the few actions it may take, plus its event feed. */
  private httpView(): HttpAgentView {
    const agent = this;
    return {
      get name() {
        return agent.name;
      },
      get state() {
        return agent.state;
      },
      get ring() {
        return agent.ring;
      },
      get protocolStats() {
        return agent.protocolStats;
      },
      get metrics() {
        return agent.metrics;
      },
      members: () => agent.members(),
      heartbeats: () => agent.heartbeats(),
      eventLoopDelay: () => agent.eventLoopDelay(),
      coordinates: () => agent.vivaldi?.entries(),
      join: (addrs) => agent.join(addrs),
      leave: () => agent.leave(),
      leader: (options) => agent.leader(options),
      event: (name, payload, options) => agent.event(name, payload, options),
      query: (name, payload, options) => agent.query(name, payload, options),
      keys: agent.keys,
      subscribe: (listener) => {
        const onMember = (type: "member:up" | "member:suspect" | "member:alive" | "member:updated") => {
          const fn = (member: AgentMember): void => listener({type, member});
          agent.on(type, fn);
          return () => agent.off(type, fn);
        };
        const onDown = (member: AgentMember, reason: "failed" | "left"): void =>
          listener({type: "member:down", member, reason});
        const onDevice = (type: "heartbeat:up" | "heartbeat:down") => {
          const fn = (device: DeviceView): void => listener({type, device});
          agent.on(type, fn);
          return () => agent.off(type, fn);
        };
        agent.on("member:down", onDown);
        const offs = [
          onMember("member:up"),
          onMember("member:suspect"),
          onMember("member:alive"),
          onMember("member:updated"),
          () => agent.off("member:down", onDown),
          onDevice("heartbeat:up"),
          onDevice("heartbeat:down"),
        ];
        return () => {
          for (const off of offs) off();
        };
      },
    };
  }

  private requireCoordinates(): AgentCoordinates {
    if (this.vivaldi === undefined) {
      throw new AgentStateError("network coordinates are disabled on this agent (disableCoordinates)");
    }
    return this.vivaldi;
  }

  /** A direct probe's ack: move our coordinate, then let our next acks carry the new one. */
  private handlePingComplete(node: string, rttMs: number, payload: Uint8Array): void {
    const vivaldi = this.vivaldi;
    if (vivaldi === undefined) return;
    const outcome = vivaldi.handlePingComplete(node, rttMs, payload);
    if (outcome === "updated") this.driver?.setAckPayload(vivaldi.ackPayload());
    else if (outcome !== "empty") logCoordinate("dropped the coordinate in %s's ack (%s)", node, outcome);
  }

  private requireRunning(what: string): void {
    if (this.status !== "running") throw new AgentStateError(`cannot ${what}: the agent is ${this.status}`);
  }

  private async joinOnce(seeds: readonly HostPort[]): Promise<number> {
    this.requireRunning("join");
    const driver = this.driver as Driver;
    const {answered, attempted} = await joinSeeds(seeds, this.address.port, (addresses) => driver.join(addresses));
    logJoin("join %s: %d of %d answered", seeds.map(formatHostPort).join(","), answered, attempted);
    // As serf does after a join: gossip our status time so serf agents order our later leave after it.
    if (answered > 0 && this.status === "running" && this.serf) driver.broadcast(this.serf.layer.joinIntent());
    return answered;
  }

  private joinWithRetry(seeds: readonly HostPort[]): Promise<boolean> {
    return retryJoin({
      retryJoinMax: this.config.retryJoinMax,
      retryJoinIntervalMs: this.config.retryJoinIntervalMs,
      signal: this.abort.signal,
      running: () => this.status === "running",
      attempt: () => this.joinOnce(seeds),
      onAttempt: (result) => this.dispatch("join:attempt", result),
      onRetry: (attempt, error, waitMs) =>
        logJoin("join attempt %d failed (%s); retrying in %d ms", attempt, error.message, waitMs),
    });
  }

  private handleNotification(event: Notification): void {
    // The ring is rebuilt lazily: any read (agent.ring, leader()) in a listener below sees the
    // change; ring:changed follows on the next tick, once per burst of member events.
    if (event.type === "nameConflict") {
      this.nameConflicts?.notice(event.name, event.existing, event.other);
      return;
    }
    if (event.type !== "refuted" && event.type !== "left") this.markRingStale();
    this.handleMemberNotification(event);
    if (event.type === "refuted" || event.type === "left") return;
    if (event.type === "memberDown" || event.type === "memberLeft")
      this.heartbeatService?.memberGone(event.member.name);
    // serf drops a coordinate when the member is reaped; a leave is final, a failure may heal.
    if (event.type === "memberLeft") this.vivaldi?.forget(event.member.name);
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
        queryResponseSizeLimit: config.serfLimits.queryResponseSizeLimit,
        userCoalesce: config.userCoalesce,
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
export async function createAgent(init: AgentInit = {}, hooks: AgentRuntimeHooks = {}): Promise<Agent> {
  const agent = new Agent(init, hooks);
  await agent.start();
  return agent;
}
