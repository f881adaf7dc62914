/*
 * A tiny in-memory network of SwimNodes for core tests (not the simulator): one (timeMs, seq)
 * heap for timers and deliveries, fixed 1 ms latency, optional loss, partitions between named
 * groups, crash. Streams are delivered as request/response pairs with the same latency and fail
 * after their timeout when the link is cut. Messages pass by reference (no codec).
 */
import {
  type Address,
  createRandom,
  type Effect,
  formatAddress,
  type Input,
  lanConfig,
  type Notification,
  resolveConfig,
  type SwimConfig,
  SwimNode,
} from "../../src/core/index.ts";
import {Scheduler} from "../../src/runtime/scheduler.ts";
import {addrOf} from "./core-harness.ts";

interface Event {
  readonly node: string;
  readonly input: Input;
}

export interface ClusterOptions {
  readonly config?: Partial<SwimConfig>;
  readonly seed?: number;
  readonly latencyMs?: number;
  readonly lossRate?: number;
}

export class TestCluster {
  readonly nodes = new Map<string, SwimNode>();
  readonly events: {timeMs: number; node: string; event: Notification}[] = [];
  nowMs = 0;
  private readonly heap = new Scheduler<Event>();
  private readonly byAddr = new Map<string, string>();
  private readonly crashed = new Set<string>();
  private readonly cut = new Set<string>();
  private readonly config: SwimConfig;
  private readonly random;
  private readonly latencyMs: number;
  private readonly lossRate: number;
  private seedCounter: number;
  // Incoming stream ids (driver-allocated) → the opener and its own id.
  private readonly openStreams = new Map<number, {opener: string; openerId: number}>();
  private streamIds = 0;

  constructor(options: ClusterOptions = {}) {
    this.config = resolveConfig(options.config ?? {}, lanConfig());
    this.seedCounter = options.seed ?? 7;
    this.random = createRandom(this.seedCounter);
    this.latencyMs = options.latencyMs ?? 1;
    this.lossRate = options.lossRate ?? 0;
  }

  /** Adds and starts a node. */
  add(name: string): SwimNode {
    const node = new SwimNode(this.config, {name, addr: addrOf(name)}, {random: createRandom(this.seedCounter++)});
    this.nodes.set(name, node);
    this.byAddr.set(formatAddress(addrOf(name)), name);
    this.apply(name, node.handle(this.nowMs, {type: "start"}));
    return node;
  }

  node(name: string): SwimNode {
    const n = this.nodes.get(name);
    if (n === undefined) throw new Error(`no node ${name}`);
    return n;
  }

  /** Feeds an API input to a node now. */
  input(name: string, input: Input): Effect[] {
    const fx = this.node(name).handle(this.nowMs, input);
    this.apply(name, fx);
    return fx;
  }

  /** Cuts every link between group a and group b (both directions). */
  partition(a: readonly string[], b: readonly string[]): void {
    for (const x of a)
      for (const y of b) {
        this.cut.add(`${x}|${y}`);
        this.cut.add(`${y}|${x}`);
      }
  }

  heal(): void {
    this.cut.clear();
  }

  crash(name: string): void {
    this.crashed.add(name);
  }

  /** Runs events up to and including `untilMs`. */
  runUntil(untilMs: number): void {
    for (let top = this.heap.peek(); top !== undefined && top.timeMs <= untilMs; top = this.heap.peek()) {
      const item = this.heap.pop();
      if (item === undefined) break;
      this.nowMs = item.timeMs;
      this.dispatch(item.value);
    }
    this.nowMs = untilMs;
  }

  runFor(ms: number): void {
    this.runUntil(this.nowMs + ms);
  }

  /** The state `observer` has for `subject`, or undefined. */
  view(observer: string, subject: string): string | undefined {
    return this.node(observer).member(subject)?.state;
  }

  private linkUp(from: string, to: string): boolean {
    return !this.cut.has(`${from}|${to}`) && !this.crashed.has(to) && !this.crashed.has(from);
  }

  private dispatch(ev: Event): void {
    const node = this.nodes.get(ev.node);
    if (node === undefined) return;
    if (this.crashed.has(ev.node)) {
      if (ev.input.type === "streamRequest") this.failStream(ev.input.id);
      return;
    }
    this.apply(ev.node, node.handle(this.nowMs, ev.input));
  }

  private failStream(id: number): void {
    const open = this.openStreams.get(id);
    if (open === undefined) return;
    this.openStreams.delete(id);
    this.heap.push(this.nowMs + this.latencyMs, {
      node: open.opener,
      input: {type: "streamFailed", id: open.openerId, reason: "closed"},
    });
  }

  private apply(name: string, effects: readonly Effect[]): void {
    const self = addrOf(name);
    for (const e of effects) {
      switch (e.type) {
        case "send": {
          const to = this.byAddr.get(formatAddress(e.to));
          if (to === undefined || !this.linkUp(name, to)) break;
          if (this.lossRate > 0 && this.random.nextFloat() < this.lossRate) break;
          this.heap.push(this.nowMs + this.latencyMs, {
            node: to,
            input: {type: "packet", from: self, messages: e.messages},
          });
          break;
        }
        case "sendStream": {
          const to = this.byAddr.get(formatAddress(e.to));
          if (to === undefined || !this.linkUp(name, to)) {
            this.heap.push(this.nowMs + e.timeoutMs, {
              node: name,
              input: {type: "streamFailed", id: e.id, reason: "timeout"},
            });
            break;
          }
          const id = ++this.streamIds;
          this.openStreams.set(id, {opener: name, openerId: e.id});
          this.heap.push(this.nowMs + this.latencyMs, {
            node: to,
            input: {type: "streamRequest", id, from: self, message: e.message},
          });
          break;
        }
        case "streamReply":
        case "streamClose": {
          const open = this.openStreams.get(e.id);
          if (open === undefined) break;
          this.openStreams.delete(e.id);
          const input: Input =
            e.type === "streamReply"
              ? {type: "streamResponse", id: open.openerId, message: e.message}
              : {type: "streamFailed", id: open.openerId, reason: "closed"};
          if (!this.linkUp(name, open.opener)) {
            this.heap.push(this.nowMs + this.latencyMs, {
              node: open.opener,
              input: {type: "streamFailed", id: open.openerId, reason: "timeout"},
            });
            break;
          }
          this.heap.push(this.nowMs + this.latencyMs, {node: open.opener, input});
          break;
        }
        case "setTimer":
          this.heap.push(this.nowMs + e.delayMs, {node: name, input: {type: "timer", timer: e.timer}});
          break;
        case "notify":
          this.events.push({timeMs: this.nowMs, node: name, event: e.event});
          break;
        case "deliver":
        case "dropped":
          break;
      }
    }
  }
}

/** The address of a named member (re-exported for cluster tests). */
export function clusterAddr(name: string): Address {
  return addrOf(name);
}
