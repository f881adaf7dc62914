/*
 * The run report: every metric of a finished (or paused) simulation as one JSON-able object,
 * plus its plain-text summary table. The HTML page (html.ts) renders the same object.
 *
 * `buildReport` reads a `ReportSource`, a structural interface the Simulation satisfies as it is;
 * the network-namespace testbed (src/testbed) satisfies it too, with the views and metrics
 * rebuilt from real agents' events. What a real run cannot know is null or 0 there: the trace
 * hash (null), the per-type message counts (empty), events and inputs handled (0).
 */
import type {SwimConfig} from "../src/core/index.ts";
import type {SafetyChecker} from "./checkers.ts";
import type {Metrics} from "./metrics.ts";
import type {NetworkStats} from "./network.ts";
import type {SimOptions} from "./options.ts";
import type {SerfMetrics, SerfReport} from "./serf-metrics.ts";
import type {SimSerf} from "./serf-nodes.ts";
import type {TimelineEntry} from "./simulation.ts";
import {type HistogramBin, histogram, type Summary, summarize} from "./stats.ts";
import type {ClusterViews} from "./views.ts";

/** One judged expectation. */
export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Load of one message type. */
export interface TypeLoadReport {
  readonly type: string;
  readonly messages: number;
  readonly bytes: number;
  readonly messagesPerNodePerSec: number;
  readonly bytesPerNodePerSec: number;
}

/**
 * What `buildReport` reads: the Simulation as it is, or a real run (src/testbed) that fed the
 * same Metrics, ClusterViews and SafetyChecker with its agents' events.
 */
export interface ReportSource {
  /** "testbed" for real processes; absent (a simulation) otherwise. */
  readonly run?: "testbed";
  readonly options: Pick<
    SimOptions,
    "nodes" | "seed" | "profile" | "config" | "latency" | "lossRate" | "duplicateRate" | "reorderRate"
  >;
  readonly names: readonly string[];
  /** ms since the run's start. */
  readonly nowMs: number;
  readonly metrics: Metrics;
  readonly views: ClusterViews;
  readonly network: {readonly stats: NetworkStats};
  readonly safety: SafetyChecker | undefined;
  readonly timeline: readonly TimelineEntry[];
  /** Null when no trace exists (a real run). */
  readonly traceHash: string | null;
  readonly traceRecords: number;
  readonly eventsHandled: number;
  readonly inputsHandled: number;
  readonly serf?: SimSerf | undefined;
  readonly serfMetrics?: SerfMetrics | undefined;
  /** Names of the processes running now. */
  live(): string[];
  /** The node `name` (its numeric `stats` fields are summed into the report's `core`). */
  node(name: string): object | undefined;
  /** Do all running nodes see exactly the running nodes? */
  allAgree(): boolean;
}

