/*
 * The agent's prom-client registry: every `lifeline_*` family (members by state, the core's
 * protocol counters, the driver's and transport's packet and stream counters, Lifeguard's
 * awareness score, plain heartbeats, event handlers) plus Node's default process metrics.
 *
 * Families read the agent at scrape time through a `collect()` callback (reset, then set), so
 * nothing is counted twice and a scrape before start() shows zeros instead of throwing. Node's
 * default metrics are collected once per process into a shared registry and the same metric
 * objects are registered into each agent's registry: an event-loop monitor per agent would leak.
 */
import {Counter, collectDefaultMetrics, Gauge, type Metric, Registry} from "prom-client";
import type {MemberState} from "../core/index.ts";
import type {DeviceView, HeartbeatServiceStats} from "../heartbeat/index.ts";
import type {EventHandlerStats} from "../hooks/index.ts";
import type {ProtocolStats} from "../http/index.ts";

/** What the families read at scrape time. */
export interface MetricsSource {
  members(): readonly {readonly state: MemberState}[];
  heartbeats(): readonly DeviceView[];
  /** Undefined before the agent has started. */
  readonly protocolStats: ProtocolStats | undefined;
  /** Counters of the heartbeat service and the event handlers (undefined: not running). */
  readonly recoveryStats: {
    readonly heartbeats: HeartbeatServiceStats | undefined;
    readonly eventHandlers: EventHandlerStats | undefined;
  };
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

function protocolCounter(
  name: string,
  help: string,
  pick: (stats: ProtocolStats) => number,
  type: "counter" | "gauge" = "counter",
): Family {
  return {name, help, type, read: (source) => (source.protocolStats ? pick(source.protocolStats) : 0)};
}

function byLabel(label: string, values: Record<string, number>): Labelled {
  return Object.entries(values).map(([key, value]) => ({labels: {[label]: key}, value}));
}

const PROTOCOL_FAMILIES: readonly Family[] = [
  {
    name: "lifeline_members",
    help: "Known members by state (self included).",
    type: "gauge",
    labelNames: ["state"],
    read: (source) => {
      const byState: Record<string, number> = Object.fromEntries(MEMBER_STATES.map((state) => [state, 0]));
      for (const member of source.members()) byState[member.state] = (byState[member.state] ?? 0) + 1;
      return byLabel("state", byState);
    },
  },
  protocolCounter(
    "lifeline_awareness_score",
    "Lifeguard local health score (0 = healthy).",
    (s) => s.awarenessScore,
    "gauge",
  ),
  protocolCounter("lifeline_incarnation", "Our own incarnation number.", (s) => s.incarnation, "gauge"),
  protocolCounter("lifeline_probes_total", "Probes started.", (s) => s.core.probes),
  protocolCounter("lifeline_probe_failures_total", "Probes that ended without an ack.", (s) => s.core.probeFailures),
  protocolCounter("lifeline_acks_total", "Acks received.", (s) => s.core.acksReceived),
  protocolCounter("lifeline_nacks_total", "Nacks received.", (s) => s.core.nacksReceived),
  protocolCounter("lifeline_indirect_probes_total", "Indirect probe requests sent.", (s) => s.core.indirectProbes),
  protocolCounter("lifeline_suspicions_total", "Members we or others suspected.", (s) => s.core.suspicions),
  protocolCounter("lifeline_refutations_total", "Suspicions about us we refuted.", (s) => s.core.refutations),
  protocolCounter("lifeline_deaths_total", "Members declared dead.", (s) => s.core.deaths),
  protocolCounter("lifeline_push_pulls_total", "Push-pull exchanges.", (s) => s.core.pushPulls),
  protocolCounter("lifeline_gossip_packets_total", "Gossip packets sent.", (s) => s.core.gossipPackets),
  protocolCounter("lifeline_packets_in_total", "UDP datagrams received.", (s) => s.driver.packetsIn),
  protocolCounter("lifeline_packets_out_total", "UDP datagrams sent.", (s) => s.driver.packetsOut),
  protocolCounter("lifeline_bytes_in_total", "UDP bytes received.", (s) => s.driver.bytesIn),
  protocolCounter("lifeline_bytes_out_total", "UDP bytes sent.", (s) => s.driver.bytesOut),
  protocolCounter("lifeline_messages_in_total", "Messages received in datagrams.", (s) => s.driver.messagesIn),
  protocolCounter("lifeline_messages_out_total", "Messages sent in datagrams.", (s) => s.driver.messagesOut),
  protocolCounter(
    "lifeline_decode_errors_total",
    "Datagrams dropped because they did not decode.",
    (s) => s.driver.decodeErrors,
  ),
  protocolCounter(
    "lifeline_part_decode_errors_total",
    "Parts of compound datagrams dropped because they did not decode.",
    (s) => s.driver.partDecodeErrors,
  ),
  protocolCounter(
    "lifeline_stream_decode_errors_total",
    "TCP streams dropped because they did not decode.",
    (s) => s.driver.streamDecodeErrors,
  ),
  protocolCounter(
    "lifeline_label_mismatches_total",
    "Datagrams and TCP streams dropped because their cluster label differs from ours (or one of us has none).",
    (s) => s.driver.labelMismatches,
  ),
  protocolCounter("lifeline_streams_in_total", "TCP streams accepted.", (s) => s.driver.streamsIn),
  protocolCounter("lifeline_streams_out_total", "TCP streams opened.", (s) => s.driver.streamsOut),
  protocolCounter(
    "lifeline_stream_failures_total",
    "Outgoing TCP streams that failed.",
    (s) => s.driver.streamFailures,
  ),
  protocolCounter(
    "lifeline_stream_timeouts_total",
    "Incoming TCP streams closed by their deadline.",
    (s) => s.driver.streamTimeouts,
  ),
  protocolCounter(
    "lifeline_streams_refused_total",
    "TCP streams refused (too many open).",
    (s) => s.transport.streamsRefused,
  ),
  protocolCounter("lifeline_stream_bytes_in_total", "TCP bytes received.", (s) => s.transport.streamBytesIn),
  protocolCounter("lifeline_stream_bytes_out_total", "TCP bytes sent.", (s) => s.transport.streamBytesOut),
  protocolCounter("lifeline_send_errors_total", "UDP sends that failed.", (s) => s.transport.sendErrors),
  {
    name: "lifeline_dropped_total",
    help: "Inputs the core ignored, by reason.",
    type: "counter",
    labelNames: ["reason"],
    read: (source) => (source.protocolStats ? byLabel("reason", source.protocolStats.driver.dropped) : []),
  },
];

function heartbeatValue(pick: (stats: HeartbeatServiceStats) => number): (source: MetricsSource) => number {
  return (source) => {
    const stats = source.recoveryStats.heartbeats;
    return stats ? pick(stats) : 0;
  };
}

const HEARTBEAT_FAMILIES: readonly Family[] = [
  {
    name: "lifeline_heartbeat_devices",
    help: "Plain-heartbeat devices known, by state.",
    type: "gauge",
    labelNames: ["state"],
    read: (source) => {
      const devices = source.heartbeats();
      return (["up", "down"] as const).map((state) => ({
        labels: {state},
        value: devices.filter((d) => d.state === state).length,
      }));
    },
  },
  {
    name: "lifeline_heartbeats_total",
    help: "Plain heartbeats received here, by outcome.",
    type: "counter",
    labelNames: ["outcome"],
    read: (source) => {
      const registry = source.recoveryStats.heartbeats?.registry;
      return byLabel("outcome", {
        accepted: registry?.beatsAccepted ?? 0,
        rate_limited: registry?.beatsRateLimited ?? 0,
        devices_full: registry?.beatsRefusedFull ?? 0,
      });
    },
  },
  {
    name: "lifeline_heartbeat_lines_dropped_total",
    help: "Heartbeat lines or datagrams dropped before parsing, by reason.",
    type: "counter",
    labelNames: ["reason"],
    read: (source) => {
      const listener = source.recoveryStats.heartbeats?.listener;
      return byLabel("reason", {
        too_long: listener?.linesTooLong ?? 0,
        not_utf8: listener?.linesNotUtf8 ?? 0,
        bad_name: listener?.linesBadName ?? 0,
        datagram_too_large: listener?.datagramsTooLarge ?? 0,
        connection_refused: listener?.connectionsRefused ?? 0,
      });
    },
  },
  {
    name: "lifeline_heartbeat_transitions_up_total",
    help: "Devices that came up.",
    type: "counter",
    read: heartbeatValue((s) => s.registry.transitionsUp),
  },
  {
    name: "lifeline_heartbeat_transitions_down_total",
    help: "Devices that went down.",
    type: "counter",
    read: heartbeatValue((s) => s.registry.transitionsDown),
  },
  {
    name: "lifeline_heartbeat_reports_sent_total",
    help: "Heartbeat reports broadcast.",
    type: "counter",
    read: heartbeatValue((s) => s.reportsSent),
  },
  {
    name: "lifeline_heartbeat_reports_received_total",
    help: "New heartbeat reports received.",
    type: "counter",
    read: heartbeatValue((s) => s.reportsReceived),
  },
  {
    name: "lifeline_heartbeat_reports_malformed_total",
    help: "Heartbeat reports dropped as malformed.",
    type: "counter",
    read: heartbeatValue((s) => s.reportsMalformed),
  },
];

const EVENT_HANDLER_FAMILY: Family = {
  name: "lifeline_event_handler_runs_total",
  help: "Event handler runs, by outcome.",
  type: "counter",
  labelNames: ["outcome"],
  read: (source) => {
    const stats = source.recoveryStats.eventHandlers;
    return byLabel("outcome", {
      succeeded: stats?.succeeded ?? 0,
      failed: stats?.failed ?? 0,
      timed_out: stats?.timedOut ?? 0,
      dropped: stats?.dropped ?? 0,
    });
  },
};

/** Registers one family whose samples are read from `source` at every scrape. */
function register(registry: Registry, family: Family, source: MetricsSource): void {
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

let processRegistry: Registry | undefined;

/** Node's default process metrics, collected once per process. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({register: processRegistry});
  }
  return processRegistry;
}

/** A registry with the agent's families (and, by default, the process metrics). */
export function createAgentMetrics(source: MetricsSource, options: AgentMetricsOptions): Registry {
  const registry = new Registry();
  const families = [
    ...PROTOCOL_FAMILIES,
    ...HEARTBEAT_FAMILIES,
    ...(options.eventHandlers ? [EVENT_HANDLER_FAMILY] : []),
  ];
  for (const family of families) register(registry, family, source);
  if (options.processMetrics) {
    // getMetricsAsArray() is typed as plain objects, but returns the registered metric instances.
    for (const metric of processMetrics().getMetricsAsArray()) registry.registerMetric(metric as unknown as Metric);
  }
  return registry;
}
