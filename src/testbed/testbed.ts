/*
 * The testbed as a fault target: the Simulation's fault methods (sim/faults.ts FaultTarget) on
 * real processes, real packets and real time. A scenario's faults are scheduled here exactly as
 * on a simulation (prepareScenario with this object as the target) and fire at their times from
 * the run's start:
 *
 *   partition / partitionOneWay / flap   directed drop rules in the receivers' LL-IN chains
 *   heal                                 every partition and flap removed (loss stays, as in the sim)
 *   setNodeLoss                          statistic drop rules on arrival / departure
 *   crash                                SIGKILL          restart   same name and address, a new process
 *   pause                                SIGSTOP, later SIGCONT
 *   leave                                SIGTERM: the agent leaves gracefully and exits
 *   slow                                 "slow MS" to the agent (src/agent/fault-gate.ts): every input MS late
 *   stall                                "stall MS" to the agent: its event loop blocked for MS
 *
 * Every change is appended to `records` (recording.ts replays them into the report) and to the
 * timeline. While an action runs, `nowMs` is the time it was scheduled for, so the timeline shows
 * the scenario's times; real timer lateness (a few ms) is not shown.
 */
import {writeFileSync} from "node:fs";
import {join} from "node:path";
import {performance} from "node:perf_hooks";
import type {FaultTarget, FlapOptions, TimelineEntry} from "../../sim/index.ts";
import {createRandom, type Random} from "../core/index.ts";
import {AgentProcess} from "./agent-process.ts";
import {run, TestbedError} from "./commands.ts";
import type {AgentLine} from "./event-line.ts";
import {countDrops, type DropCounts, renderFirewall, restoreCommand, saveCommand} from "./firewall.ts";
import {GOSSIP_PORT, hostPort, nodeHost, nodeNamespace, type TestbedPlan} from "./plan.ts";
import type {LoadDelta, RunRecord} from "./recording.ts";

/** What a Testbed needs. */
export interface TestbedInit {
  readonly plan: TestbedPlan;
  /** The `lifeline` executable the agents run. */
  readonly bin: string;
  /** A directory of this run for the agents' config file. */
  readonly workDir: string;
  /** createAgent options every agent gets (profile, protocol fields). */
  readonly agentConfig: Readonly<Record<string, unknown>>;
  readonly seed: number;
  /** Uniform loss on arrival at every node (the scenario's lossRate). */
  readonly lossRate: number;
  /** Nodes 0 .. seedNodes - 1 are the seeds everyone joins through. */
  readonly seedNodes: number;
  /** Nodes but the first start at random times within this window. */
  readonly joinSpreadMs: number;
  /** How often every agent's /v1/stats is read (the report's sample interval). */
  readonly pollIntervalMs: number;
  /** Every raw stderr line of every agent (debugging). */
  readonly onAgentLine?: (name: string, line: string) => void;
}

interface BlockRule {
  readonly from: ReadonlySet<number>;
  readonly to: ReadonlySet<number>;
  active: boolean;
}

/** Real agents in network namespaces, driven by a scenario's faults. */
export class Testbed implements FaultTarget {
  readonly names: readonly string[];
  // BOUNDED: one entry per fault, flap phase and operator action (the scenario's size).
  readonly timeline: TimelineEntry[] = [];
  // UNBOUNDED: one entry per member event of every agent (the run's length bounds it).
  readonly records: RunRecord[] = [];
  // BOUNDED: one per fault the scenario schedules, plus flap phases.
  readonly warnings: string[] = [];
  /** The slow fault's delay per node (ms; absent: 0). */
  private readonly slowMs: number[] = [];
  // BOUNDED: at most one per firewall change.
  readonly errors: Error[] = [];
  /** Datagrams the rules dropped so far (read before each rewrite and at stop). */
  readonly drops: DropCounts = {lost: 0, blocked: 0};
  private readonly init: TestbedInit;
  private readonly configFile: string;
  private readonly httpToken: string;
  private readonly agents: (AgentProcess | undefined)[];
  private readonly generation: number[];
  // BOUNDED: the scenario's faults until start(), then empty.
  private readonly pending: {atMs: number; action: () => void}[] = [];
  // BOUNDED: one per armed action; each removes itself when it fires.
  private readonly timers = new Set<NodeJS.Timeout>();
  // BOUNDED: one per partition and flap until heal.
  private blocks: BlockRule[] = [];
  private readonly ingress: number[];
  private readonly egress: number[];
  // BOUNDED: one chain of pending firewall writes per namespace.
  private readonly firewallQueue: Promise<void>[];
  // BOUNDED: one per agent asked to leave (at most the cluster's size per leave fault).
  private readonly leaving = new Set<AgentProcess>();
  private readonly boots: Random;
  // BOUNDED: one entry per agent process of the run (WeakMap: dead processes go with them).
  private readonly lastLoad = new WeakMap<AgentProcess, LoadDelta>();
  // BOUNDED: at most one per running agent.
  private readonly polling = new Set<AgentProcess>();
  private pollTimer: NodeJS.Timeout | undefined;
  private started = false;
  private stopping = false;
  private startPerf = 0;
  private startEpoch = 0;
  private actionTime: number | undefined;

