/*
 * A real run, replayed into the simulator's instruments. While the run goes on the testbed only
 * appends records (a process started, was killed, paused, resumed, stopped after a leave; an
 * agent logged a member event; a disturbance ended), each stamped with ms since the run's start.
 * At the end they are sorted by time and fed, in that order, to the same ClusterViews, Metrics
 * and SafetyChecker the Simulation drives, with the same rules: samples every sampleIntervalMs,
 * agreement judged after every record once every node has started. The result satisfies the
 * report's ReportSource, so `buildReport` writes the simulator's report for a real run.
 *
 * Load comes from the agents' own counters (/v1/stats, read every sample interval, so it
 * includes processes that crashed later), as `load` records: the report's datagrams, streams,
 * bytes per node and the load series, under one message type, AGENT_LOAD_TYPE.
 *
 * What a real run cannot know: no trace (traceHash null, traceRecords 0), no per-message-type
 * counts (only AGENT_LOAD_TYPE), no events or inputs handled (0); `core` sums the protocol
 * counters of the processes running at the end. `network.lost` and `network.blocked` are the
 * UDP packets the testbed's loss and cut rules dropped (their iptables counters); `datagrams` and
 * `delivered` are what the agents still running at the end sent and received.
 */

import {
  ClusterViews,
  Metrics,
  type ReportSource,
  SafetyChecker,
  type SimOptions,
  type TimelineEntry,
  VIEW_ALIVE,
  VIEW_DEAD,
  VIEW_LEFT,
  VIEW_SUSPECT,
} from "../../sim/index.ts";
import type {MemberEvent, MemberState, MemberView, SwimConfig} from "../core/index.ts";

/** One thing that happened, `atMs` after the run's start. */
export type RunRecord =
  | {readonly atMs: number; readonly kind: "boot"; readonly node: number; readonly restart: boolean}
  | {readonly atMs: number; readonly kind: "crash" | "stopped" | "pause" | "resume"; readonly node: number}
  | {readonly atMs: number; readonly kind: "converge"; readonly cause: "heal" | "restart" | "resume"}
  | {
      readonly atMs: number;
      readonly kind: "member";
      readonly node: number;
      readonly type: MemberEvent["type"];
      readonly member: string;
      readonly state: MemberState;
      readonly incarnation: number;
    }
  | {readonly atMs: number; readonly kind: "refuted"; readonly node: number; readonly incarnation: number}
  | ({readonly atMs: number; readonly kind: "load"; readonly node: number} & LoadDelta);

/** What one agent sent (and received) between two reads of its /v1/stats. */
export interface LoadDelta {
  readonly datagrams: number;
  readonly datagramBytes: number;
  readonly datagramsIn: number;
  readonly streams: number;
  readonly streamBytes: number;
  readonly messages: number;
  readonly decodeErrors: number;
}

/** The load type the report shows for a real run: the agents' own message counters, all types together. */
export const AGENT_LOAD_TYPE = "all (agent counters)";

const CODE: Readonly<Record<MemberState, number>> = {
  alive: VIEW_ALIVE,
  suspect: VIEW_SUSPECT,
  dead: VIEW_DEAD,
  left: VIEW_LEFT,
};

/** The report options a testbed run shows (latency 0: the veth links are sub-millisecond, unshaped). */
export type RecordingOptions = ReportSource["options"] & Pick<SimOptions, "sampleIntervalMs" | "safety">;

/** A finished real run as a ReportSource. */
export class TestbedRecording implements ReportSource {
  readonly run = "testbed" as const;
  readonly options: RecordingOptions;
  readonly names: readonly string[];
  readonly nowMs: number;
  readonly metrics: Metrics;
  readonly views: ClusterViews;
  readonly safety: SafetyChecker | undefined;
  readonly timeline: readonly TimelineEntry[];
  readonly traceHash = null;
  readonly traceRecords = 0;
  readonly eventsHandled = 0;
  readonly inputsHandled = 0;
  readonly network = {
    stats: {
      datagrams: 0,
      delivered: 0,
      lost: 0,
      blocked: 0,
      duplicated: 0,
      reordered: 0,
      streams: 0,
      streamsBlocked: 0,
    },
  };
  private readonly core: ReadonlyMap<string, Record<string, number>>;

  constructor(init: {
    options: RecordingOptions;
    names: readonly string[];
    durationMs: number;
    records: readonly RunRecord[];
    timeline: readonly TimelineEntry[];
    /** Protocol counters (/v1/stats `core`) of the processes running at the end. */
    core: ReadonlyMap<string, Record<string, number>>;
    /** UDP packets the testbed's rules dropped. */
    drops?: {readonly lost: number; readonly blocked: number};
    gossipToTheDeadMs: SwimConfig["gossipToTheDeadMs"];
  }) {
    this.options = init.options;
    this.names = init.names;
    this.nowMs = init.durationMs;
    this.timeline = init.timeline;
    this.core = init.core;
    const n = init.names.length;
    this.views = new ClusterViews(n);
    this.metrics = new Metrics(n, init.options.sampleIntervalMs);
    this.safety = init.options.safety ? new SafetyChecker({reapAfterMs: init.gossipToTheDeadMs}) : undefined;
    this.replay(init.records, init.durationMs);
    if (init.drops !== undefined) {
      this.network.stats.lost = init.drops.lost;
      this.network.stats.blocked = init.drops.blocked;
    }
  }

