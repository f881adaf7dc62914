/*
 * Serf traffic in scenarios: the `events` and `queries` lists, each entry one send or a periodic
 * schedule of them, validated and put on the simulation's virtual clock.
 *
 *   "events":  [{"atMs": 20000, "from": "random:1", "name": "deploy", "payloadBytes": 32},
 *               {"atMs": 20000, "everyMs": 2000, "jitterMs": 500, "untilMs": "80%",
 *                "from": "all", "name": "tick", "coalesce": false}]
 *   "queries": [{"atMs": 30000, "everyMs": 15000, "from": "n0", "name": "ping", "timeoutMs": 5000}]
 *
 * A periodic entry sends at atMs and then every everyMs ± jitterMs (uniform), so the schedule does
 * not phase-lock with the probe and gossip tickers, until untilMs (inclusive; default: the end of
 * the run). Each send picks one running node of `from` at random (none running: counted as
 * skipped). Randomness comes from a Random derived from the run's seed and used for nothing else,
 * so adding traffic to a scenario does not move its fault choices.
 */
import {createRandom, InvalidConfigError, type Random} from "../src/core/index.ts";
import {resolveTime, type SimTime} from "./faults.ts";
import {checkNumber} from "./options.ts";
import {resolveSelector, type Selector, type SelectorContext} from "./selector.ts";
import {EVENT_PAYLOAD_MIN, eventPayload} from "./serf-metrics.ts";
import type {Simulation} from "./simulation.ts";

/** When a send (or a schedule of them) happens. */
export interface TrafficSchedule {
  /** The (first) send: ms from the start, or "P%" of the duration. */
  readonly atMs: SimTime;
  /** Period of a repeated send; absent: one send. */
  readonly everyMs?: number;
  /** Each period is everyMs ± a uniform jitter up to this (< everyMs). Default 0. */
  readonly jitterMs?: number;
  /** Last time a repeated send may happen (ms or "P%"). Default: the end of the run. */
  readonly untilMs?: SimTime;
}

/** A user event (serf's `serf event`) sent by one node of `from`. */
export interface EventSpec extends TrafficSchedule {
  readonly from: Selector;
  readonly name: string;
  /** Payload size in bytes, 4..USER_EVENT_SIZE_MAX − name (serf's limit applies to name + payload). Default 16. */
  readonly payloadBytes?: number;
  /** Serf's coalesce flag (carried; the simulator's nodes deliver every event). Default false. */
  readonly coalesce?: boolean;
}

/** A user query (serf's `serf query`) sent by one node of `from`, answered by every node. */
export interface QuerySpec extends TrafficSchedule {
  readonly from: Selector;
  readonly name: string;
  /** Payload size in bytes. Default 0. */
  readonly payloadBytes?: number;
  /** Default: serf's gossipIntervalMs × 16 × ceil(log10(members + 1)). */
  readonly timeoutMs?: number;
  /** Each responder also answers through this many other members (0–5). Default 0. */
  readonly relayFactor?: number;
}

const SCHEDULE_FIELDS = ["atMs", "everyMs", "jitterMs", "untilMs", "from", "name", "payloadBytes"];
const EVENT_FIELDS = new Set([...SCHEDULE_FIELDS, "coalesce"]);
const QUERY_FIELDS = new Set([...SCHEDULE_FIELDS, "timeoutMs", "relayFactor"]);

/** Whether a scenario's lists ask for serf's layer. */
export function hasSerfTraffic(events: unknown, queries: unknown): boolean {
  return (Array.isArray(events) && events.length > 0) || (Array.isArray(queries) && queries.length > 0);
}

/** Node `from` sends a tracked user event now; false when it is not running (nothing sent). */
export function sendUserEvent(
  sim: Simulation,
  from: number,
  spec: {name: string; payloadBytes?: number; coalesce?: boolean},
): boolean {
  const serf = sim.serf;
  const metrics = sim.serfMetrics;
  if (serf === undefined || metrics === undefined) throw new InvalidConfigError("serf", "must be on to send events");
  if (serf.processOf(from) === 0) return false;
  const index = metrics.registerEvent(spec.name, from, sim.nowMs, serf.processes());
  if (index === undefined) return true; // past SERF_TRACKED_MAX: not sent, counted as untracked
  return serf.event(from, spec.name, eventPayload(index, spec.payloadBytes ?? 16), spec.coalesce ?? false);
}

/** Node `from` sends a tracked query now; false when it is not running. */
export function sendQuery(
  sim: Simulation,
  from: number,
  spec: {name: string; payloadBytes?: number; timeoutMs?: number; relayFactor?: number},
): boolean {
  const serf = sim.serf;
  const metrics = sim.serfMetrics;
  if (serf === undefined || metrics === undefined) throw new InvalidConfigError("serf", "must be on to send queries");
  if (serf.processOf(from) === 0) return false;
  const processes = serf.processes();
  const atMs = sim.nowMs;
  const sent = serf.query(from, spec.name, new Uint8Array(spec.payloadBytes ?? 0), {
    timeoutMs: spec.timeoutMs,
    relayFactor: spec.relayFactor,
  });
  if (sent === undefined) return false;
  const tracked = metrics.registerQuery({name: spec.name, from, atMs, ...sent}, processes);
  if (tracked !== undefined) sim.at(atMs + sent.timeoutMs, () => metrics.closeQuery(tracked, serf.processes()));
  return true;
}

