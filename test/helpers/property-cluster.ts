/*
 * Whole-cluster property tests: fast-check arbitraries for a simulated cluster (size, config
 * profile, loss, latency, duplication, reordering, the simulation's own seed) and for random
 * fault schedules, plus the observers the properties assert with:
 *
 *   - watchEvents: every member event every node emits, with its virtual time (the simulator
 *     hands each one to its SafetyChecker; we wrap that method, so nothing is sampled or missed);
 *   - memberListMismatch: the strong agreement check — every live node holds exactly the live
 *     nodes as members, all `alive`, each at the incarnation that node itself has; everybody else
 *     is dead, left or forgotten. Read from the SwimNodes themselves, not from the simulator's
 *     bookkeeping, so a bug there cannot hide a disagreement.
 *
 * A case is a plain, printable object: fast-check prints it on failure and the simulation is a
 * pure function of it, so the seed and path replay the exact run.
 */
import fc from "fast-check";
import {createSimulation, type Simulation} from "../../sim/index.ts";
import type {Notification, ProfileName, SwimConfig} from "../../src/core/index.ts";
import {latencyAllowanceMs} from "./property-bounds.ts";

/** The network and cluster of one run. */
export interface ClusterCase {
  readonly nodes: number;
  readonly profile: ProfileName;
  readonly seed: number;
  readonly lossRate: number;
  readonly latency: {readonly minMs: number; readonly jitterMeanMs: number};
  readonly duplicateRate: number;
  readonly reorderRate: number;
}

/** Bounds of a ClusterCase arbitrary. */
export interface ClusterCaseInit {
  readonly minNodes?: number;
  readonly maxNodes?: number;
  readonly maxLoss: number;
  readonly minLoss?: number;
  readonly profiles?: readonly ProfileName[];
  /** Allow duplicated and reordered datagrams. Default true. */
  readonly disorder?: boolean;
}

/** Loss rates are drawn in whole per-mille so cases print short and shrink toward 0. */
function rate(minPerMille: number, maxPerMille: number): fc.Arbitrary<number> {
  return fc.integer({min: minPerMille, max: maxPerMille}).map((p) => p / 1000);
}

/** A cluster of 5–12 nodes on one of the presets, with loss up to `maxLoss`. */
export function clusterCase(init: ClusterCaseInit): fc.Arbitrary<ClusterCase> {
  const disorder = init.disorder ?? true;
  return fc.record({
    nodes: fc.integer({min: init.minNodes ?? 5, max: init.maxNodes ?? 12}),
    profile: fc.constantFrom(...(init.profiles ?? (["lan", "local", "wan", "swift"] as const))),
    seed: fc.integer({min: 0, max: 0xffff_ffff}),
    lossRate: rate(Math.round((init.minLoss ?? 0) * 1000), Math.round(init.maxLoss * 1000)),
    latency: fc.record({minMs: fc.integer({min: 0, max: 20}), jitterMeanMs: fc.integer({min: 0, max: 5})}),
    duplicateRate: disorder ? rate(0, 20) : fc.constant(0),
    reorderRate: disorder ? rate(0, 50) : fc.constant(0),
  });
}

/** Builds the simulation of a case (3 seed nodes, so a restarted node has someone to join through). */
export function simulate(c: ClusterCase): Simulation {
  return createSimulation({
    nodes: c.nodes,
    seed: c.seed,
    profile: c.profile,
    lossRate: c.lossRate,
    latency: c.latency,
    duplicateRate: c.duplicateRate,
    reorderRate: c.reorderRate,
    seedNodes: Math.min(3, c.nodes),
  });
}

/** The latency allowance of a case (see property-bounds). */
export function caseLatencyMs(c: ClusterCase): number {
  return latencyAllowanceMs(c.latency) + (c.reorderRate > 0 ? 20 : 0);
}

/** The resolved core config of a running simulation. */
export function configOf(sim: Simulation): SwimConfig {
  return sim.options.config;
}

/**
 * Runs the bootstrap until every node has started and the cluster agrees; throws if that takes
 * more than 20 probe periods + 60 s.
 */
