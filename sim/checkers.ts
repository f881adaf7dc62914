/*
 * The safety checker: watches the member events every observer emits and flags what SWIM with
 * incarnation numbers forbids (SWIM §4.2, memberlist's aliveNode/suspectNode/deadNode rules):
 *
 *   - an observer's incarnation for a member never decreases;
 *   - a node's own incarnation never decreases within one process;
 *   - only legal transitions (state before → event):
 *
 *       unknown|dead|left ──memberUp(inc > dead/left inc)──▶ alive
 *       alive   ──memberSuspect(inc ≥)──▶ suspect ──memberAlive(inc >)──▶ alive
 *       alive|suspect ──memberDown(inc ≥)──▶ dead      alive|suspect ──memberLeft(inc ≥)──▶ left
 *       alive ──memberUpdated(inc ≥)──▶ alive
 *
 *     and the member view an event carries has the state its type implies.
 *
 *   Reaping: memberlist forgets members dead or left for longer than GossipToTheDead, and the
 *   core does the same (without an event). A member dead/left for more than `reapAfterMs` may
 *   therefore come back as a first sight, at any incarnation — that memberUp is legal.
 *
 * Names are interned to small integers and each observer's view is a dense row (one byte of
 * state, a uint32 incarnation and a float64 time per member), so 2,000 observers × 2,000
 * members cost 52 MB. The property-test engineer reuses this class on any stream of (observer, event) pairs.
 */
import type {Notification} from "../src/core/index.ts";

/** A broken safety rule. */
export interface SafetyViolation {
  readonly timeMs: number;
  readonly observer: string;
  readonly member: string;
  readonly rule: "incarnationDecreased" | "illegalTransition" | "stateMismatch" | "selfIncarnationDecreased";
  readonly detail: string;
}

/** Options of a SafetyChecker. */
export interface SafetyCheckerInit {
  /** Violations kept in `violations` (all are counted). Default 100. */
  readonly maxViolations?: number;
  /** Members dead or left for longer than this may have been forgotten (the core's gossipToTheDeadMs). Default: never. */
  readonly reapAfterMs?: number;
}

const UNKNOWN = 0;
const ALIVE = 1;
const SUSPECT = 2;
const DEAD = 3;
const LEFT = 4;
const STATE_NAMES = ["unknown", "alive", "suspect", "dead", "left"] as const;
const STATE_CODE: Readonly<Record<string, number>> = {alive: ALIVE, suspect: SUSPECT, dead: DEAD, left: LEFT};

interface Row {
  state: Uint8Array;
  inc: Uint32Array;
  /** When the member became dead or left (ms, for the reaping rule). */
  since: Float64Array;
}

/** Checks incarnation monotonicity and legal member-state transitions per observer and member. */
export class SafetyChecker {
  // BOUNDED: one entry per distinct node name seen (the cluster's size, plus restarts reuse names).
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  // BOUNDED: one row per observer name; each row has one slot per interned name.
  private readonly rows: (Row | undefined)[] = [];
  // BOUNDED: one value per observer name.
  private readonly selfInc = new Map<string, number>();
  // BOUNDED: at most maxViolations entries.
  readonly violations: SafetyViolation[] = [];
  /** Every violation seen, including those not kept. */
  violationCount = 0;
  /** Events checked. */
  checked = 0;
  private readonly maxViolations: number;
  private readonly reapAfterMs: number;

  constructor(init: SafetyCheckerInit = {}) {
    this.maxViolations = init.maxViolations ?? 100;
    this.reapAfterMs = init.reapAfterMs ?? Number.POSITIVE_INFINITY;
  }

  /** True while no rule was broken. */
  get ok(): boolean {
    return this.violationCount === 0;
  }

