/*
 * The agent's prom-client registry: every `lifeline_*` family (members by state, the core's
 * protocol counters, the driver's and transport's packet and stream counters, Lifeguard's
 * awareness score, serf's events, queries and name conflicts, plain heartbeats, event handlers)
 * plus Node's default process metrics.
 *
 * Families read the agent at scrape time through a `collect()` callback (reset, then set), so
 * nothing is counted twice and a scrape before start() shows zeros instead of throwing. Node's
 * default metrics are collected once per process into a shared registry and the same metric
 * objects are registered into each agent's registry: an event-loop monitor per agent would leak.
 *
 * prom-client is loaded on first use, with require(), not at import: it and what it pulls in
 * (its default-metric modules, perf_hooks observers) cost a `lifeline agent` ~3 MB of RSS, and an
 * agent that nobody scrapes never needs it. require() keeps the first use synchronous
 * (agent.metrics is a plain property read).
 */
import {createRequire} from "node:module";
import type * as PromClient from "prom-client";
import type {Counter, Gauge, Metric, Registry} from "prom-client";
import type {MemberState} from "../core/index.ts";
import type {DeviceView, HeartbeatServiceStats} from "../heartbeat/index.ts";
import type {EventHandlerStats} from "../hooks/index.ts";
import type {ProtocolStats} from "../http/index.ts";
import type {SerfStats} from "../serf/index.ts";
import type {EventLoopDelay} from "./event-loop-delay.ts";
import type {NameConflictStats} from "./name-conflict.ts";

/** What the families read at scrape time. */
export interface MetricsSource {
  members(): readonly {readonly state: MemberState}[];
  heartbeats(): readonly DeviceView[];
  /** Undefined before the agent has started. */
  readonly protocolStats: ProtocolStats | undefined;
  /** Counters of serf's layer and of name conflicts (undefined before start). */
  readonly serfStats: {readonly layer: SerfStats; readonly nameConflicts: NameConflictStats} | undefined;
  /** Counters of the heartbeat service and the event handlers (undefined: not running). */
  readonly recoveryStats: {
    readonly heartbeats: HeartbeatServiceStats | undefined;
    readonly eventHandlers: EventHandlerStats | undefined;
  };
  /** How late the event loop ran lately. */
  eventLoopDelay(): EventLoopDelay;
}

/** Which families the registry holds. */
export interface AgentMetricsOptions {
  /** Node's default process metrics (RSS, CPU, event-loop lag, GC, ...). */
  readonly processMetrics: boolean;
  /** The event-handler family (only when handlers are configured). */
  readonly eventHandlers: boolean;
}

type Labelled = readonly {readonly labels: Record<string, string>; readonly value: number}[];

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge";
  readonly labelNames?: readonly string[];
  /** One value (unlabelled) or one per label set; undefined: no sample this scrape. */
  read(source: MetricsSource): number | Labelled | undefined;
}

const MEMBER_STATES: readonly MemberState[] = ["alive", "suspect", "dead", "left"];

/**
 * Makes families of one unlabelled value picked from a part of the source (0 while that part is
 * absent: before start, or a service that is not running).
 */
function reading<T>(part: (source: MetricsSource) => T | undefined) {
  return (name: string, help: string, pick: (stats: T) => number, type: "counter" | "gauge" = "counter"): Family => ({
    name,
    help,
    type,
    read: (source) => {
      const stats = part(source);
      return stats === undefined ? 0 : pick(stats);
    },
  });
}

const protocolValue = reading((source) => source.protocolStats);
const heartbeatValue = reading<HeartbeatServiceStats>((source) => source.recoveryStats.heartbeats);

/** A family with one label whose values come from `values` (no samples while it returns undefined). */
function byLabel(
  name: string,
  help: string,
  type: "counter" | "gauge",
  label: string,
  values: (source: MetricsSource) => Record<string, number> | undefined,
): Family {
  return {
    name,
    help,
    type,
    labelNames: [label],
    read: (source) => Object.entries(values(source) ?? {}).map(([key, value]) => ({labels: {[label]: key}, value})),
  };
}

