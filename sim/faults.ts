/*
 * The fault menu, as data: each Fault says what happens at `atMs`. Scenarios (JSON) are lists
 * of these; `scheduleFault` validates one, resolves its node selectors and arranges for the
 * Simulation's fault methods to be called at the right virtual times.
 *
 *   partition        a | b cut both ways          (optional durationMs, then heal)
 *   partitionOneWay  from -> to cut               (optional durationMs, then heal)
 *   heal             every partition and flap removed
 *   flap             from -> to down downMs, up upMs, repeatedly (oneWay: false cuts both ways)
 *   crash            processes stop               (optional restartAfterMs)
 *   restart          new processes, same names, incarnation 1
 *   pause            a process stop (SIGSTOP) of durationMs; resumes socket reads first
 *   stall            the event loop blocked durationMs (ms, or [min, max] drawn per stall); with
 *                    count, each node stalls count times, everyMs apart plus a jitter drawn in
 *                    [0, jitterMs); resumes with the expired timers first (sim/event-loop.ts)
 *   slow             every input handled delayMs late (optional durationMs)
 *   loss             extra ingress/egress loss on nodes (optional durationMs)
 *   rollingRestart   one node after another: crash, restart downMs later, next one intervalMs later
 *   leave            graceful leave
 */
import {InvalidConfigError} from "../src/core/index.ts";
import {checkNumber} from "./options.ts";
import {resolveSelector, type Selector, type SelectorContext} from "./selector.ts";
import type {Simulation} from "./simulation.ts";

/**
 * What faults are scheduled on: the Simulation's fault methods, as a structural type the
 * Simulation satisfies as it is. The network-namespace testbed (src/testbed) implements the same
 * methods on real processes and real time, so scenario files run on both.
 */
export type FaultTarget = Pick<
  Simulation,
  | "names"
  | "at"
  | "partition"
  | "partitionOneWay"
  | "heal"
  | "flap"
  | "crash"
  | "restart"
  | "pause"
  | "stall"
  | "slow"
  | "setNodeLoss"
  | "leave"
>;

/** A time: ms from the start, or "P%" of the run's duration. */
export type SimTime = number | string;

interface FaultBase {
  readonly atMs: SimTime;
}

/** One scheduled fault. */
export type Fault =
  | (FaultBase & {readonly type: "partition"; readonly a: Selector; readonly b: Selector; readonly durationMs?: number})
  | (FaultBase & {
      readonly type: "partitionOneWay";
      readonly from: Selector;
      readonly to: Selector;
      readonly durationMs?: number;
    })
  | (FaultBase & {readonly type: "heal"})
  | (FaultBase & {
      readonly type: "flap";
      readonly from: Selector;
      readonly to: Selector;
      readonly downMs: number;
      readonly upMs: number;
      readonly oneWay?: boolean;
      readonly durationMs?: number;
    })
  | (FaultBase & {readonly type: "crash"; readonly nodes: Selector; readonly restartAfterMs?: number})
  | (FaultBase & {readonly type: "restart"; readonly nodes: Selector})
  | (FaultBase & {readonly type: "pause"; readonly nodes: Selector; readonly durationMs: number})
  | (FaultBase & {
      readonly type: "stall";
      readonly nodes: Selector;
      readonly durationMs: number | readonly [number, number];
      readonly count?: number;
      readonly everyMs?: number;
      readonly jitterMs?: number;
    })
  | (FaultBase & {
      readonly type: "slow";
      readonly nodes: Selector;
      readonly delayMs: number;
      readonly durationMs?: number;
    })
  | (FaultBase & {
      readonly type: "loss";
      readonly nodes: Selector;
      readonly ingress?: number;
      readonly egress?: number;
      readonly durationMs?: number;
    })
  | (FaultBase & {
      readonly type: "rollingRestart";
      readonly nodes: Selector;
      readonly intervalMs: number;
      readonly downMs: number;
    })
  | (FaultBase & {readonly type: "leave"; readonly nodes: Selector});