  live(): string[] {
    return this.names.filter((_, i) => this.views.up[i] === 1);
  }

  /** A running node's core counters (empty when it did not answer /v1/stats at the end). */
  node(name: string): {stats: Record<string, number>} | undefined {
    if (!this.live().includes(name)) return undefined;
    return {stats: this.core.get(name) ?? {}};
  }

  allAgree(): boolean {
    return this.views.agree();
  }

  private replay(records: readonly RunRecord[], durationMs: number): void {
    const n = this.names.length;
    const index = new Map(this.names.map((name, i) => [name, i]));
    const paused = new Uint8Array(n);
    const booted = new Uint8Array(n);
    let unbooted = n;
    const sorted = records
      .map((record, seq) => ({record, seq}))
      .filter(({record}) => record.atMs <= durationMs)
      .sort((a, b) => a.record.atMs - b.record.atMs || a.seq - b.seq);
    const interval = this.options.sampleIntervalMs;
    let nextSample = interval;
    const m = this.metrics;
    const views = this.views;
    m.expectConvergence("bootstrap", 0);
    for (const {record: r} of sorted) {
      const t = Math.max(0, Math.round(r.atMs));
      while (nextSample <= t) {
        m.sample(nextSample, views);
        nextSample += interval;
      }
      const name = r.kind === "converge" ? "" : (this.names[r.node] as string);
      switch (r.kind) {
        case "boot":
          views.nodeUp(r.node);
          this.safety?.resetObserver(name);
          paused[r.node] = 0;
          if (r.restart) m.onRestart(r.node);
          if (booted[r.node] === 0) {
            booted[r.node] = 1;
            unbooted--;
          }
          break;
        case "crash":
          if (views.up[r.node] === 0) break;
          views.nodeDown(r.node);
          m.onCrash(t, r.node, views);
          break;
        case "stopped":
          views.nodeDown(r.node);
          break;
        case "pause":
          paused[r.node] = 1;
          break;
        case "resume":
          paused[r.node] = 0;
          break;
        case "converge":
          m.expectConvergence(r.cause, t);
          break;
        case "refuted":
          this.safety?.observeSelf(t, name, r.incarnation);
          break;
        case "load":
          this.addLoad(r.node, r);
          break;
        case "member": {
          // The agent also logs its own leave ("member left" about itself), which the core's
          // event stream (what the simulator checks) does not carry: events about oneself are skipped.
          if (views.up[r.node] === 0 || r.member === name) break;
          const view = {name: r.member, state: r.state, incarnation: r.incarnation} as MemberView;
          this.safety?.observe(t, name, {type: r.type, member: view} as MemberEvent);
          const j = index.get(r.member);
          if (j === undefined || j === r.node) break;
          const code = CODE[r.state];
          const prev = views.set(r.node, j, code);
          m.onTransition(t, r.node, j, prev, code, views, paused[j] === 1);
          break;
        }
      }
      if (views.disagreements === 0 && unbooted === 0 && views.live > 0 && m.awaitingAgreement()) {
        m.onAgreement(t, views);
      }
    }
    while (nextSample <= durationMs) {
      m.sample(nextSample, views);
      nextSample += interval;
    }
  }

  /** One agent's load between two reads, into the metrics (as if sent now) and the network figures. */
  private addLoad(i: number, d: LoadDelta): void {
    const m = this.metrics;
    // onSend counts one transfer per call: one call per kind carries the bytes into the load
    // series, and the counts are then set right.
    if (d.datagrams > 0 || d.datagramBytes > 0) {
      m.onSend(i, d.datagramBytes, false);
      m.datagrams += d.datagrams - 1;
      m.packetsSent[i] = (m.packetsSent[i] as number) + d.datagrams - 1;
    }
    // Stream bytes also count replies on streams others opened (no streamsOut for those).
    if (d.streams > 0 || d.streamBytes > 0) {
      m.onSend(i, d.streamBytes, true);
      m.streams += d.streams - 1;
      m.packetsSent[i] = (m.packetsSent[i] as number) + d.streams - 1;
    }
    if (d.messages > 0) m.onMessage(AGENT_LOAD_TYPE, d.datagramBytes + d.streamBytes, d.messages);
    m.decodeErrors += d.decodeErrors;
    const stats = this.network.stats;
    stats.datagrams += d.datagrams;
    stats.delivered += d.datagramsIn;
    stats.streams += d.streams;
  }
}
