/*
 * Foca-style helpers to drive one SwimNode by hand: build a node, feed it packets from named
 * peers, and build protocol messages. Peers are named "a".."z" etc.; each name maps to a stable
 * loopback-like address (10.0.0.x:7946) so tests can talk about names only.
 */
import {
  type Address,
  type AliveMessage,
  createRandom,
  DEFAULT_VSN,
  type DeadMessage,
  type Effect,
  type Input,
  lanConfig,
  type Message,
  type PushNodeState,
  resolveConfig,
  type SuspectMessage,
  type SwimConfig,
  SwimNode,
  type Timer,
  type Vsn,
} from "../../src/core/index.ts";

const addresses = new Map<string, Address>();

/** A stable address for a member name (10.0.x.y:7946). */
export function addrOf(name: string): Address {
  let a = addresses.get(name);
  if (a === undefined) {
    const i = addresses.size + 1;
    a = {host: `10.0.${(i >> 8) & 255}.${i & 255}`, port: 7946};
    addresses.set(name, a);
  }
  return a;
}

export interface TestNodeOptions {
  readonly name?: string;
  readonly config?: Partial<SwimConfig>;
  readonly seed?: number;
  readonly incarnation?: number;
  readonly meta?: Uint8Array;
  /** Other members to insert as alive (incarnation 1) right after start. */
  readonly members?: readonly string[];
  /** Start time (ms). Default 0. */
  readonly nowMs?: number;
}

/** A started SwimNode plus the effects its start (and member inserts) produced. */
export interface TestNode {
  readonly node: SwimNode;
  readonly startEffects: Effect[];
}

/** A started node named `name` (default "self") with LAN config and a fixed seed. */
export function createTestNode(options: TestNodeOptions = {}): SwimNode {
  return createTestNodeWithEffects(options).node;
}

export function createTestNodeWithEffects(options: TestNodeOptions = {}): TestNode {
  const name = options.name ?? "self";
  const config = resolveConfig(options.config ?? {}, lanConfig());
  const init: {name: string; addr: Address; incarnation?: number; meta?: Uint8Array} = {name, addr: addrOf(name)};
  if (options.incarnation !== undefined) init.incarnation = options.incarnation;
  if (options.meta !== undefined) init.meta = options.meta;
  const node = new SwimNode(config, init, {random: createRandom(options.seed ?? 1)});
  const now = options.nowMs ?? 0;
  const startEffects = node.handle(now, {type: "start"});
  for (const m of options.members ?? []) {
    startEffects.push(...node.handle(now, packetFrom(m, alive(m, 1))));
  }
  return {node, startEffects};
}

/** A packet input from member `name` carrying `messages`. */
export function packetFrom(name: string, ...messages: Message[]): Input {
  return {type: "packet", from: addrOf(name), messages};
}

export function alive(
  node: string,
  incarnation: number,
  opts: {meta?: Uint8Array; vsn?: Vsn; addr?: Address} = {},
): AliveMessage {
  return {
    type: "alive",
    incarnation,
    node,
    addr: opts.addr ?? addrOf(node),
    meta: opts.meta ?? new Uint8Array(0),
    vsn: opts.vsn ?? DEFAULT_VSN,
  };
}

export function suspect(node: string, incarnation: number, from: string): SuspectMessage {
  return {type: "suspect", incarnation, node, from};
}

export function dead(node: string, incarnation: number, from: string): DeadMessage {
  return {type: "dead", incarnation, node, from};
}

export function pushState(
  name: string,
  state: PushNodeState["state"],
  incarnation: number,
  opts: {meta?: Uint8Array; vsn?: Vsn} = {},
): PushNodeState {
  return {
    name,
    addr: addrOf(name),
    incarnation,
    meta: opts.meta ?? new Uint8Array(0),
    state,
    vsn: opts.vsn ?? DEFAULT_VSN,
  };
}

/** A timer input. */
export function timerInput(timer: Extract<Input, {type: "timer"}>["timer"]): Input {
  return {type: "timer", timer};
}

/**
 * A tiny timer loop: every setTimer in `effects` (taken as set at `nowMs`) and in what firing them
 * returns is fired in time order, `steps` firings at most. Returns every effect seen, `effects` first.
 */
export function runTimers(node: SwimNode, nowMs: number, effects: readonly Effect[], steps: number): Effect[] {
  const all: Effect[] = [];
  const pending: {atMs: number; timer: Timer}[] = [];
  const take = (now: number, fx: readonly Effect[]) => {
    all.push(...fx);
    for (const e of fx) if (e.type === "setTimer") pending.push({atMs: now + e.delayMs, timer: e.timer});
  };
  take(nowMs, effects);
  for (let k = 0; k < steps && pending.length > 0; k++) {
    pending.sort((a, b) => a.atMs - b.atMs);
    const next = pending.shift() as {atMs: number; timer: Timer};
    take(next.atMs, node.handle(next.atMs, timerInput(next.timer)));
  }
  return all;
}