  /** Checks one notification emitted by `observer` at `nowMs`. Node-level events are checked through observeSelf. */
  observe(nowMs: number, observer: string, event: Notification): void {
    if (event.type === "refuted") {
      this.observeSelf(nowMs, observer, event.incarnation);
      return;
    }
    if (event.type === "left" || event.type === "nameConflict") return;
    this.checked++;
    const m = event.member;
    const j = this.intern(m.name);
    const row = this.row(observer);
    const prev = row.state[j] as number;
    const prevInc = row.inc[j] as number;
    const inc = m.incarnation;
    const next = STATE_CODE[m.state] ?? UNKNOWN;
    const reaped =
      event.type === "memberUp" &&
      (prev === DEAD || prev === LEFT) &&
      nowMs - (row.since[j] as number) > this.reapAfterMs;
    if (prev !== UNKNOWN && inc < prevInc && !reaped) {
      this.violate(nowMs, observer, m.name, "incarnationDecreased", `${event.type}: ${prevInc} -> ${inc}`);
    }
    let legal: boolean;
    let expected: number;
    switch (event.type) {
      case "memberUp":
        expected = ALIVE;
        legal = prev === UNKNOWN || reaped || ((prev === DEAD || prev === LEFT) && inc > prevInc);
        break;
      case "memberSuspect":
        expected = SUSPECT;
        legal = prev === ALIVE && inc >= prevInc;
        break;
      case "memberAlive":
        expected = ALIVE;
        legal = prev === SUSPECT && inc > prevInc;
        break;
      case "memberDown":
        expected = DEAD;
        legal = (prev === ALIVE || prev === SUSPECT) && inc >= prevInc;
        break;
      case "memberLeft":
        expected = LEFT;
        legal = (prev === ALIVE || prev === SUSPECT) && inc >= prevInc;
        break;
      case "memberUpdated":
        expected = ALIVE;
        legal = prev === ALIVE && inc >= prevInc;
        break;
    }
    if (next !== expected) {
      this.violate(nowMs, observer, m.name, "stateMismatch", `${event.type} carries state ${m.state}`);
    }
    if (!legal) {
      this.violate(
        nowMs,
        observer,
        m.name,
        "illegalTransition",
        `${STATE_NAMES[prev]}(${prevInc}) -${event.type}-> ${m.state}(${inc})`,
      );
    }
    row.state[j] = expected;
    if (inc > prevInc || prev === UNKNOWN || reaped) row.inc[j] = inc;
    if ((expected === DEAD || expected === LEFT) && prev !== expected) row.since[j] = nowMs;
  }

  /** Checks a node's own incarnation (read after each input it handled). */
  observeSelf(nowMs: number, observer: string, incarnation: number): void {
    const prev = this.selfInc.get(observer);
    if (prev !== undefined && incarnation < prev) {
      this.violate(nowMs, observer, observer, "selfIncarnationDecreased", `${prev} -> ${incarnation}`);
    }
    if (prev === undefined || incarnation > prev) this.selfInc.set(observer, incarnation);
  }

  /** Forgets `observer`'s view and own incarnation: it restarted as a new process. */
  resetObserver(observer: string): void {
    const i = this.ids.get(observer);
    if (i !== undefined) this.rows[i] = undefined;
    this.selfInc.delete(observer);
  }

  /** The state and incarnation `observer` last reported for `member` (for tests and diagnoses). */
  viewOf(observer: string, member: string): {state: string; incarnation: number} {
    const i = this.ids.get(observer);
    const j = this.ids.get(member);
    const row = i === undefined ? undefined : this.rows[i];
    if (row === undefined || j === undefined || j >= row.state.length) return {state: "unknown", incarnation: 0};
    return {state: STATE_NAMES[row.state[j] as number] as string, incarnation: row.inc[j] as number};
  }

  private intern(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(name, id);
      this.names.push(name);
    }
    return id;
  }

  private row(observer: string): Row {
    const i = this.intern(observer);
    let row = this.rows[i];
    const need = this.names.length + 1;
    if (row === undefined) {
      const cap = Math.max(16, need * 2);
      row = {state: new Uint8Array(cap), inc: new Uint32Array(cap), since: new Float64Array(cap)};
      this.rows[i] = row;
    } else if (row.state.length < need + 1) {
      const cap = Math.max(need * 2, row.state.length * 2);
      const state = new Uint8Array(cap);
      const inc = new Uint32Array(cap);
      const since = new Float64Array(cap);
      state.set(row.state);
      inc.set(row.inc);
      since.set(row.since);
      row = {state, inc, since};
      this.rows[i] = row;
    }
    return row;
  }

  private violate(timeMs: number, observer: string, member: string, rule: SafetyViolation["rule"], detail: string) {
    this.violationCount++;
    if (this.violations.length < this.maxViolations) this.violations.push({timeMs, observer, member, rule, detail});
  }
}