const PROTOCOL_FAMILIES: readonly Family[] = [
  {
    name: "lifeline_event_loop_delay_seconds",
    help: "How late the event loop ran over the last 10-20 s (quantile 0.5, 0.99, and 1 = the maximum); a blocked loop delays our acks.",
    type: "gauge",
    labelNames: ["quantile"],
    read: (source) => {
      const d = source.eventLoopDelay();
      return [
        {labels: {quantile: "0.5"}, value: d.p50Ms / 1000},
        {labels: {quantile: "0.99"}, value: d.p99Ms / 1000},
        {labels: {quantile: "1"}, value: d.maxMs / 1000},
      ];
    },
  },
  byLabel("lifeline_members", "Known members by state (self included).", "gauge", "state", (source) => {
    const byState: Record<string, number> = Object.fromEntries(MEMBER_STATES.map((state) => [state, 0]));
    for (const member of source.members()) byState[member.state] = (byState[member.state] ?? 0) + 1;
    return byState;
  }),
  protocolValue(
    "lifeline_awareness_score",
    "Lifeguard local health score (0 = healthy).",
    (s) => s.awarenessScore,
    "gauge",
  ),
  protocolValue("lifeline_incarnation", "Our own incarnation number.", (s) => s.incarnation, "gauge"),
  protocolValue("lifeline_probes_total", "Probes started.", (s) => s.core.probes),
  protocolValue("lifeline_probe_failures_total", "Probes that ended without an ack.", (s) => s.core.probeFailures),
  protocolValue("lifeline_acks_total", "Acks received.", (s) => s.core.acksReceived),
  protocolValue("lifeline_nacks_total", "Nacks received.", (s) => s.core.nacksReceived),
  protocolValue("lifeline_indirect_probes_total", "Indirect probe requests sent.", (s) => s.core.indirectProbes),
  protocolValue("lifeline_suspicions_total", "Members we or others suspected.", (s) => s.core.suspicions),
  protocolValue("lifeline_refutations_total", "Suspicions about us we refuted.", (s) => s.core.refutations),
  protocolValue("lifeline_deaths_total", "Members declared dead.", (s) => s.core.deaths),
  protocolValue("lifeline_push_pulls_total", "Push-pull exchanges.", (s) => s.core.pushPulls),
  protocolValue("lifeline_gossip_packets_total", "Gossip packets sent.", (s) => s.core.gossipPackets),
  protocolValue("lifeline_packets_in_total", "UDP datagrams received.", (s) => s.driver.packetsIn),
  protocolValue("lifeline_packets_out_total", "UDP datagrams sent.", (s) => s.driver.packetsOut),
  protocolValue("lifeline_bytes_in_total", "UDP bytes received.", (s) => s.driver.bytesIn),
  protocolValue("lifeline_bytes_out_total", "UDP bytes sent.", (s) => s.driver.bytesOut),
  protocolValue("lifeline_messages_in_total", "Messages received in datagrams.", (s) => s.driver.messagesIn),
  protocolValue("lifeline_messages_out_total", "Messages sent in datagrams.", (s) => s.driver.messagesOut),
  protocolValue(
    "lifeline_decode_errors_total",
    "Datagrams dropped because they did not decode.",
    (s) => s.driver.decodeErrors,
  ),
  protocolValue(
    "lifeline_part_decode_errors_total",
    "Parts of compound datagrams dropped because they did not decode.",
    (s) => s.driver.partDecodeErrors,
  ),
  protocolValue(
    "lifeline_stream_decode_errors_total",
    "TCP streams dropped because they did not decode.",
    (s) => s.driver.streamDecodeErrors,
  ),
  protocolValue(
    "lifeline_label_mismatches_total",
    "Datagrams and TCP streams dropped because their cluster label differs from ours (or one of us has none).",
    (s) => s.driver.labelMismatches,
  ),
  protocolValue("lifeline_streams_in_total", "TCP streams accepted.", (s) => s.driver.streamsIn),
  protocolValue("lifeline_streams_out_total", "TCP streams opened.", (s) => s.driver.streamsOut),
  protocolValue("lifeline_stream_failures_total", "Outgoing TCP streams that failed.", (s) => s.driver.streamFailures),
  protocolValue(
    "lifeline_stream_timeouts_total",
    "Incoming TCP streams closed by their deadline.",
    (s) => s.driver.streamTimeouts,
  ),
  protocolValue(
    "lifeline_streams_refused_total",
    "TCP streams refused (too many open).",
    (s) => s.transport.streamsRefused,
  ),
  protocolValue("lifeline_stream_bytes_in_total", "TCP bytes received.", (s) => s.transport.streamBytesIn),
  protocolValue("lifeline_stream_bytes_out_total", "TCP bytes sent.", (s) => s.transport.streamBytesOut),
  protocolValue("lifeline_send_errors_total", "UDP sends that failed.", (s) => s.transport.sendErrors),
  byLabel("lifeline_dropped_total", "Inputs the core ignored, by reason.", "counter", "reason", (source) => ({
    ...source.protocolStats?.driver.dropped,
  })),
];