export function bootstrap(sim: Simulation): void {
  const budget = 60_000 + 20 * configOf(sim).probeIntervalMs;
  const all = sim.names.length;
  const done = () => sim.allAgree() && sim.live().length === all && memberListMismatch(sim) === undefined;
  if (!sim.runUntil(done, {maxMs: budget})) {
    throw new Error(`bootstrap did not converge in ${budget} ms: ${memberListMismatch(sim)}`);
  }
}

/** One member event as observed. */
export interface ObservedEvent {
  readonly timeMs: number;
  readonly observer: string;
  readonly event: Notification;
}

/**
 * Calls `listener` for every notification every node emits, at its virtual time. The simulator
 * passes each one to its SafetyChecker (on by default up to 3,000 nodes); this wraps that call.
 */
export function watchEvents(sim: Simulation, listener: (e: ObservedEvent) => void): void {
  const safety = sim.safety;
  if (safety === undefined) throw new Error("watchEvents needs the simulator's safety checker (options.safety)");
  const observe = safety.observe.bind(safety);
  safety.observe = (timeMs, observer, event) => {
    listener({timeMs, observer, event});
    observe(timeMs, observer, event);
  };
}

/** Options of the agreement checks. */
export interface AgreementOptions {
  /** Also require every observer to hold each live member at that member's own incarnation. Default true. */
  readonly exactIncarnations?: boolean;
}

/**
 * undefined when every live node holds exactly the live nodes as members, all alive, each at its
 * own current incarnation, and every other node dead, left or forgotten; else the first mismatch.
 */
export function memberListMismatch(sim: Simulation, options: AgreementOptions = {}): string | undefined {
  const exact = options.exactIncarnations ?? true;
  const live = sim.live();
  if (live.length === 0) return "no live node";
  const liveSet = new Set(live);
  for (const observer of live) {
    const node = sim.node(observer);
    if (node === undefined) return `${observer} has no process`;
    for (const name of sim.names) {
      if (name === observer) continue;
      const view = node.member(name);
      if (liveSet.has(name)) {
        const truth = sim.node(name)?.incarnation;
        if (view === undefined) return `${observer} does not know live ${name}`;
        if (view.state !== "alive") return `${observer} holds live ${name} ${view.state}`;
        if (exact && view.incarnation !== truth) {
          return `${observer} holds ${name} at incarnation ${view.incarnation}, ${name} is at ${truth}`;
        }
      } else if (view !== undefined && (view.state === "alive" || view.state === "suspect")) {
        return `${observer} holds stopped ${name} ${view.state}`;
      }
    }
  }
  return undefined;
}

/**
 * Runs until the strong agreement holds (checked at most every 10 ms of virtual time, and only
 * when the simulator's O(1) in/out agreement already holds) or `maxMs` passed. Returns the time
 * it took, or undefined.
 */
export function runUntilAgreement(sim: Simulation, maxMs: number, options: AgreementOptions = {}): number | undefined {
  const start = sim.nowMs;
  let nextCheck = start;
  const ok = sim.runUntil(
    () => {
      if (sim.nowMs < nextCheck || !sim.allAgree()) return false;
      nextCheck = sim.nowMs + 10;
      return memberListMismatch(sim, options) === undefined;
    },
    {maxMs},
  );
  return ok ? sim.nowMs - start : undefined;
}

/** A short description of a simulation's cluster and network, for failure messages. */
export function describeCase(c: ClusterCase): string {
  return (
    `${c.nodes} nodes, ${c.profile}, seed ${c.seed}, loss ${c.lossRate}, latency ${c.latency.minMs}+Exp(${c.latency.jitterMeanMs}) ms, ` +
    `dup ${c.duplicateRate}, reorder ${c.reorderRate}`
  );
}

/** One fault of a random schedule. Times are in tenths of a probe period from the schedule's start. */
export type FaultStep =
  | {readonly kind: "crash"; readonly at: number; readonly node: number; readonly restartAfter: number | null}
  | {readonly kind: "pause"; readonly at: number; readonly node: number; readonly duration: number}
  | {readonly kind: "partition"; readonly at: number; readonly side: readonly number[]; readonly duration: number}
  | {
      readonly kind: "oneWay";
      readonly at: number;
      readonly from: readonly number[];
      readonly to: readonly number[];
      readonly duration: number;
    }
  | {readonly kind: "leave"; readonly at: number; readonly node: number; readonly rejoinAfter: number | null};

