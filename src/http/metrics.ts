/*
 * Prometheus text exposition (format 0.0.4) of an agent's counters and gauges: members by
 * state, the core's protocol counters (probes, acks, nacks, suspicions, refutations, ...), the
 * driver's packets/bytes and decode errors, the transport's stream counters, and the Lifeguard
 * awareness score.
 */
import type {MetricsSource} from "./agent-view.ts";

interface Sample {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge";
  readonly values: readonly {labels?: Record<string, string>; value: number}[];
}

function counter(name: string, help: string, value: number): Sample {
  return {name, help, type: "counter", values: [{value}]};
}

function gauge(name: string, help: string, value: number): Sample {
  return {name, help, type: "gauge", values: [{value}]};
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** Renders the agent's metrics in the Prometheus text format. */
export function renderMetrics(agent: MetricsSource): string {
  const {core, driver, transport, awarenessScore, incarnation} = agent.protocolStats;
  const byState: Record<string, number> = {alive: 0, suspect: 0, dead: 0, left: 0};
  for (const member of agent.members()) byState[member.state] = (byState[member.state] ?? 0) + 1;
  const samples: Sample[] = [
    {
      name: "lifeline_members",
      help: "Known members by state (self included).",
      type: "gauge",
      values: Object.entries(byState).map(([state, value]) => ({labels: {state}, value})),
    },
    gauge("lifeline_awareness_score", "Lifeguard local health score (0 = healthy).", awarenessScore),
    gauge("lifeline_incarnation", "Our own incarnation number.", incarnation),
    counter("lifeline_probes_total", "Probes started.", core.probes),
    counter("lifeline_probe_failures_total", "Probes that ended without an ack.", core.probeFailures),
    counter("lifeline_acks_total", "Acks received.", core.acksReceived),
    counter("lifeline_nacks_total", "Nacks received.", core.nacksReceived),
    counter("lifeline_indirect_probes_total", "Indirect probe requests sent.", core.indirectProbes),
    counter("lifeline_suspicions_total", "Members we or others suspected.", core.suspicions),
    counter("lifeline_refutations_total", "Suspicions about us we refuted.", core.refutations),
    counter("lifeline_deaths_total", "Members declared dead.", core.deaths),
    counter("lifeline_push_pulls_total", "Push-pull exchanges.", core.pushPulls),
    counter("lifeline_gossip_packets_total", "Gossip packets sent.", core.gossipPackets),
    counter("lifeline_packets_in_total", "UDP datagrams received.", driver.packetsIn),
    counter("lifeline_packets_out_total", "UDP datagrams sent.", driver.packetsOut),
    counter("lifeline_bytes_in_total", "UDP bytes received.", driver.bytesIn),
    counter("lifeline_bytes_out_total", "UDP bytes sent.", driver.bytesOut),
    counter("lifeline_messages_in_total", "Messages received in datagrams.", driver.messagesIn),
    counter("lifeline_messages_out_total", "Messages sent in datagrams.", driver.messagesOut),
    counter("lifeline_decode_errors_total", "Datagrams dropped because they did not decode.", driver.decodeErrors),
    counter(
      "lifeline_part_decode_errors_total",
      "Parts of compound datagrams dropped because they did not decode.",
      driver.partDecodeErrors,
    ),
    counter(
      "lifeline_stream_decode_errors_total",
      "TCP streams dropped because they did not decode.",
      driver.streamDecodeErrors,
    ),
    counter("lifeline_streams_in_total", "TCP streams accepted.", driver.streamsIn),
    counter("lifeline_streams_out_total", "TCP streams opened.", driver.streamsOut),
    counter("lifeline_stream_failures_total", "Outgoing TCP streams that failed.", driver.streamFailures),
    counter("lifeline_stream_timeouts_total", "Incoming TCP streams closed by their deadline.", driver.streamTimeouts),
    counter("lifeline_streams_refused_total", "TCP streams refused (too many open).", transport.streamsRefused),
    counter("lifeline_stream_bytes_in_total", "TCP bytes received.", transport.streamBytesIn),
    counter("lifeline_stream_bytes_out_total", "TCP bytes sent.", transport.streamBytesOut),
    counter("lifeline_send_errors_total", "UDP sends that failed.", transport.sendErrors),
    {
      name: "lifeline_dropped_total",
      help: "Inputs the core ignored, by reason.",
      type: "counter",
      values: Object.entries(driver.dropped).map(([reason, value]) => ({labels: {reason}, value})),
    },
    ...recoverySamples(agent),
  ];
  const lines: string[] = [];
  for (const sample of samples) {
    lines.push(`# HELP ${sample.name} ${sample.help}`, `# TYPE ${sample.name} ${sample.type}`);
    for (const {labels, value} of sample.values) {
      const labelText = labels
        ? `{${Object.entries(labels)
            .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
            .join(",")}}`
        : "";
      lines.push(`${sample.name}${labelText} ${Number.isFinite(value) ? value : 0}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Plain heartbeats and event handlers (heartbeat-service.ts, event-handler.ts). */
function recoverySamples(agent: MetricsSource): Sample[] {
  const {heartbeats, eventHandlers} = agent.recoveryStats;
  const samples: Sample[] = [];
  if (heartbeats) {
    const devices = agent.heartbeats();
    const {registry, listener} = heartbeats;
    samples.push(
      {
        name: "lifeline_heartbeat_devices",
        help: "Plain-heartbeat devices known, by state.",
        type: "gauge",
        values: (["up", "down"] as const).map((state) => ({
          labels: {state},
          value: devices.filter((d) => d.state === state).length,
        })),
      },
      {
        name: "lifeline_heartbeats_total",
        help: "Plain heartbeats received here, by outcome.",
        type: "counter",
        values: [
          {labels: {outcome: "accepted"}, value: registry.beatsAccepted},
          {labels: {outcome: "rate_limited"}, value: registry.beatsRateLimited},
          {labels: {outcome: "devices_full"}, value: registry.beatsRefusedFull},
        ],
      },
      {
        name: "lifeline_heartbeat_lines_dropped_total",
        help: "Heartbeat lines or datagrams dropped before parsing, by reason.",
        type: "counter",
        values: [
          {labels: {reason: "too_long"}, value: listener?.linesTooLong ?? 0},
          {labels: {reason: "not_utf8"}, value: listener?.linesNotUtf8 ?? 0},
          {labels: {reason: "bad_name"}, value: listener?.linesBadName ?? 0},
          {labels: {reason: "datagram_too_large"}, value: listener?.datagramsTooLarge ?? 0},
          {labels: {reason: "connection_refused"}, value: listener?.connectionsRefused ?? 0},
        ],
      },
      counter("lifeline_heartbeat_transitions_up_total", "Devices that came up.", registry.transitionsUp),
      counter("lifeline_heartbeat_transitions_down_total", "Devices that went down.", registry.transitionsDown),
      counter("lifeline_heartbeat_reports_sent_total", "Heartbeat reports broadcast.", heartbeats.reportsSent),
      counter(
        "lifeline_heartbeat_reports_received_total",
        "New heartbeat reports received.",
        heartbeats.reportsReceived,
      ),
      counter(
        "lifeline_heartbeat_reports_malformed_total",
        "Heartbeat reports dropped as malformed.",
        heartbeats.reportsMalformed,
      ),
    );
  }
  if (eventHandlers) {
    samples.push({
      name: "lifeline_event_handler_runs_total",
      help: "Event handler runs, by outcome.",
      type: "counter",
      values: [
        {labels: {outcome: "succeeded"}, value: eventHandlers.succeeded},
        {labels: {outcome: "failed"}, value: eventHandlers.failed},
        {labels: {outcome: "timed_out"}, value: eventHandlers.timedOut},
        {labels: {outcome: "dropped"}, value: eventHandlers.dropped},
      ],
    });
  }
  return samples;
}