/** Everything a run measured. */
export interface SimReport {
  readonly version: 1;
  /** "sim" for the simulator; "testbed" for real agents in network namespaces (src/testbed). */
  readonly run: "sim" | "testbed";
  readonly scenario: {readonly name: string; readonly description: string};
  readonly seed: number;
  readonly nodes: number;
  readonly durationMs: number;
  readonly profile: string;
  readonly config: SwimConfig;
  readonly network: {
    readonly latency: {readonly minMs: number; readonly jitterMeanMs: number};
    readonly lossRate: number;
    readonly duplicateRate: number;
    readonly reorderRate: number;
    readonly datagrams: number;
    readonly delivered: number;
    readonly lost: number;
    readonly blocked: number;
    readonly duplicated: number;
    readonly reordered: number;
    readonly streams: number;
    readonly streamsBlocked: number;
  };
  /** The simulation's trace hash; null for a real run. */
  readonly traceHash: string | null;
  readonly traceRecords: number;
  readonly events: number;
  readonly inputs: number;
  readonly wallMs: number | null;
  /** Simulated node-seconds per wall second (null without a wall clock). */
  readonly nodeSecondsPerWallSecond: number | null;
  readonly detection: {
    readonly crashes: number;
    readonly detectedFirst: number;
    readonly detectedByAll: number;
    /** Crash → first memberDown anywhere. */
    readonly firstMs: Summary;
    /** Crash → every live node that knew the member has it dead. */
    readonly allMs: Summary;
    /** Crash → each observer's memberDown. */
    readonly perObserverMs: Summary;
    readonly histogram: HistogramBin[];
    readonly records: {
      readonly member: string;
      readonly atMs: number;
      readonly audience: number;
      readonly firstMs: number | null;
      readonly allMs: number | null;
    }[];
  };
  readonly falsePositives: {
    readonly count: number;
    readonly aboutPausedNodes: number;
    readonly membersAccused: number;
    readonly examples: {readonly timeMs: number; readonly observer: string; readonly member: string}[];
  };
  readonly flaps: {
    readonly total: number;
    readonly aboutLiveNodes: number;
    readonly perNode: Summary;
    readonly top: {readonly node: string; readonly flaps: number}[];
  };
  readonly convergence: {
    readonly bootstrapMs: number | null;
    readonly afterHeal: {readonly atMs: number; readonly agreedMs: number | null}[];
    readonly afterHealMs: Summary;
    readonly afterRestart: Summary;
    readonly afterResume: Summary;
    readonly agreesAtEnd: boolean;
    readonly disagreementsAtEnd: number;
    readonly disagreementExamples: string[];
  };
  readonly stability: {
    readonly settledAtMs: number | null;
    /** Distinct cluster sizes nodes reported from the first agreement on (Rapid's stability measure; 1 is perfect). */
    readonly distinctClusterSizes: number;
    readonly sizes: number[];
  };
  readonly load: {
    readonly datagrams: number;
    readonly datagramBytes: number;
    readonly streams: number;
    readonly streamBytes: number;
    readonly messagesPerNodePerSec: number;
    readonly bytesPerNodePerSec: number;
    readonly bytesPerSecByNode: Summary;
    readonly byType: TypeLoadReport[];
  };
  readonly anomalies: {
    readonly decodeErrors: number;
    /** Bytes dropped for carrying another cluster label (expected when options.labels splits the nodes). */
    readonly labelMismatches: number;
    readonly lateStreamReplies: number;
    readonly unknownAddress: number;
    readonly toDownNode: number;
    readonly dropped: Record<string, number>;
  };
  readonly safety: {
    readonly enabled: boolean;
    readonly checked: number;
    readonly violations: number;
    readonly examples: {
      readonly timeMs: number;
      readonly observer: string;
      readonly member: string;
      readonly rule: string;
      readonly detail: string;
    }[];
  };
  /** Sums of SwimNode.stats over the processes running at the end. */
  readonly core: Record<string, number>;
  /** Serf's user events and queries (sim/serf-metrics.ts documents every field); null without serf's layer. */
  readonly serf: SerfReport | null;
  readonly timeline: TimelineEntry[];
  readonly series: {
    readonly timesMs: number[];
    /** Cluster size seen by a subset of nodes (−1 = not running). */
    readonly sizeByNode: {readonly node: string; readonly sizes: number[]}[];
    readonly sizeMin: number[];
    readonly sizeMax: number[];
    readonly trueSize: number[];
    readonly bytes: number[];
    readonly messages: number[];
    readonly messagesByType: Record<string, number[]>;
  };
  readonly checks: CheckResult[];
}

const SERIES_NODES = 60;

