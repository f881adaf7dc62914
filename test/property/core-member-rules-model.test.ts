/*
 * Model-based test of the member table: random sequences of alive / suspect / dead
 * messages (and suspicion timers firing) are applied to a real SwimNode and to a ten-line
 * reference model of memberlist's precedence rules; after every step both must agree on every
 * member's state and incarnation, and our own incarnation. Addresses and metas are fixed, so the
 * address-change rules are out of scope here (members.test.ts covers them).
 */
import {fc, test} from "@fast-check/vitest";
import {describe, expect} from "vitest";
import type {SwimNode, Timer} from "../../src/core/index.ts";
import {alive, createTestNode, dead, packetFrom, suspect} from "../helpers/core-harness.ts";

type State = "alive" | "suspect" | "dead" | "left";
interface Model {
  members: Map<string, {state: State; inc: number}>;
  selfInc: number;
}
interface Real {
  node: SwimNode;
  now: number;
  timers: Map<string, Timer>;
}

const NAMES = ["a", "b", "c", "self"] as const;
const ACCUSERS = ["a", "b", "c", "x"] as const;

function step(real: Real, input: Parameters<SwimNode["handle"]>[1]): void {
  real.now += 10;
  for (const e of real.node.handle(real.now, input)) {
    if (e.type === "setTimer" && e.timer.type === "suspicionTimeout") real.timers.set(e.timer.node, e.timer);
  }
}

function check(m: Model, r: Real): void {
  expect(r.node.incarnation).toBe(m.selfInc);
  for (const name of NAMES) {
    if (name === "self") continue;
    const want = m.members.get(name);
    const got = r.node.member(name);
    expect(got === undefined ? undefined : {state: got.state, inc: got.incarnation}, name).toEqual(want);
  }
}

function refute(m: Model, accused: number): void {
  m.selfInc = Math.max(m.selfInc + 1, accused + 1);
}

class AliveCmd implements fc.Command<Model, Real> {
  readonly name: string;
  readonly inc: number;
  constructor(name: string, inc: number) {
    this.name = name;
    this.inc = inc;
  }
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    step(r, packetFrom("x", alive(this.name, this.inc)));
    if (this.name === "self") {
      if (this.inc > m.selfInc) refute(m, this.inc);
    } else {
      const k = m.members.get(this.name);
      if (k === undefined || this.inc > k.inc) m.members.set(this.name, {state: "alive", inc: this.inc});
    }
    check(m, r);
  }
  toString(): string {
    return `alive(${this.name}, ${this.inc})`;
  }
}

class SuspectCmd implements fc.Command<Model, Real> {
  readonly name: string;
  readonly inc: number;
  readonly from: string;
  constructor(name: string, inc: number, from: string) {
    this.name = name;
    this.inc = inc;
    this.from = from;
  }
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    step(r, packetFrom("x", suspect(this.name, this.inc, this.from)));
    if (this.name === "self") {
      if (this.inc >= m.selfInc) refute(m, this.inc);
    } else {
      const k = m.members.get(this.name);
      if (k !== undefined && this.inc >= k.inc && k.state === "alive")
        m.members.set(this.name, {state: "suspect", inc: this.inc});
    }
    check(m, r);
  }
  toString(): string {
    return `suspect(${this.name}, ${this.inc}, from ${this.from})`;
  }
}

class DeadCmd implements fc.Command<Model, Real> {
  readonly name: string;
  readonly inc: number;
  readonly from: string;
  constructor(name: string, inc: number, from: string) {
    this.name = name;
    this.inc = inc;
    this.from = from;
  }
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    step(r, packetFrom("x", dead(this.name, this.inc, this.from)));
    if (this.name === "self") {
      if (this.inc >= m.selfInc) refute(m, this.inc);
    } else {
      const k = m.members.get(this.name);
      if (k !== undefined && this.inc >= k.inc && (k.state === "alive" || k.state === "suspect")) {
        m.members.set(this.name, {state: this.from === this.name ? "left" : "dead", inc: this.inc});
      }
    }
    check(m, r);
  }
  toString(): string {
    return `dead(${this.name}, ${this.inc}, from ${this.from})`;
  }
}

class FireSuspicionCmd implements fc.Command<Model, Real> {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const timer = r.timers.get(this.name);
    if (timer === undefined) return;
    r.timers.delete(this.name);
    step(r, {type: "timer", timer});
    const k = m.members.get(this.name);
    if (k !== undefined && k.state === "suspect" && timer.type === "suspicionTimeout" && timer.incarnation === k.inc) {
      m.members.set(this.name, {state: "dead", inc: k.inc});
    }
    check(m, r);
  }
  toString(): string {
    return `fire(${this.name})`;
  }
}

const name = fc.constantFrom(...NAMES);
const other = fc.constantFrom("a", "b", "c");
const inc = fc.integer({min: 0, max: 5});
const from = fc.constantFrom(...ACCUSERS);

const commands = [
  fc.tuple(name, inc).map(([n, i]) => new AliveCmd(n, i)),
  fc.tuple(name, inc, from).map(([n, i, f]) => new SuspectCmd(n, i, f)),
  fc.tuple(name, inc, from).map(([n, i, f]) => new DeadCmd(n, i, f)),
  fc.tuple(name, inc).map(([n, i]) => new DeadCmd(n, i, n)),
  other.map((n) => new FireSuspicionCmd(n)),
];

describe("member table vs a reference model", () => {
  test.prop([fc.commands(commands, {maxCommands: 60})], {numRuns: 300})(
    "agrees with memberlist's precedence rules after every message",
    (cmds) => {
      const model: Model = {members: new Map(), selfInc: 1};
      const real: Real = {node: createTestNode({config: {gossipToTheDeadMs: 86_400_000}}), now: 0, timers: new Map()};
      fc.modelRun(() => ({model, real}), cmds);
    },
  );
});
