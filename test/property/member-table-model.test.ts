/*
 * Model-based test (fast-check commands) of the member table and its precedence rules
 * (member-table.ts: MemberTable; members.ts: aliveVerdict / suspectVerdict / deadVerdict) against a reference
 * model written from the spec (§7.4–§7.7, memberlist's aliveNode / suspectNode / deadNode):
 *
 *   alive(i)    unknown → alive(i); a different address is refused unless the member left
 *               (then it is taken whatever i); else i > known → alive(i); i ≤ known → ignored
 *   suspect(i)  unknown or i < known → ignored; alive → suspect(i); suspect → a confirmation
 *               (no change); dead/left → ignored
 *   dead(i)     unknown or i < known → ignored; dead/left → ignored; else dead(i), or left(i)
 *               when the sender is the member itself
 *   about self  suspect(≥ mine), dead(≥ mine), alive(> mine) are refuted: my incarnation
 *               becomes max(mine + 1, theirs + 1)
 *   reap        a dead or left member can be removed; it is then unknown again
 *
 * Commands apply messages the way SwimNode does (verdict, then the table change), and after
 * each one the table's name index, dense lists (others, live), insertion order, per-state
 * counts and push-pull version ranges (its Vsn tally, version-tally.ts) must match the model;
 * `sample` must return distinct members from the right pool that pass the filter.
 */
import fc from "fast-check";
import {describe, expect, it} from "vitest";
import {createRandom, DEFAULT_VSN, InternPools, type MemberState, type Vsn} from "../../src/core/index.ts";
import {isLive, MemberTable, NO_SLOT, SELF_SLOT} from "../../src/core/member-table.ts";
import {aliveVerdict, deadVerdict, type SelfContext, suspectVerdict} from "../../src/core/members.ts";
import {emptyRanges, versionedList} from "../../src/core/push-pull.ts";
import {checkProperty} from "../helpers/property-run.ts";

const SELF = "self";
const NAMES = [SELF, "m1", "m2", "m3", "m4", "m5", "m6"] as const;
const EMPTY = new Uint8Array(0);
/** Vsns an alive message may carry: the default, newer protocol and delegate, an older one, and one sent as a fresh array equal to the default. */
const VSNS: readonly Vsn[] = [DEFAULT_VSN, [1, 5, 5, 2, 5, 5], [1, 3, 1, 2, 4, 3], [...DEFAULT_VSN] as unknown as Vsn];
const addr = (name: string, variant: number) => ({host: `10.0.${variant}.${NAMES.indexOf(name as never)}`, port: 7946});

interface ModelMember {
  state: MemberState;
  incarnation: number;
  variant: number;
  vsn: Vsn;
}

interface Model {
  readonly members: Map<string, ModelMember>;
  selfIncarnation: number;
}

interface Real {
  readonly table: MemberTable;
  readonly random: ReturnType<typeof createRandom>;
  now: number;
}

function ctx(real: Real): SelfContext {
  return {selfName: SELF, leaving: false, nowMs: real.now, deadNodeReclaimMs: 0};
}

function refute(model: Model, real: Real, accused: number): void {
  const inc = Math.max(model.selfIncarnation + 1, accused + 1);
  model.selfIncarnation = inc;
  const t = real.table;
  t.setIncarnation(SELF_SLOT, Math.max(t.incarnationOf(SELF_SLOT) + 1, accused + 1));
}

function checkTable(model: Model, real: Real): void {
  const t = real.table;
  expect(t.incarnationOf(SELF_SLOT)).toBe(model.selfIncarnation);
  expect(t.size).toBe(model.members.size + 1);
  const others = Array.from({length: t.otherCount}, (_, i) => t.otherAt(i));
  expect(others.map((s) => t.nameOf(s)).sort()).toEqual([...model.members.keys()].sort());
  // Insertion order: the model's map keeps it too (an accept updates a member in place).
  expect(t.inOrder([]).map((s) => t.nameOf(s))).toEqual([SELF, ...model.members.keys()]);
  const counts = {alive: 0, suspect: 0, dead: 0, left: 0};
  let live = 0;
  for (const [name, m] of model.members) {
    const s = t.slotOf(name);
    expect(s, name).not.toBe(NO_SLOT);
    expect({state: t.stateOf(s), incarnation: t.incarnationOf(s), host: t.addrOf(s).host}).toEqual({
      state: m.state,
      incarnation: m.incarnation,
      host: addr(name, m.variant).host,
    });
    expect(t.isOther(s)).toBe(true);
    expect(t.isLiveOther(s)).toBe(isLive(m.state));
    counts[m.state]++;
    if (isLive(m.state)) live++;
  }
  expect({...t.counts}).toEqual(counts);
  expect(t.liveCount).toBe(live);
  const want = emptyRanges();
  versionedList([
    {name: SELF, state: "alive", vsn: DEFAULT_VSN},
    ...[...model.members].map(([n, m]) => ({name: n, state: m.state, vsn: m.vsn})),
  ]).ranges(want);
  const got = emptyRanges();
  t.versionRanges(got);
  expect(got).toEqual(want);
}