  constructor(init: TestbedInit) {
    this.init = init;
    const n = init.plan.nodes;
    this.names = Array.from({length: n}, (_, i) => `n${i}`);
    this.agents = new Array<AgentProcess | undefined>(n).fill(undefined);
    this.generation = new Array<number>(n).fill(0);
    this.ingress = new Array<number>(n).fill(0);
    this.egress = new Array<number>(n).fill(0);
    this.firewallQueue = Array.from({length: n}, () => Promise.resolve());
    this.boots = createRandom((init.seed ^ 0x7e57_bed0) >>> 0);
    this.configFile = join(init.workDir, "agent.json");
    this.httpToken = `tb${init.plan.runId}${Math.floor(this.boots.nextFloat() * 1e9).toString(36)}`;
  }

  /** ms since the run's start (the scheduled time while an action runs). */
  get nowMs(): number {
    if (this.actionTime !== undefined) return this.actionTime;
    return this.started ? Math.round(performance.now() - this.startPerf) : 0;
  }

  /** Calls `action` `atMs` after the run's start (now if that is past). */
  at(atMs: number, action: () => void): void {
    if (!this.started) {
      this.pending.push({atMs, action});
      return;
    }
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (this.stopping) return;
        this.actionTime = atMs;
        try {
          action();
        } catch (error) {
          this.errors.push(error as Error);
        } finally {
          this.actionTime = undefined;
        }
      },
      Math.max(0, this.startPerf + atMs - performance.now()),
    );
    this.timers.add(timer);
  }

  /** Applies the uniform loss, starts node 0 now and the others over joinSpreadMs, and arms the faults. */
  async start(): Promise<void> {
    writeFileSync(this.configFile, `${JSON.stringify(this.init.agentConfig)}\n`);
    if (this.init.lossRate > 0) await Promise.all(this.names.map((_, j) => this.applyFirewall(j)));
    this.started = true;
    this.startPerf = performance.now();
    this.startEpoch = Date.now();
    this.boot(0, false);
    for (let i = 1; i < this.names.length; i++) {
      const atMs = i < this.init.seedNodes ? 0 : Math.floor(this.boots.nextFloat() * this.init.joinSpreadMs);
      this.at(atMs, () => this.boot(i, false));
    }
    for (const {atMs, action} of this.pending.splice(0)) this.at(atMs, action);
    this.pollTimer = setInterval(() => void this.poll(), this.init.pollIntervalMs);
  }

  /**
   * Reads every running agent's /v1/stats: what it sent since the last read becomes a `load`
   * record; returns the protocol counters (`core`) of those that answered. An agent still
   * answering the previous read (paused, say) is skipped.
   */
  async poll(): Promise<Map<string, Record<string, number>>> {
    const core = new Map<string, Record<string, number>>();
    await Promise.all(
      this.agents.map(async (agent, i) => {
        if (agent === undefined || this.polling.has(agent)) return;
        this.polling.add(agent);
        const stats = await agent.stats(1_500);
        this.polling.delete(agent);
        if (stats === undefined || this.agents[i] !== agent) return;
        const num = (section: string, key: string): number => {
          const v = (stats[section] as Record<string, unknown> | undefined)?.[key];
          return typeof v === "number" ? v : 0;
        };
        const now: LoadDelta = {
          datagrams: num("transport", "datagramsOut"),
          datagramBytes: num("transport", "bytesOut"),
          datagramsIn: num("transport", "datagramsIn"),
          streams: num("transport", "streamsOut"),
          streamBytes: num("transport", "streamBytesOut"),
          messages: num("driver", "messagesOut"),
          decodeErrors: num("driver", "decodeErrors"),
        };
        const last = this.lastLoad.get(agent);
        this.lastLoad.set(agent, now);
        const delta = (key: keyof LoadDelta): number => Math.max(0, now[key] - (last?.[key] ?? 0));
        this.records.push({
          atMs: this.now(),
          kind: "load",
          node: i,
          datagrams: delta("datagrams"),
          datagramBytes: delta("datagramBytes"),
          datagramsIn: delta("datagramsIn"),
          streams: delta("streams"),
          streamBytes: delta("streamBytes"),
          messages: delta("messages"),
          decodeErrors: delta("decodeErrors"),
        });
        const counters: Record<string, number> = {};
        for (const [k, v] of Object.entries((stats.core as Record<string, unknown> | undefined) ?? {})) {
          if (typeof v === "number") counters[k] = v;
        }
        core.set(agent.name, counters);
      }),
    );
    return core;
  }

  /** The last read: stops the periodic ones, waits for those in flight, reads every agent once more. */
  async finalPoll(): Promise<Map<string, Record<string, number>>> {
    clearInterval(this.pollTimer);
    for (let k = 0; k < 40 && this.polling.size > 0; k++) await new Promise((resolve) => setTimeout(resolve, 50));
    return await this.poll();
  }

  /** Cancels what is scheduled, kills every agent and waits for them (and the firewall writes). */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.pollTimer);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const agent of this.agents) {
      agent?.signal("SIGCONT");
      agent?.signal("SIGKILL");
    }
    await Promise.all(this.agents.map((agent) => agent?.exited));
    await Promise.all(this.firewallQueue);
    await Promise.all(
      this.names.map((_, j) => this.readDrops(j).catch((error: unknown) => this.errors.push(error as Error))),
    );
  }

  // ---------------------------------------------------------------- faults (FaultTarget)

  partition(a: readonly string[], b: readonly string[]): void {
    this.block(this.indices(a), this.indices(b));
    this.block(this.indices(b), this.indices(a));
    this.note("partition", `${describe(a)} | ${describe(b)}`, true);
  }

  partitionOneWay(from: readonly string[], to: readonly string[]): void {
    this.block(this.indices(from), this.indices(to));
    this.note("partitionOneWay", `${describe(from)} -> ${describe(to)}`, true);
  }

  heal(): void {
    const touched = new Set<number>();
    for (const rule of this.blocks) for (const j of rule.to) touched.add(j);
    this.blocks = [];
    for (const j of touched) void this.applyFirewall(j);
    for (const entry of this.timeline) {
      if (entry.endMs === null && (entry.kind.startsWith("partition") || entry.kind === "flap"))
        entry.endMs = this.nowMs;
    }
    this.note("heal", "all links restored", false);
    this.records.push({atMs: this.nowMs, kind: "converge", cause: "heal"});
  }

  flap(from: readonly string[], to: readonly string[], options: FlapOptions): void {
    const fi = this.indices(from);
    const ti = this.indices(to);
    const rules = [this.block(fi, ti)];
    if (options.oneWay === false) rules.push(this.block(ti, fi));
    const label = `${describe(from)} ${options.oneWay === false ? "<->" : "->"} ${describe(to)}`;
    const until = options.untilMs ?? Number.POSITIVE_INFINITY;
    let entry = this.note("flap", label, true);
    const first = rules[0] as BlockRule;
    const toggle = (down: boolean): void => {
      if (!this.blocks.includes(first)) return; // healed
      if (this.nowMs >= until) {
        this.blocks = this.blocks.filter((r) => !rules.includes(r));
        this.refresh(rules);
        if (entry.endMs === null) entry.endMs = this.nowMs;
        return;
      }
      for (const r of rules) r.active = down;
      this.refresh(rules);
      if (down) entry = this.note("flap", label, true);
      else entry.endMs = this.nowMs;
      this.at(this.nowMs + (down ? options.downMs : options.upMs), () => toggle(!down));
    };
    this.at(this.nowMs + options.downMs, () => toggle(false));
  }

  setNodeLoss(name: string, loss: {ingress?: number; egress?: number}): void {
    const j = this.indexOf(name);
    if (loss.ingress !== undefined) this.ingress[j] = loss.ingress;
    if (loss.egress !== undefined) this.egress[j] = loss.egress;
    void this.applyFirewall(j);
    this.note("loss", `${name} in ${loss.ingress ?? 0} out ${loss.egress ?? 0}`, false);
  }

  crash(name: string): void {
    const i = this.indexOf(name);
    const agent = this.agents[i];
    if (agent === undefined || !agent.running) return;
    this.agents[i] = undefined;
    agent.signal("SIGKILL");
    this.records.push({atMs: this.nowMs, kind: "crash", node: i});
    this.note("crash", name, false);
  }

  restart(name: string): void {
    const i = this.indexOf(name);
    const old = this.agents[i];
    if (old !== undefined) this.crash(name);
    this.note("restart", name, false);
    const gen = (this.generation[i] as number) + 1;
    this.generation[i] = gen;
    const boot = (): void => {
      if (this.stopping || this.generation[i] !== gen) return;
      this.boot(i, true);
      this.records.push({atMs: this.nowMs, kind: "converge", cause: "restart"});
    };
    // The new process binds the same address: wait until the old one is gone.
    if (old === undefined) boot();
    else void old.exited.then(boot);
  }

  pause(name: string, durationMs?: number): void {
    const i = this.indexOf(name);
    const agent = this.agents[i];
    if (agent === undefined || !agent.running) return;
    agent.signal("SIGSTOP");
    this.records.push({atMs: this.nowMs, kind: "pause", node: i});
    const entry = this.note("pause", name, true);
    if (durationMs === undefined) return;
    this.at(this.nowMs + durationMs, () => {
      entry.endMs = this.nowMs;
      if (this.agents[i] !== agent || !agent.running) return;
      agent.signal("SIGCONT");
      this.records.push({atMs: this.nowMs, kind: "resume", node: i});
      this.records.push({atMs: this.nowMs, kind: "converge", cause: "resume"});
    });
  }

  slow(name: string, delayMs: number): void {
    const i = this.indexOf(name);
    if (!(delayMs >= 0)) throw new TestbedError(`slow ${name}: delayMs must be a number ≥ 0, got ${delayMs}`);
    const ms = Math.round(delayMs);
    this.slowMs[i] = ms;
    this.note("slow", `${name} +${delayMs} ms`, false);
    this.agents[i]?.command(`slow ${ms}`);
  }

  stall(name: string, durationMs: number): void {
    const agent = this.agents[this.indexOf(name)];
    if (!(durationMs > 0)) throw new TestbedError(`stall ${name}: durationMs must be a number > 0, got ${durationMs}`);
    if (agent === undefined || !agent.running) return;
    const entry = this.note("stall", `${name} ${durationMs} ms`, true);
    agent.command(`stall ${Math.max(1, Math.round(durationMs))}`);
    this.at(this.nowMs + durationMs, () => {
      entry.endMs = this.nowMs;
    });
  }

  leave(name: string): void {
    const i = this.indexOf(name);
    const agent = this.agents[i];
    if (agent === undefined || !agent.running) return;
    this.note("leave", name, false);
    this.leaving.add(agent);
    agent.signal("SIGTERM");
    void agent.exited.then(() => {
      if (this.agents[i] !== agent) return;
      this.agents[i] = undefined;
      this.records.push({atMs: this.now(), kind: "stopped", node: i});
      this.note("left", name, false);
    });
  }

  // ---------------------------------------------------------------- internals

  private now(): number {
    return Math.round(performance.now() - this.startPerf);
  }

  private boot(i: number, restart: boolean): void {
    const plan = this.init.plan;
    const seeds: number[] = [];
    for (let s = 0; s < this.init.seedNodes && s < this.names.length; s++) {
      if (s !== i && (restart || i >= this.init.seedNodes || s < i)) seeds.push(s);
    }
    if (seeds.length === 0 && restart) {
      const other = this.agents.findIndex((a, k) => k !== i && a?.running === true);
      if (other >= 0) seeds.push(other);
    }
    const gen = this.generation[i] as number;
    const name = this.names[i] as string;
    const agent = new AgentProcess({
      namespace: nodeNamespace(plan, i),
      bin: this.init.bin,
      name,
      host: nodeHost(plan, i),
      join: seeds.map((s) => hostPort(nodeHost(plan, s), GOSSIP_PORT)),
      configFile: this.configFile,
      httpToken: this.httpToken,
      seed: (Math.imul(this.init.seed + 1, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b) ^ gen) >>> 0,
      onLine: (line) => this.onLine(i, line),
      ...(this.init.onAgentLine ? {onRawLine: (text: string) => this.init.onAgentLine?.(name, text)} : {}),
    });
    this.agents[i] = agent;
    // A slow node stays slow across restarts, as in the simulator (the delay belongs to the node).
    const slow = this.slowMs[i] ?? 0;
    if (slow > 0) agent.command(`slow ${slow}`);
    this.records.push({atMs: this.nowMs, kind: "boot", node: i, restart});
    void agent.exited.then(() => {
      // An agent that exits on its own (not killed, not left) is a crash the scenario did not ask for.
      if (this.agents[i] !== agent || this.stopping || this.leaving.has(agent)) return;
      this.agents[i] = undefined;
      this.records.push({atMs: this.now(), kind: "crash", node: i});
      this.note("exited", `${name} exited on its own`, false);
      this.errors.push(new TestbedError(`agent ${name} exited on its own at ${this.now()} ms`));
    });
  }

  private onLine(i: number, line: AgentLine): void {
    const atMs = line.epochMs - this.startEpoch;
    if (line.kind === "refuted") this.records.push({atMs, kind: "refuted", node: i, incarnation: line.incarnation});
    else {
      this.records.push({
        atMs,
        kind: "member",
        node: i,
        type: line.type,
        member: line.member,
        state: line.state,
        incarnation: line.incarnation,
      });
    }
  }

  private block(from: number[], to: number[]): BlockRule {
    const rule: BlockRule = {from: new Set(from), to: new Set(to), active: true};
    this.blocks.push(rule);
    this.refresh([rule]);
    return rule;
  }

  /** Rewrites the firewall of every receiver of `rules`. */
  private refresh(rules: readonly BlockRule[]): void {
    const touched = new Set<number>();
    for (const rule of rules) for (const j of rule.to) touched.add(j);
    for (const j of touched) void this.applyFirewall(j);
  }

  /** Queues a rewrite of namespace j's chains from the current state (computed when it runs). */
  private applyFirewall(j: number): Promise<void> {
    const plan = this.init.plan;
    const next = (this.firewallQueue[j] as Promise<void>).then(async () => {
      const cut = new Set<number>();
      for (const rule of this.blocks) {
        if (!rule.active || !rule.to.has(j)) continue;
        for (const i of rule.from) if (i !== j) cut.add(i);
      }
      await this.readDrops(j);
      const text = renderFirewall({
        cutFrom: [...cut].sort((a, b) => a - b).map((i) => nodeHost(plan, i)),
        lossIn: [this.init.lossRate, this.ingress[j] as number],
        lossOut: this.egress[j] as number,
      });
      await run("ip", ["netns", "exec", nodeNamespace(plan, j), restoreCommand(plan.ipv6), "--noflush"], text);
    });
    const settled = next.catch((error: unknown) => {
      this.errors.push(error as Error);
    });
    this.firewallQueue[j] = settled;
    return settled;
  }

  /** Adds namespace j's drop counters to `drops` (the rewrite that follows resets them). */
  private async readDrops(j: number): Promise<void> {
    const plan = this.init.plan;
    const dump = await run("ip", [
      "netns",
      "exec",
      nodeNamespace(plan, j),
      saveCommand(plan.ipv6),
      "-c",
      "-t",
      "filter",
    ]);
    countDrops(dump, this.drops);
  }

  private indexOf(name: string): number {
    const i = this.names.indexOf(name);
    if (i < 0) throw new TestbedError(`unknown node ${name}`);
    return i;
  }

  private indices(names: readonly string[]): number[] {
    return names.map((n) => this.indexOf(n));
  }

  private note(kind: string, label: string, interval: boolean): TimelineEntry {
    const atMs = this.nowMs;
    const entry: TimelineEntry = {atMs, kind, label, endMs: interval ? null : atMs};
    if (this.timeline.length < 10_000) this.timeline.push(entry);
    return entry;
  }
}

function describe(names: readonly string[]): string {
  if (names.length <= 3) return names.join(",");
  return `${names.slice(0, 2).join(",")},… (${names.length} nodes)`;
}