/** Validates the scenario's `events` and `queries` and schedules every send on `sim` (serf on). */
export function scheduleSerfTraffic(
  sim: Simulation,
  events: readonly EventSpec[],
  queries: readonly QuerySpec[],
  ctx: SelectorContext,
  durationMs: number,
): void {
  if (!Array.isArray(events)) throw new InvalidConfigError("events", "must be an array");
  if (!Array.isArray(queries)) throw new InvalidConfigError("queries", "must be an array");
  if (sim.serf === undefined) throw new InvalidConfigError("serf", "must be on for events and queries");
  const random = createRandom((sim.options.seed ^ 0x7e57_ca11) >>> 0);
  events.forEach((spec, k) => {
    const field = `events[${k}]`;
    checkFields(field, spec, EVENT_FIELDS);
    const name = checkName(field, spec.name);
    const payloadBytes = checkNumber(
      `${field}.payloadBytes`,
      spec.payloadBytes ?? 16,
      EVENT_PAYLOAD_MIN,
      9 * 1024 - name.length,
      true,
    );
    if (spec.coalesce !== undefined && typeof spec.coalesce !== "boolean")
      throw new InvalidConfigError(`${field}.coalesce`, "must be a boolean");
    const send = {name, payloadBytes, coalesce: spec.coalesce ?? false};
    schedule(sim, field, spec, ctx, durationMs, random, (from) => sendUserEvent(sim, from, send));
  });
  queries.forEach((spec, k) => {
    const field = `queries[${k}]`;
    checkFields(field, spec, QUERY_FIELDS);
    const name = checkName(field, spec.name);
    if (name.startsWith("_serf_")) throw new InvalidConfigError(`${field}.name`, "must not start with _serf_");
    const payloadBytes = checkNumber(`${field}.payloadBytes`, spec.payloadBytes ?? 0, 0, 900, true);
    const send: {name: string; payloadBytes: number; timeoutMs?: number; relayFactor?: number} = {name, payloadBytes};
    if (spec.timeoutMs !== undefined) send.timeoutMs = checkNumber(`${field}.timeoutMs`, spec.timeoutMs, 1, 3_600_000);
    if (spec.relayFactor !== undefined)
      send.relayFactor = checkNumber(`${field}.relayFactor`, spec.relayFactor, 0, 5, true);
    schedule(sim, field, spec, ctx, durationMs, random, (from) => sendQuery(sim, from, send));
  });
}

function checkFields(field: string, spec: unknown, allowed: ReadonlySet<string>): void {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec))
    throw new InvalidConfigError(field, "must be an object");
  for (const key of Object.keys(spec)) {
    if (!allowed.has(key)) throw new InvalidConfigError(`${field}.${key}`, "is not a field of this entry");
  }
}

function checkName(field: string, name: unknown): string {
  if (typeof name !== "string" || name.length === 0 || name.length > 128)
    throw new InvalidConfigError(`${field}.name`, "must be a string of 1 to 128 characters");
  return name;
}

/** Puts one entry's sends on the clock: at atMs, then (periodic) every everyMs ± jitterMs until untilMs. */
function schedule(
  sim: Simulation,
  field: string,
  spec: TrafficSchedule & {readonly from: Selector},
  ctx: SelectorContext,
  durationMs: number,
  random: Random,
  send: (from: number) => boolean,
): void {
  const from = resolveSelector(`${field}.from`, spec.from, ctx);
  const at = resolveTime(`${field}.atMs`, spec.atMs, durationMs);
  const every =
    spec.everyMs === undefined ? undefined : checkNumber(`${field}.everyMs`, spec.everyMs, 1, 365 * 86_400_000);
  const jitter = checkNumber(`${field}.jitterMs`, spec.jitterMs ?? 0, 0, 365 * 86_400_000);
  if (every !== undefined && jitter >= every)
    throw new InvalidConfigError(`${field}.jitterMs`, "must be less than everyMs");
  if (every === undefined && (spec.jitterMs !== undefined || spec.untilMs !== undefined))
    throw new InvalidConfigError(`${field}.everyMs`, "must be set with jitterMs or untilMs");
  const until = spec.untilMs === undefined ? durationMs : resolveTime(`${field}.untilMs`, spec.untilMs, durationMs);
  const fire = (): void => {
    const running = from.filter((i) => sim.serf?.processOf(i) !== 0);
    if (running.length === 0 || !send(running[random.nextInt(running.length)] as number)) {
      if (sim.serfMetrics) sim.serfMetrics.skipped++;
    }
    if (every === undefined) return;
    const next = sim.nowMs + every + (jitter === 0 ? 0 : Math.round((random.nextFloat() * 2 - 1) * jitter));
    if (next <= until) sim.at(next, fire);
  };
  sim.at(at, fire);
}