class AliveCommand implements fc.Command<Model, Real> {
  readonly name: string;
  readonly incarnation: number;
  readonly variant: number;
  readonly vsn: Vsn;
  constructor(name: string, incarnation: number, variant: number, vsn: Vsn) {
    this.name = name;
    this.incarnation = incarnation;
    this.variant = variant;
    this.vsn = vsn;
  }
  check = () => true;
  run(model: Model, real: Real): void {
    real.now += 10;
    const msg = {
      type: "alive" as const,
      incarnation: this.incarnation,
      node: this.name,
      addr: addr(this.name, this.name === SELF ? 0 : this.variant),
      meta: EMPTY,
      vsn: this.name === SELF ? DEFAULT_VSN : this.vsn,
    };
    const t = real.table;
    const known = t.slotOf(this.name);
    const verdict = aliveVerdict(t, known, msg, ctx(real));
    // Model.
    if (this.name === SELF) {
      const want =
        this.incarnation > model.selfIncarnation
          ? "refute"
          : this.incarnation < model.selfIncarnation
            ? "oldIncarnation"
            : "noop";
      expect(verdict).toBe(want);
      if (verdict === "refute") refute(model, real, this.incarnation);
    } else {
      const m = model.members.get(this.name);
      let want: string;
      if (m === undefined) {
        want = "insert";
        model.members.set(this.name, {
          state: "alive",
          incarnation: this.incarnation,
          variant: this.variant,
          vsn: this.vsn,
        });
      } else if (m.variant !== this.variant) {
        want = m.state === "left" ? "accept" : "addressConflict";
        if (want === "accept")
          Object.assign(m, {state: "alive", incarnation: this.incarnation, variant: this.variant, vsn: this.vsn});
      } else if (this.incarnation > m.incarnation) {
        want = "accept";
        Object.assign(m, {state: "alive", incarnation: this.incarnation, vsn: this.vsn});
      } else {
        want = this.incarnation < m.incarnation ? "oldIncarnation" : "noop";
      }
      expect(verdict).toBe(want);
      // Real: what SwimNode.onAlive does with the verdict.
      if (verdict === "insert") {
        t.add(msg.node, msg.addr, msg.incarnation, msg.meta, msg.vsn, "alive", real.now);
      } else if (verdict === "accept" && known !== NO_SLOT) {
        t.setIncarnation(known, msg.incarnation);
        t.setIdentity(known, msg.addr, t.metaOf(known), msg.vsn);
        t.setState(known, "alive", real.now);
      }
    }
    checkTable(model, real);
  }
  toString = () => `alive(${this.name}, ${this.incarnation}, addr ${this.variant}, vsn ${this.vsn.join(".")})`;
}

class SuspectCommand implements fc.Command<Model, Real> {
  readonly name: string;
  readonly incarnation: number;
  constructor(name: string, incarnation: number) {
    this.name = name;
    this.incarnation = incarnation;
  }
  check = () => true;
  run(model: Model, real: Real): void {
    real.now += 10;
    const t = real.table;
    const known = t.slotOf(this.name);
    const msg = {type: "suspect" as const, incarnation: this.incarnation, node: this.name, from: "m1"};
    // SwimNode keeps a suspicion exactly while the member is suspect.
    const verdict = suspectVerdict(t, known, msg, known !== NO_SLOT && t.stateOf(known) === "suspect", SELF);
    const m =
      this.name === SELF
        ? {state: "alive" as MemberState, incarnation: model.selfIncarnation, variant: 0}
        : model.members.get(this.name);
    let want: string;
    if (m === undefined) want = "unknownMember";
    else if (this.incarnation < m.incarnation) want = "oldIncarnation";
    else if (m.state === "suspect") want = "confirm";
    else if (m.state !== "alive") want = "noop";
    else if (this.name === SELF) want = "refute";
    else want = "accept";
    expect(verdict).toBe(want);
    if (want === "accept" && m !== undefined && known !== NO_SLOT) {
      Object.assign(m, {state: "suspect", incarnation: this.incarnation});
      t.setIncarnation(known, this.incarnation);
      t.setState(known, "suspect", real.now);
    }
    if (want === "refute") refute(model, real, this.incarnation);
    checkTable(model, real);
  }
  toString = () => `suspect(${this.name}, ${this.incarnation})`;
}