const FIELDS: Readonly<Record<Fault["type"], readonly string[]>> = {
  partition: ["a", "b", "durationMs"],
  partitionOneWay: ["from", "to", "durationMs"],
  heal: [],
  flap: ["from", "to", "downMs", "upMs", "oneWay", "durationMs"],
  crash: ["nodes", "restartAfterMs"],
  restart: ["nodes"],
  pause: ["nodes", "durationMs"],
  stall: ["nodes", "durationMs", "count", "everyMs", "jitterMs"],
  slow: ["nodes", "delayMs", "durationMs"],
  loss: ["nodes", "ingress", "egress", "durationMs"],
  rollingRestart: ["nodes", "intervalMs", "downMs"],
  leave: ["nodes"],
};

function each(nodes: readonly string[], fn: (name: string) => void): void {
  for (const n of nodes) fn(n);
}

/** Resolves a SimTime against the run's duration. */
export function resolveTime(field: string, value: unknown, durationMs: number): number {
  if (typeof value === "string") {
    const m = /^(\d+(?:\.\d+)?)%$/.exec(value);
    if (!m) throw new InvalidConfigError(field, `must be ms or "P%" of durationMs`);
    return Math.round((Number(m[1]) / 100) * durationMs);
  }
  return checkNumber(field, value, 0, 365 * 86_400_000);
}

/**
 * Validates `fault` (reporting errors as `field`), resolves its selectors now (in call order, so
 * random picks are reproducible) and schedules it on `sim`.
 */