/** Options of faultSchedule. */
export interface FaultScheduleInit {
  /** Schedule length in tenths of a probe period. */
  readonly window: number;
  readonly maxFaults: number;
  /** Include graceful leaves (and rejoins). Default false. */
  readonly leaves?: boolean;
}

/**
 * A random schedule of crashes (some restarted), pauses, symmetric partitions and one-way links
 * for a cluster of `nodes`. Node 0 is never crashed or made to leave: it is the seed everyone
 * (re)joins through, and a node whose every seed is gone can never find the cluster again, under
 * any protocol. Every fault ends within the window (restarts may come later than it, pauses and
 * partitions are cut at its end).
 */
export function faultSchedule(nodes: number, init: FaultScheduleInit): fc.Arbitrary<FaultStep[]> {
  const w = init.window;
  const at = fc.integer({min: 0, max: w - 1});
  const member = fc.integer({min: 1, max: nodes - 1});
  const anyNode = fc.integer({min: 0, max: nodes - 1});
  const duration = fc.integer({min: 1, max: w});
  const group = fc.uniqueArray(anyNode, {minLength: 1, maxLength: nodes - 1});
  const steps: fc.Arbitrary<FaultStep>[] = [
    fc.record({
      kind: fc.constant("crash" as const),
      at,
      node: member,
      restartAfter: fc.option(fc.integer({min: 1, max: w}), {nil: null}),
    }),
    fc.record({kind: fc.constant("pause" as const), at, node: anyNode, duration}),
    fc.record({kind: fc.constant("partition" as const), at, side: group, duration}),
    fc.record({kind: fc.constant("oneWay" as const), at, from: group, to: group, duration}),
  ];
  if (init.leaves === true) {
    steps.push(
      fc.record({
        kind: fc.constant("leave" as const),
        at,
        node: member,
        rejoinAfter: fc.option(fc.integer({min: 1, max: w}), {nil: null}),
      }),
    );
  }
  return fc.array(fc.oneof(...steps), {minLength: 1, maxLength: init.maxFaults});
}

/**
 * Schedules `steps` on `sim` from now, with times in tenths of a probe period; returns the time
 * the window ends (when the caller heals). A partition or one-way link lasts its duration and
 * then heals every link (the simulator's heal is global); a pause is cut at the window's end.
 */
export function applySchedule(sim: Simulation, steps: readonly FaultStep[], window: number): number {
  const tenth = configOf(sim).probeIntervalMs / 10;
  const start = sim.nowMs;
  const end = start + window * tenth;
  const name = (i: number) => `n${i}`;
  const names = (ix: readonly number[]) => ix.map(name);
  for (const s of steps) {
    const t = start + s.at * tenth;
    switch (s.kind) {
      case "crash":
        sim.at(t, () => sim.crash(name(s.node)));
        if (s.restartAfter !== null) sim.at(t + s.restartAfter * tenth, () => sim.restart(name(s.node)));
        break;
      case "pause":
        sim.at(t, () => sim.pause(name(s.node), Math.max(1, Math.min(s.duration * tenth, end - t))));
        break;
      case "partition": {
        const other = sim.others(names(s.side));
        if (other.length === 0) break;
        sim.at(t, () => sim.partition(names(s.side), other));
        sim.at(Math.min(end, t + s.duration * tenth), () => sim.heal());
        break;
      }
      case "oneWay":
        sim.at(t, () => sim.partitionOneWay(names(s.from), names(s.to)));
        sim.at(Math.min(end, t + s.duration * tenth), () => sim.heal());
        break;
      case "leave":
        sim.at(t, () => sim.leave(name(s.node)));
        if (s.rejoinAfter !== null) sim.at(t + s.rejoinAfter * tenth, () => sim.restart(name(s.node)));
        break;
    }
  }
  sim.at(end, () => sim.heal());
  return end;
}

/** The time the last restart of a schedule happens (absolute), or `start`. */
export function lastRestartMs(sim: Simulation, steps: readonly FaultStep[], start: number): number {
  const tenth = configOf(sim).probeIntervalMs / 10;
  let last = start;
  for (const s of steps) {
    const after = s.kind === "crash" ? s.restartAfter : s.kind === "leave" ? s.rejoinAfter : null;
    if (after !== null && after !== undefined) last = Math.max(last, start + (s.at + after) * tenth);
  }
  return last;
}