class DeadCommand implements fc.Command<Model, Real> {
  readonly name: string;
  readonly incarnation: number;
  readonly left: boolean;
  constructor(name: string, incarnation: number, left: boolean) {
    this.name = name;
    this.incarnation = incarnation;
    this.left = left;
  }
  check = () => true;
  run(model: Model, real: Real): void {
    real.now += 10;
    const t = real.table;
    const known = t.slotOf(this.name);
    const from = this.left ? this.name : "m1";
    const msg = {type: "dead" as const, incarnation: this.incarnation, node: this.name, from};
    const verdict = deadVerdict(t, known, msg, ctx(real));
    const m =
      this.name === SELF
        ? {state: "alive" as MemberState, incarnation: model.selfIncarnation, variant: 0}
        : model.members.get(this.name);
    let want: string;
    if (m === undefined) want = "unknownMember";
    else if (this.incarnation < m.incarnation) want = "oldIncarnation";
    else if (m.state === "dead" || m.state === "left") want = "noop";
    else if (this.name === SELF) want = "refute";
    else want = "accept";
    expect(verdict).toBe(want);
    if (want === "accept" && m !== undefined && known !== NO_SLOT) {
      Object.assign(m, {state: this.left ? "left" : "dead", incarnation: this.incarnation});
      t.setIncarnation(known, this.incarnation);
      t.setState(known, this.left ? "left" : "dead", real.now);
    }
    if (want === "refute") refute(model, real, this.incarnation);
    checkTable(model, real);
  }
  toString = () => `${this.left ? "left" : "dead"}(${this.name}, ${this.incarnation})`;
}

class ReapCommand implements fc.Command<Model, Real> {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  check = (model: Readonly<Model>) => {
    const m = model.members.get(this.name);
    return m !== undefined && (m.state === "dead" || m.state === "left");
  };
  run(model: Model, real: Real): void {
    model.members.delete(this.name);
    const slot = real.table.slotOf(this.name);
    const generation = real.table.generationOf(slot);
    real.table.remove(slot);
    expect(real.table.generationOf(slot)).not.toBe(generation);
    checkTable(model, real);
  }
  toString = () => `reap(${this.name})`;
}

class SampleCommand implements fc.Command<Model, Real> {
  readonly k: number;
  readonly includeNonLive: boolean;
  readonly onlyAlive: boolean;
  constructor(k: number, includeNonLive: boolean, onlyAlive: boolean) {
    this.k = k;
    this.includeNonLive = includeNonLive;
    this.onlyAlive = onlyAlive;
  }
  check = () => true;
  run(model: Model, real: Real): void {
    const t = real.table;
    const accept = (s: number) => !this.onlyAlive || t.stateOf(s) === "alive";
    const out = t.sample(this.k, real.random, accept, [], this.includeNonLive);
    const pool = [...model.members.entries()].filter(([, m]) => this.includeNonLive || isLive(m.state));
    const eligible = pool.filter(([, m]) => !this.onlyAlive || m.state === "alive").map(([n]) => n);
    const names = out.map((s) => t.nameOf(s));
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(eligible).toContain(n);
    // The pool is small (≤ 6 ≤ 4k for k ≥ 2), where sampling is an exact partial shuffle.
    if (pool.length <= 4 * this.k) expect(out.length).toBe(Math.min(this.k, eligible.length));
  }
  toString = () => `sample(${this.k}${this.includeNonLive ? ", all" : ""}${this.onlyAlive ? ", alive" : ""})`;
}

const name = fc.constantFrom(...NAMES);
const other = fc.constantFrom(...NAMES.slice(1));
const inc = fc.integer({min: 1, max: 6});
const commands = [
  fc
    .tuple(name, inc, fc.integer({min: 0, max: 1}), fc.constantFrom(...VSNS))
    .map(([n, i, v, vsn]) => new AliveCommand(n, i, v, vsn)),
  fc.tuple(name, inc).map(([n, i]) => new SuspectCommand(n, i)),
  fc.tuple(name, inc, fc.boolean()).map(([n, i, l]) => new DeadCommand(n, i, l)),
  other.map((n) => new ReapCommand(n)),
  fc.tuple(fc.integer({min: 0, max: 4}), fc.boolean(), fc.boolean()).map(([k, all, a]) => new SampleCommand(k, all, a)),
];

describe("member table model", () => {
  it("the member table applies alive, suspect, dead, left and reaping exactly as the precedence model", () => {
    checkProperty(
      "the member table applies alive, suspect, dead, left and reaping exactly as the precedence model",
      fc.record({seed: fc.integer({min: 0, max: 0xffff}), cmds: fc.commands(commands, {maxCommands: 80})}),
      ({seed, cmds}) => {
        const setup = () => {
          const self = {name: SELF, addr: addr(SELF, 0), incarnation: 1, meta: EMPTY, vsn: DEFAULT_VSN};
          return {
            model: {members: new Map<string, ModelMember>(), selfIncarnation: 1},
            real: {table: new MemberTable(self, new InternPools()), random: createRandom(seed), now: 0},
          };
        };
        fc.modelRun(setup, cmds);
        return true;
      },
      {numRuns: 150, file: import.meta.url, maxShrinks: 500},
    );
  });
});