const HEARTBEAT_FAMILIES: readonly Family[] = [
  byLabel("lifeline_heartbeat_devices", "Plain-heartbeat devices known, by state.", "gauge", "state", (source) => {
    const devices = source.heartbeats();
    return {up: devices.filter((d) => d.state === "up").length, down: devices.filter((d) => d.state === "down").length};
  }),
  byLabel(
    "lifeline_heartbeats_total",
    "Plain heartbeats received here, by outcome.",
    "counter",
    "outcome",
    (source) => {
      const registry = source.recoveryStats.heartbeats?.registry;
      return {
        accepted: registry?.beatsAccepted ?? 0,
        rate_limited: registry?.beatsRateLimited ?? 0,
        devices_full: registry?.beatsRefusedFull ?? 0,
      };
    },
  ),
  byLabel(
    "lifeline_heartbeat_lines_dropped_total",
    "Heartbeat lines or datagrams dropped before parsing, by reason.",
    "counter",
    "reason",
    (source) => {
      const listener = source.recoveryStats.heartbeats?.listener;
      return {
        too_long: listener?.linesTooLong ?? 0,
        not_utf8: listener?.linesNotUtf8 ?? 0,
        bad_name: listener?.linesBadName ?? 0,
        datagram_too_large: listener?.datagramsTooLarge ?? 0,
        connection_refused: listener?.connectionsRefused ?? 0,
      };
    },
  ),
  heartbeatValue("lifeline_heartbeat_transitions_up_total", "Devices that came up.", (s) => s.registry.transitionsUp),
  heartbeatValue(
    "lifeline_heartbeat_transitions_down_total",
    "Devices that went down.",
    (s) => s.registry.transitionsDown,
  ),
  heartbeatValue("lifeline_heartbeat_reports_sent_total", "Heartbeat reports broadcast.", (s) => s.reportsSent),
  heartbeatValue(
    "lifeline_heartbeat_reports_received_total",
    "New heartbeat reports received.",
    (s) => s.reportsReceived,
  ),
  heartbeatValue(
    "lifeline_heartbeat_reports_malformed_total",
    "Heartbeat reports dropped as malformed.",
    (s) => s.reportsMalformed,
  ),
];

const SERF_FAMILIES: readonly Family[] = [
  byLabel("lifeline_serf_events_total", "Serf user events, by what happened.", "counter", "kind", (source) => {
    const layer = source.serfStats?.layer;
    return {sent: layer?.eventsSent ?? 0, received: layer?.eventsReceived ?? 0, duplicate: layer?.eventsDuplicate ?? 0};
  }),
  byLabel("lifeline_serf_queries_total", "Serf queries, by what happened.", "counter", "kind", (source) => {
    const layer = source.serfStats?.layer;
    return {
      sent: layer?.queriesSent ?? 0,
      received: layer?.queriesReceived ?? 0,
      duplicate: layer?.queriesDuplicate ?? 0,
      responses_sent: layer?.queryResponsesSent ?? 0,
      answers_received: layer?.queryAnswersReceived ?? 0,
      relays_forwarded: layer?.relaysForwarded ?? 0,
    };
  }),
  {
    name: "lifeline_serf_dropped_total",
    help: "Serf messages dropped (undecodable, too old, unknown query, refused relay).",
    type: "counter",
    read: (source) => source.serfStats?.layer.dropped ?? 0,
  },
  byLabel(
    "lifeline_name_conflicts_total",
    "Alive messages claiming a live member's name from another address, by whose name.",
    "counter",
    "whose",
    (source) => {
      const stats = source.serfStats?.nameConflicts;
      return {ours: stats?.oursClaimed ?? 0, other: stats?.othersClaimed ?? 0};
    },
  ),
  byLabel(
    "lifeline_name_conflict_votes_total",
    "Votes on our name (serf's _serf_conflict query), by outcome; a lost vote stops the agent.",
    "counter",
    "outcome",
    (source) => {
      const stats = source.serfStats?.nameConflicts;
      return {won: stats?.resolutionsWon ?? 0, lost: stats?.resolutionsLost ?? 0};
    },
  ),
];