/** Builds the report of `sim` (a Simulation or a testbed run) as it stands now. */
export function buildReport(
  sim: ReportSource,
  meta: {name: string; description: string; durationMs: number; wallMs: number | null},
): SimReport {
  const m = sim.metrics;
  const o = sim.options;
  const n = o.nodes;
  const name = (i: number): string => sim.names[i] ?? `#${i}`;
  const seconds = Math.max(1e-9, sim.nowMs / 1000);
  const nodeSeconds = n * seconds;
  const records = m.crashes.map((c) => ({
    member: name(c.member),
    atMs: c.atMs,
    audience: c.audienceSize,
    firstMs: c.firstMs,
    allMs: c.allMs,
  }));
  const first = m.crashes.filter((c) => c.firstMs !== null).map((c) => c.firstMs as number);
  const all = m.crashes.filter((c) => c.allMs !== null).map((c) => c.allMs as number);
  const byCause = (cause: string) =>
    summarize(m.convergence.filter((c) => c.cause === cause && c.agreedMs !== null).map((c) => c.agreedMs as number));
  const heals = m.convergence.filter((c) => c.cause === "heal").map((c) => ({atMs: c.atMs, agreedMs: c.agreedMs}));
  const bootstrap = m.convergence.find((c) => c.cause === "bootstrap");
  const flapList = Array.from(m.flaps);
  const top = flapList
    .map((flaps, i) => ({node: name(i), flaps}))
    .filter((x) => x.flaps > 0)
    .sort((a, b) => b.flaps - a.flaps)
    .slice(0, 10);
  let accused = 0;
  for (let i = 0; i < n; i++) accused += m.falselyAccused[i] as number;
  const byType: TypeLoadReport[] = [...m.byType.entries()]
    .map(([type, load]) => ({
      type,
      messages: load.messages,
      bytes: load.bytes,
      messagesPerNodePerSec: load.messages / nodeSeconds,
      bytesPerNodePerSec: load.bytes / nodeSeconds,
    }))
    .sort((a, b) => b.bytes - a.bytes);
  let messages = 0;
  for (const load of m.byType.values()) messages += load.messages;
  const core: Record<string, number> = {};
  for (const nodeName of sim.live()) {
    const stats = (sim.node(nodeName) as unknown as {stats?: Record<string, unknown>}).stats;
    if (stats === undefined) continue;
    for (const [key, value] of Object.entries(stats))
      if (typeof value === "number") core[key] = (core[key] ?? 0) + value;
  }
  // Series: a spread of nodes, plus min / max over running nodes and the true size.
  const step = Math.max(1, Math.floor(n / SERIES_NODES));
  const picked: number[] = [];
  for (let i = 0; i < n && picked.length < SERIES_NODES; i += step) picked.push(i);
  const sizeByNode = picked.map((i) => ({node: name(i), sizes: m.sizeSamples.map((s) => s[i] as number)}));
  const sizeMin: number[] = [];
  const sizeMax: number[] = [];
  const trueSize: number[] = [];
  for (const s of m.sizeSamples) {
    let lo = Number.POSITIVE_INFINITY;
    let hi = 0;
    let live = 0;
    for (let i = 0; i < s.length; i++) {
      const v = s[i] as number;
      if (v < 0) continue;
      live++;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    sizeMin.push(live === 0 ? 0 : lo);
    sizeMax.push(hi);
    trueSize.push(live);
  }
  const pairs = sim.views
    .disagreeingPairs(10)
    .map(
      ([i, j]) =>
        `${name(i)} sees ${name(j)} as ${["unknown", "alive", "suspect", "dead", "left"][sim.views.stateOf(i, j)]} but it is ${sim.views.up[j] ? "running" : "down"}`,
    );
  const safety = sim.safety;
  return {
    version: 1,
    run: sim.run ?? "sim",
    scenario: {name: meta.name, description: meta.description},
    seed: o.seed,
    nodes: n,
    durationMs: meta.durationMs,
    profile: o.profile,
    config: o.config,
    network: {
      latency: o.latency,
      lossRate: o.lossRate,
      duplicateRate: o.duplicateRate,
      reorderRate: o.reorderRate,
      ...sim.network.stats,
    },
    traceHash: sim.traceHash,
    traceRecords: sim.traceRecords,
    events: sim.eventsHandled,
    inputs: sim.inputsHandled,
    wallMs: meta.wallMs,
    nodeSecondsPerWallSecond: meta.wallMs === null ? null : nodeSeconds / Math.max(1e-9, meta.wallMs / 1000),
    detection: {
      crashes: m.crashes.length,
      detectedFirst: first.length,
      detectedByAll: all.length,
      firstMs: summarize(first),
      allMs: summarize(all),
      perObserverMs: summarize(m.detectionSamples),
      histogram: histogram(m.detectionSamples, 30),
      records: records.slice(0, 1000),
    },
    falsePositives: {
      count: m.falsePositives,
      aboutPausedNodes: m.falsePositivesAboutPaused,
      membersAccused: accused,
      examples: m.falsePositiveExamples.map((fp) => ({
        timeMs: fp.timeMs,
        observer: name(fp.observer),
        member: name(fp.member),
      })),
    },
    flaps: {
      total: flapList.reduce((a, b) => a + b, 0),
      aboutLiveNodes: m.flapsAboutLive,
      perNode: summarize(m.flaps),
      top,
    },
    convergence: {
      bootstrapMs: bootstrap?.agreedMs ?? null,
      afterHeal: heals,
      afterHealMs: byCause("heal"),
      afterRestart: byCause("restart"),
      afterResume: byCause("resume"),
      agreesAtEnd: sim.allAgree(),
      disagreementsAtEnd: sim.views.disagreements,
      disagreementExamples: pairs,
    },
    stability: {
      settledAtMs: m.settledAtMs,
      distinctClusterSizes: m.sizesSinceSettled.size,
      sizes: [...m.sizesSinceSettled].sort((a, b) => a - b).slice(0, 50),
    },
    load: {
      datagrams: m.datagrams,
      datagramBytes: m.datagramBytes,
      streams: m.streams,
      streamBytes: m.streamBytes,
      messagesPerNodePerSec: messages / nodeSeconds,
      bytesPerNodePerSec: (m.datagramBytes + m.streamBytes) / nodeSeconds,
      bytesPerSecByNode: summarize(Array.from(m.bytesSent, (b) => b / seconds)),
      byType,
    },
    anomalies: {
      decodeErrors: m.decodeErrors,
      labelMismatches: m.labelMismatches,
      lateStreamReplies: m.lateStreamReplies,
      unknownAddress: m.unknownAddress,
      toDownNode: m.toDownNode,
      dropped: Object.fromEntries(m.dropped),
    },
    safety: {
      enabled: safety !== undefined,
      checked: safety?.checked ?? 0,
      violations: safety?.violationCount ?? 0,
      examples: (safety?.violations ?? []).slice(0, 20).map((v) => ({...v})),
    },
    core,
    serf:
      sim.serf !== undefined && sim.serfMetrics !== undefined
        ? sim.serfMetrics.report(sim.serf.processes(), sim.serf.stats())
        : null,
    timeline: sim.timeline.map((t) => ({...t})),
    series: {
      timesMs: [...m.sampleTimes],
      sizeByNode,
      sizeMin,
      sizeMax,
      trueSize,
      bytes: [...m.bytesSeries],
      messages: [...m.messagesSeries],
      messagesByType: Object.fromEntries([...m.typeSeries.entries()].map(([k, v]) => [k, [...v]])),
    },
    checks: [],
  };
}

function ms(v: number | null): string {
  if (v === null) return "-";
  if (v >= 10_000) return `${(v / 1000).toFixed(1)} s`;
  return `${Math.round(v)} ms`;
}

function num(v: number, digits = 1): string {
  return v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(digits);
}

/** The report as a plain-text table (what `lifeline sim` prints). */
export function formatSummary(r: SimReport): string {
  const rows: [string, string][] = [];
  const add = (k: string, v: string) => rows.push([k, v]);
  add("scenario", `${r.scenario.name} (${r.nodes} nodes, ${ms(r.durationMs)}, profile ${r.profile}, seed ${r.seed})`);
  add(
    "network",
    `latency ${r.network.latency.minMs}+exp(${r.network.latency.jitterMeanMs}) ms, loss ${r.network.lossRate}, ` +
      `${r.network.lost.toLocaleString("en-US")} lost, ${r.network.blocked.toLocaleString("en-US")} blocked`,
  );
  const d = r.detection;
  add("crashes", `${d.crashes} (detected by someone: ${d.detectedFirst}, by all live nodes: ${d.detectedByAll})`);
  add("first detection", `p50 ${ms(d.firstMs.p50)}  p99 ${ms(d.firstMs.p99)}  max ${ms(d.firstMs.max)}`);
  add("full detection", `p50 ${ms(d.allMs.p50)}  p99 ${ms(d.allMs.p99)}  max ${ms(d.allMs.max)}`);
  add(
    "false positives",
    `${r.falsePositives.count} (about ${r.falsePositives.membersAccused} members; ${r.falsePositives.aboutPausedNodes} about paused nodes)`,
  );
  add(
    "flaps",
    `${r.flaps.total} total, ${r.flaps.aboutLiveNodes} about live nodes; per node p50 ${r.flaps.perNode.p50 ?? 0} max ${r.flaps.perNode.max ?? 0}`,
  );
  add("bootstrap agreement", ms(r.convergence.bootstrapMs));
  if (r.convergence.afterHeal.length > 0) {
    add(
      "agreement after heal",
      r.convergence.afterHeal.map((h) => (h.agreedMs === null ? "never" : ms(h.agreedMs))).join(", "),
    );
  }
  if (r.convergence.afterRestart.count > 0) {
    add(
      "agreement after restart",
      `p50 ${ms(r.convergence.afterRestart.p50)}  max ${ms(r.convergence.afterRestart.max)}`,
    );
  }
  add("agrees at end", r.convergence.agreesAtEnd ? "yes" : `no (${r.convergence.disagreementsAtEnd} pairs differ)`);
  add(
    "distinct cluster sizes",
    `${r.stability.distinctClusterSizes} (${r.stability.sizes.slice(0, 12).join(", ")}${r.stability.sizes.length > 12 ? ", …" : ""})`,
  );
  add(
    "load per node",
    `${num(r.load.messagesPerNodePerSec)} msg/s, ${num(r.load.bytesPerNodePerSec)} B/s ` +
      `(busiest node ${num(r.load.bytesPerSecByNode.max ?? 0)} B/s)`,
  );
  for (const t of r.load.byType.slice(0, 12)) {
    add(`  ${t.type}`, `${num(t.messagesPerNodePerSec, 2)} msg/s, ${num(t.bytesPerNodePerSec)} B/s`);
  }
  add(
    "safety",
    r.safety.enabled
      ? r.safety.violations === 0
        ? `ok (${r.safety.checked.toLocaleString("en-US")} events checked)`
        : `${r.safety.violations} VIOLATIONS`
      : "not checked",
  );
  if (r.anomalies.decodeErrors > 0) add("decode errors", String(r.anomalies.decodeErrors));
  if (r.anomalies.labelMismatches > 0) add("label mismatches", String(r.anomalies.labelMismatches));
  if (r.serf !== null) {
    const e = r.serf.events;
    const pct = (v: number | null): string => (v === null ? "-" : `${(v * 100).toFixed(2)}%`);
    add(
      "user events",
      `${e.count} sent; completeness ${pct(e.completeness)} (${e.delivered}/${e.expected}), ` +
        `${e.complete} complete, worst ${pct(e.minCompleteness)}, ${e.duplicates} duplicates`,
    );
    add("event latency", `p50 ${ms(e.latencyMs.p50)}  p99 ${ms(e.latencyMs.p99)}  max ${ms(e.latencyMs.max)}`);
    const q = r.serf.queries;
    add(
      "queries",
      `${q.count} sent; acks ${pct(q.ackRate)} (${q.acks}/${q.eligible}), responses ${pct(q.responseRate)} (${q.responses}/${q.eligible})`,
    );
    add("response latency", `p50 ${ms(q.responseLatencyMs.p50)}  p99 ${ms(q.responseLatencyMs.p99)}`);
  }
  add("events", `${r.events.toLocaleString("en-US")} (${r.inputs.toLocaleString("en-US")} core inputs)`);
  if (r.wallMs !== null) {
    add("wall time", `${(r.wallMs / 1000).toFixed(2)} s (${num(r.nodeSecondsPerWallSecond ?? 0)} node-s per wall-s)`);
  }
  add("trace hash", r.traceHash ?? `none (${r.run} run)`);
  for (const c of r.checks) add(`check ${c.name}`, `${c.ok ? "PASS" : "FAIL"}  ${c.detail}`);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}