export function scheduleFault(sim: FaultTarget, fault: Fault, field: string, ctx: SelectorContext, durationMs: number) {
  if (typeof fault !== "object" || fault === null) throw new InvalidConfigError(field, "must be an object");
  const type = (fault as {type?: unknown}).type;
  if (typeof type !== "string" || !(type in FIELDS)) {
    throw new InvalidConfigError(`${field}.type`, `must be one of ${Object.keys(FIELDS).join(", ")}`);
  }
  const allowed = new Set(["type", "atMs", ...(FIELDS[type as Fault["type"]] ?? [])]);
  for (const key of Object.keys(fault)) {
    if (!allowed.has(key)) throw new InvalidConfigError(`${field}.${key}`, `is not a field of a ${type} fault`);
  }
  const at = resolveTime(`${field}.atMs`, fault.atMs, durationMs);
  const names = (key: string, sel: unknown): string[] =>
    resolveSelector(`${field}.${key}`, sel, ctx).map((i) => sim.names[i] as string);
  const optMs = (key: string, v: unknown): number | undefined =>
    v === undefined ? undefined : checkNumber(`${field}.${key}`, v, 0, 365 * 86_400_000);
  const ms = (key: string, v: unknown): number => checkNumber(`${field}.${key}`, v, 1, 365 * 86_400_000);
  const rate = (key: string, v: unknown): number | undefined =>
    v === undefined ? undefined : checkNumber(`${field}.${key}`, v, 0, 1);
  switch (fault.type) {
    case "partition": {
      const a = names("a", fault.a);
      const b = names("b", fault.b);
      const d = optMs("durationMs", fault.durationMs);
      sim.at(at, () => sim.partition(a, b));
      if (d !== undefined) sim.at(at + d, () => sim.heal());
      return;
    }
    case "partitionOneWay": {
      const from = names("from", fault.from);
      const to = names("to", fault.to);
      const d = optMs("durationMs", fault.durationMs);
      sim.at(at, () => sim.partitionOneWay(from, to));
      if (d !== undefined) sim.at(at + d, () => sim.heal());
      return;
    }
    case "heal":
      sim.at(at, () => sim.heal());
      return;
    case "flap": {
      const from = names("from", fault.from);
      const to = names("to", fault.to);
      const downMs = ms("downMs", fault.downMs);
      const upMs = ms("upMs", fault.upMs);
      const d = optMs("durationMs", fault.durationMs);
      if (fault.oneWay !== undefined && typeof fault.oneWay !== "boolean") {
        throw new InvalidConfigError(`${field}.oneWay`, "must be a boolean");
      }
      sim.at(at, () =>
        sim.flap(from, to, {
          downMs,
          upMs,
          oneWay: fault.oneWay ?? true,
          ...(d !== undefined ? {untilMs: at + d} : {}),
        }),
      );
      return;
    }
    case "crash": {
      const nodes = names("nodes", fault.nodes);
      const restartAfter = optMs("restartAfterMs", fault.restartAfterMs);
      sim.at(at, () => each(nodes, (n) => sim.crash(n)));
      if (restartAfter !== undefined) sim.at(at + restartAfter, () => each(nodes, (n) => sim.restart(n)));
      return;
    }
    case "restart": {
      const nodes = names("nodes", fault.nodes);
      sim.at(at, () => each(nodes, (n) => sim.restart(n)));
      return;
    }
    case "pause": {
      const nodes = names("nodes", fault.nodes);
      const d = ms("durationMs", fault.durationMs);
      sim.at(at, () => each(nodes, (n) => sim.pause(n, d)));
      return;
    }
    case "stall": {
      const nodes = names("nodes", fault.nodes);
      const range = fault.durationMs;
      if (Array.isArray(range) && range.length !== 2) {
        throw new InvalidConfigError(`${field}.durationMs`, "must be ms or [min, max]");
      }
      const [lo, hi] = Array.isArray(range)
        ? [ms("durationMs[0]", range[0]), ms("durationMs[1]", range[1])]
        : [ms("durationMs", range), ms("durationMs", range)];
      if (hi < lo) throw new InvalidConfigError(`${field}.durationMs`, "max must be ≥ min");
      const count = fault.count === undefined ? 1 : checkNumber(`${field}.count`, fault.count, 1, 10_000);
      if (!Number.isInteger(count)) throw new InvalidConfigError(`${field}.count`, "must be an integer");
      const every = count > 1 ? ms("everyMs", fault.everyMs) : (optMs("everyMs", fault.everyMs) ?? 0);
      const jitter = optMs("jitterMs", fault.jitterMs) ?? 0;
      // Every time and length is drawn now, in a fixed order, from the scenario's seeded choices.
      for (const n of nodes) {
        for (let k = 0; k < count; k++) {
          const start = at + k * every + Math.floor(ctx.random.nextFloat() * jitter);
          const length = lo + Math.floor(ctx.random.nextFloat() * (hi - lo + 1));
          sim.at(start, () => sim.stall(n, length));
        }
      }
      return;
    }
    case "slow": {
      const nodes = names("nodes", fault.nodes);
      const delay = checkNumber(`${field}.delayMs`, fault.delayMs, 0, 3_600_000);
      const d = optMs("durationMs", fault.durationMs);
      sim.at(at, () => each(nodes, (n) => sim.slow(n, delay)));
      if (d !== undefined) sim.at(at + d, () => each(nodes, (n) => sim.slow(n, 0)));
      return;
    }
    case "loss": {
      const nodes = names("nodes", fault.nodes);
      const ingress = rate("ingress", fault.ingress);
      const egress = rate("egress", fault.egress);
      if (ingress === undefined && egress === undefined) {
        throw new InvalidConfigError(field, "a loss fault needs ingress and/or egress");
      }
      const d = optMs("durationMs", fault.durationMs);
      const loss = {...(ingress !== undefined ? {ingress} : {}), ...(egress !== undefined ? {egress} : {})};
      sim.at(at, () => each(nodes, (n) => sim.setNodeLoss(n, loss)));
      if (d !== undefined) sim.at(at + d, () => each(nodes, (n) => sim.setNodeLoss(n, {ingress: 0, egress: 0})));
      return;
    }
    case "rollingRestart": {
      const nodes = names("nodes", fault.nodes);
      const interval = ms("intervalMs", fault.intervalMs);
      const down = optMs("downMs", fault.downMs) ?? 0;
      nodes.forEach((n, k) => {
        sim.at(at + k * interval, () => sim.crash(n));
        sim.at(at + k * interval + down, () => sim.restart(n));
      });
      return;
    }
    case "leave": {
      const nodes = names("nodes", fault.nodes);
      sim.at(at, () => each(nodes, (n) => sim.leave(n)));
      return;
    }
  }
}