const EVENT_HANDLER_FAMILY: Family = byLabel(
  "lifeline_event_handler_runs_total",
  "Event handler runs, by outcome.",
  "counter",
  "outcome",
  (source) => {
    const stats = source.recoveryStats.eventHandlers;
    return {
      succeeded: stats?.succeeded ?? 0,
      failed: stats?.failed ?? 0,
      timed_out: stats?.timedOut ?? 0,
      dropped: stats?.dropped ?? 0,
    };
  },
);

const QUERY_RESPONSE_FAMILY: Family = byLabel(
  "lifeline_event_handler_query_responses_total",
  "Query handler answers, by outcome (sent; not sent: too_large, late; query not run: expired).",
  "counter",
  "outcome",
  (source) => {
    const stats = source.recoveryStats.eventHandlers;
    return {
      sent: stats?.queryResponses ?? 0,
      too_large: stats?.queryResponsesTooLarge ?? 0,
      late: stats?.queryResponsesLate ?? 0,
      expired: stats?.queriesExpired ?? 0,
    };
  },
);

const require = createRequire(import.meta.url);

let promClientModule: typeof PromClient | undefined;

/** prom-client, loaded the first time a registry is made. */
function promClient(): typeof PromClient {
  promClientModule ??= require("prom-client") as typeof PromClient;
  return promClientModule;
}

/** Registers one family whose samples are read from `source` at every scrape. */
function register(registry: Registry, family: Family, source: MetricsSource): void {
  const {Counter, Gauge} = promClient();
  const refresh = (metric: Gauge | Counter): void => {
    metric.reset();
    const read = family.read(source);
    if (read === undefined) return;
    const samples = typeof read === "number" ? [{labels: {}, value: read}] : read;
    for (const {labels, value} of samples) {
      const finite = Number.isFinite(value) ? value : 0;
      if (metric instanceof Gauge) metric.set(labels, finite);
      else metric.inc(labels, Math.max(0, finite));
    }
  };
  const common = {
    name: family.name,
    help: family.help,
    labelNames: family.labelNames ?? [],
    registers: [registry],
  };
  if (family.type === "gauge") {
    new Gauge({
      ...common,
      collect() {
        refresh(this);
      },
    });
  } else {
    new Counter({
      ...common,
      collect() {
        refresh(this);
      },
    });
  }
}

/** prom-client's event-loop monitor samples every this many ms (its default precision). */
const EVENT_LOOP_PRECISION_MS = 10;

let processRegistry: Registry | undefined;
/** performance.now() after which the event-loop-lag monitor has samples (see createAgentMetrics). */
let processMetricsWarmAt = 0;

/** Node's default process metrics, collected once per process. */
function processMetrics(): Registry {
  if (!processRegistry) {
    const {Registry, collectDefaultMetrics} = promClient();
    processRegistry = new Registry();
    collectDefaultMetrics({register: processRegistry, eventLoopMonitoringPrecision: EVENT_LOOP_PRECISION_MS});
    processMetricsWarmAt = performance.now() + 3 * EVENT_LOOP_PRECISION_MS;
  }
  return processRegistry;
}

/** A registry with the agent's families (and, by default, the process metrics). */
export function createAgentMetrics(source: MetricsSource, options: AgentMetricsOptions): Registry {
  const {Registry} = promClient();
  const registry = new Registry();
  const families = [
    ...PROTOCOL_FAMILIES,
    ...SERF_FAMILIES,
    ...HEARTBEAT_FAMILIES,
    ...(options.eventHandlers ? [EVENT_HANDLER_FAMILY, QUERY_RESPONSE_FAMILY] : []),
  ];
  for (const family of families) register(registry, family, source);
  if (options.processMetrics) {
    // getMetricsAsArray() is typed as plain objects, but returns the registered metric instances.
    for (const metric of processMetrics().getMetricsAsArray()) registry.registerMetric(metric as unknown as Metric);
    // The registry is made at the first read of agent.metrics, usually the first scrape, when the
    // event-loop-lag monitor has no sample yet: its mean would render as "Nan", which Prometheus
    // cannot parse. So a scrape in the first few monitor periods waits for them to pass.
    const render = registry.metrics.bind(registry);
    registry.metrics = async () => {
      const wait = processMetricsWarmAt - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      return render();
    };
  }
  return registry;
}
