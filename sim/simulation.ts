/*
 * The simulation: n virtual nodes, each a real SwimNode, exchanging real codec bytes over the
 * virtual network, on the virtual clock. One loop pops the next event and hands it to its node:
 *
 *   event ──▶ node paused? ──yes──▶ parked until resume (timers and packets pile up)
 *               │ no
 *               ▼
 *            node slow and not yet delayed? ──yes──▶ re-queued slowMs later (once)
 *               │ no
 *               ▼
 *            decode bytes (decodePacket / decodeStream) ──▶ node.handle(now, input) ──▶ effects:
 *              send        → encodePacket → Network.datagram → packet event(s) at now + latency
 *              sendStream  → encodeStream → Network.stream → streamRequest event; timeout event
 *              streamReply → encodeStream → Network.stream → streamResponse event to the opener
 *              setTimer    → timer event at now + delay (tagged with the process generation)
 *              notify      → views, metrics, safety checker, trace
 *              pingComplete → (options.coordinates) the node's Vivaldi client, then setAckPayload
 *
 * Cluster labels (options.label / options.labels, src/codec/label.ts): each node encodes with its
 * own label and decodes expecting it, so nodes of different labels drop each other's bytes
 * (counted in metrics.labelMismatches) and, joining through the seeds of their own label, form
 * separate clusters.
 *
 * With options.serf, every node process also runs serf's layer (serf-nodes.ts): the core's
 * `deliver` effects go up to it, what it broadcasts is fed back to the core as a `broadcast`
 * input (queued while the current input's effects run, as the Driver does), its direct answers
 * leave as datagrams, its timers are virtual, and its state rides every push-pull.
 *
 * Sub-seeds for the network, for each node process (index, generation) and for scenario
 * choices are drawn from the one seed, so a run is a pure function of (seed, options, faults);
 * the trace hash proves it. A crash bumps the node's generation: its timers and its pending
 * stream exchanges die with it; packets to its address are dropped until a restart brings up
 * a new SwimNode with the same name and address (incarnation 1, so it must refute its way back).
 */
import {
  CodecContext,
  type DecodeError,
  decodePacket,
  decodeStream,
  encodedSize,
  encodePacket,
  encodeStream,
  GossipMemo,
  Keyring,
  type PacketDecodeOptions,
  type PacketOptions,
  type StreamDecodeOptions,
  type StreamOptions,
} from "../src/codec/index.ts";
import type {Coordinate} from "../src/coordinate/index.ts";
import {
  type Address,
  createRandom,
  type Effect,
  type Input,
  InvalidConfigError,
  type Message,
  type Notification,
  type Random,
  type StreamMessage,
  SwimNode,
  type Timer,
} from "../src/core/index.ts";
import type {SerfMember} from "../src/serf/index.ts";
import {SafetyChecker} from "./checkers.ts";
import {VirtualClock} from "./clock.ts";
import {type SimCoordinateStats, SimCoordinates} from "./coordinates.ts";
import {Metrics} from "./metrics.ts";
import {type BlockRule, Network} from "./network.ts";
import {resolveSimOptions, type SimInit, type SimOptions} from "./options.ts";
import {resolveSelector} from "./selector.ts";
import {SerfMetrics} from "./serf-metrics.ts";
import {SimSerf, type SimSerfHost} from "./serf-nodes.ts";
import {TraceHash} from "./trace.ts";
import {ClusterViews, VIEW_ALIVE, VIEW_DEAD, VIEW_LEFT, VIEW_SUSPECT} from "./views.ts";

/** The port every virtual node listens on. */
export const SIM_PORT = 7946;

const K_TIMER = 0;
const K_PACKET = 1;
const K_STREAM_REQUEST = 2;
const K_STREAM_RESPONSE = 3;
const K_STREAM_TIMEOUT = 4;
const K_ACTION = 5;
const K_SAMPLE = 6;
const K_BOOT = 7;
const K_STREAM_FAILED = 8;

interface NodeEvent {
  readonly k: typeof K_TIMER | typeof K_PACKET | typeof K_STREAM_REQUEST | typeof K_STREAM_RESPONSE;
  readonly node: number;
  readonly gen: number;
  readonly from: number;
  readonly timer: Timer | undefined;
  readonly bytes: Uint8Array | undefined;
  readonly key: number;
  delayed: boolean;
}

interface OtherEvent {
  readonly k: typeof K_STREAM_TIMEOUT | typeof K_STREAM_FAILED | typeof K_ACTION | typeof K_SAMPLE | typeof K_BOOT;
  readonly node: number;
  readonly gen: number;
  readonly key: number;
  readonly reason: string;
  readonly action: (() => void) | undefined;
  delayed: boolean;
}

type SimEvent = NodeEvent | OtherEvent;

interface Slot {
  readonly index: number;
  readonly name: string;
  readonly addr: Address;
  node: SwimNode | undefined;
  /** Process generation: bumped at every crash and restart. */
  gen: number;
  paused: boolean;
  // BOUNDED: what arrives during one pause (timers the core set plus packets addressed to it).
  parked: SimEvent[];
  slowMs: number;
  everStarted: boolean;
}

/** How the nodes of one label encode and decode. */
interface LabelCodec {
  readonly label: string;
  readonly packet: PacketOptions;
  /** A request on a stream the node opens (with the label header). */
  readonly stream: StreamOptions;
  /** A reply on a stream the node accepted (no header). */
  readonly reply: StreamOptions;
  readonly decode: PacketDecodeOptions & StreamDecodeOptions;
  readonly decodeReply: StreamDecodeOptions;
  /** Indices of this label's seeds: its first `seedNodes` nodes. */
  readonly seeds: number[];
}

interface StreamRecord {
  readonly opener: number;
  readonly openerGen: number;
  readonly openerId: number;
  readonly target: number;
  readonly bytes: Uint8Array;
}

/** A fault or operator action, as shown on the report's timeline. */
export interface TimelineEntry {
  readonly atMs: number;
  readonly kind: string;
  readonly label: string;
  /** For interval faults (a partition until healed, a pause, a flap's down phase). */
  endMs: number | null;
}

/** Options of runUntil. */
export interface RunUntilOptions {
  /** Give up after this much virtual time. */
  readonly maxMs: number;
}

/** Options of flap. */
export interface FlapOptions {
  /** Length of each down phase. */
  readonly downMs: number;
  /** Length of each up phase. */
  readonly upMs: number;
  /** Only from → to (default); false cuts both directions. */
  readonly oneWay?: boolean;
  /** Stop flapping (link up) at this absolute time. */
  readonly untilMs?: number;
}

function mix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

function hostOf(i: number): string {
  return `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
}

const NOTIFY_CODE: Readonly<Record<string, number>> = {
  memberUp: 1,
  memberSuspect: 2,
  memberAlive: 3,
  memberDown: 4,
  memberLeft: 5,
  memberUpdated: 6,
  refuted: 7,
  left: 8,
};

/** A deterministic simulated cluster. Create it with createSimulation. */
export class Simulation {
  readonly options: SimOptions;
  readonly network: Network;
  readonly views: ClusterViews;
  readonly metrics: Metrics;
  /** Undefined when the safety checker is off (options.safety false). */
  readonly safety: SafetyChecker | undefined;
  /** Faults and operator actions in the order they happened. BOUNDED: one per fault scheduled. */
  readonly timeline: TimelineEntry[] = [];
  /** Every node name, by index. */
  readonly names: readonly string[];
  private readonly clock = new VirtualClock<SimEvent>();
  private readonly hash = new TraceHash();
  private readonly slots: Slot[];
  // BOUNDED: one entry per node.
  private readonly indexByName = new Map<string, number>();
  // BOUNDED: one entry per node.
  private readonly indexByHost = new Map<string, number>();
  // BOUNDED: one per open stream exchange; each ends by reply, failure or its timeout event.
  private readonly streams = new Map<number, StreamRecord>();
  private nextStreamKey = 1;
  private readonly nodeSeedBase: number;
  private readonly choiceRandom: Random;
  /** One per distinct label; `codecOf[i]` is node i's. */
  private readonly codecs: LabelCodec[] = [];
  private readonly codecOf: LabelCodec[] = [];
  /**
   * What this simulation's encoding and decoding remember (codec/context.ts), and the InternPools
   * all its nodes share: owned by the simulation, so two simulations in one process are independent.
   */
  private readonly codec = new CodecContext();
  private readonly sizeOf = (m: Message): number => encodedSize(m, this.codec);
  private readonly delays: number[] = [0, 0];
  private readonly trace: ((line: string) => void) | undefined;
  private healRule: BlockRule[] = [];
  /** Every node's Vivaldi client, with options.coordinates. */
  private readonly coords: SimCoordinates | undefined;
  /** Nodes whose first boot is still scheduled; agreement is not judged before all have started. */
  private unbooted: number;
  /** Events handled so far. */
  eventsHandled = 0;
  /** Inputs handed to SwimNode.handle. */
  inputsHandled = 0;
  /** Called every ~4096 events with the current virtual time (for progress bars). */
  onProgress: ((nowMs: number) => void) | undefined;
  /** Serf's layer on every node process (options.serf), and what it delivered; undefined otherwise. */
  readonly serf: SimSerf | undefined;
  readonly serfMetrics: SerfMetrics | undefined;
  /** True while one input's effects run; inputs fed meanwhile (by serf's layer) wait in `later`. */
  private feeding = false;
  // BOUNDED: what serf's layers broadcast while one input's effects run; drained before feed returns.
  private readonly later: {slot: Slot; input: Input}[] = [];

  constructor(init: SimInit) {
    const options = resolveSimOptions(init);
    this.options = options;
    this.trace = options.trace;
    const master = createRandom(options.seed);
    const networkSeed = master.nextUint32();
    this.nodeSeedBase = master.nextUint32();
    this.choiceRandom = createRandom(master.nextUint32());
    const bootRandom = createRandom(master.nextUint32());
    this.network = new Network(
      {
        nodes: options.nodes,
        latency: options.latency,
        lossRate: options.lossRate,
        duplicateRate: options.duplicateRate,
        reorderRate: options.reorderRate,
        reorderMs: options.reorderMs,
      },
      createRandom(networkSeed),
    );
    this.views = new ClusterViews(options.nodes);
    this.coords = options.coordinates ? new SimCoordinates(options.nodes) : undefined;
    this.metrics = new Metrics(options.nodes, options.sampleIntervalMs);
    this.safety = options.safety ? new SafetyChecker({reapAfterMs: options.config.gossipToTheDeadMs}) : undefined;
    let keyring: Keyring | undefined;
    if (options.keys.length > 0) {
      try {
        keyring = Keyring.fromBase64([...options.keys]);
      } catch (error) {
        throw new InvalidConfigError("keys", `must be base64 AES keys of 16, 24 or 32 bytes`, {cause: error});
      }
    }
    const context = this.codec;
    // One memo for all virtual nodes: decoding is a pure function of the bytes, so sharing it
    // changes no result, only how often a repeated gossip part is walked (gossip-memo.ts).
    const memo = options.decodeMemo ? new GossipMemo(16_384, context) : undefined;
    const codecFor = (label: string): LabelCodec => {
      const known = this.codecs.find((c) => c.label === label);
      if (known !== undefined) return known;
      const crypt = keyring ? {keyring} : {};
      const labelled = label === "" ? {} : {label};
      const stream: StreamOptions = {compress: options.compress, context, ...crypt, ...labelled};
      const decode = {...crypt, ...(memo ? {memo} : {}), context, ...labelled};
      const made: LabelCodec = {
        label,
        packet: {compress: options.compress, crc: options.crc, context, ...crypt, ...labelled},
        stream,
        reply: {...stream, reply: true},
        decode,
        decodeReply: {...decode, reply: true},
        seeds: [],
      };
      this.codecs.push(made);
      return made;
    };
    const labelOf = this.resolveLabels(options);
    for (let i = 0; i < options.nodes; i++) {
      const codec = codecFor(labelOf.get(i) ?? options.label);
      this.codecOf.push(codec);
      if (codec.seeds.length < options.seedNodes) codec.seeds.push(i);
    }
    const names: string[] = [];
    this.slots = [];
    for (let i = 0; i < options.nodes; i++) {
      const name = `n${i}`;
      const host = hostOf(i);
      names.push(name);
      this.indexByName.set(name, i);
      this.indexByHost.set(host, i);
      this.slots.push({
        index: i,
        name,
        addr: {host, port: SIM_PORT},
        node: undefined,
        gen: 0,
        paused: false,
        parked: [],
        slowMs: 0,
        everStarted: false,
      });
    }
    this.names = names;
    if (options.serf) {
      this.serfMetrics = new SerfMetrics(names);
      this.serf = new SimSerf(options.nodes, mix32(this.nodeSeedBase ^ 0x5e4f_5e4f), this.serfHost(), this.serfMetrics);
    } else {
      this.serfMetrics = undefined;
      this.serf = undefined;
    }
    this.unbooted = options.nodes;
    // Bootstrap: node 0 (the first node of each label) at t = 0, the others spread over
    // joinSpreadMs, all joining through the seeds of their label.
    for (let i = 0; i < options.nodes; i++) {
      const first = (this.codecOf[i] as LabelCodec).seeds[0] === i;
      const at = first ? 0 : Math.floor(bootRandom.nextFloat() * options.joinSpreadMs);
      this.clock.at(at, this.other(K_BOOT, i, 0, 0, "", undefined));
    }
    this.metrics.expectConvergence("bootstrap", 0);
    this.clock.at(options.sampleIntervalMs, this.other(K_SAMPLE, -1, 0, 0, "", undefined));
  }

  // ---------------------------------------------------------------- reading the state

  /** Current virtual time in ms. */
  get nowMs(): number {
    return this.clock.nowMs;
  }

  /** The running hash of the whole event trace (16 hex digits). Same seed and options ⇒ same hash. */
  get traceHash(): string {
    return this.hash.digest();
  }

  /** Records folded into the trace hash so far. */
  get traceRecords(): number {
    return this.hash.records;
  }

  /** Index of a node name; throws InvalidConfigError for an unknown name. */
  indexOf(name: string): number {
    const i = this.indexByName.get(name);
    if (i === undefined) throw new InvalidConfigError("node", `unknown node ${JSON.stringify(name)}`);
    return i;
  }

  /** The running SwimNode of `name` (undefined while crashed or not yet started). */
  node(name: string): SwimNode | undefined {
    return this.slots[this.indexOf(name)]?.node;
  }

  /** The address of `name`. */
  addressOf(name: string): Address {
    return (this.slots[this.indexOf(name)] as Slot).addr;
  }

  /** Is `name`'s process running (paused counts as running)? */
  isUp(name: string): boolean {
    return (this.slots[this.indexOf(name)] as Slot).node !== undefined;
  }

  /** Is `name` paused? */
  isPaused(name: string): boolean {
    return (this.slots[this.indexOf(name)] as Slot).paused;
  }

  /** Names of running nodes. */
  live(): string[] {
    return this.slots.filter((s) => s.node !== undefined).map((s) => s.name);
  }

  /** Every node name except `names`. */
  others(names: string | readonly string[]): string[] {
    const except = new Set(typeof names === "string" ? [names] : names);
    for (const n of except) this.indexOf(n);
    return this.names.filter((n) => !except.has(n));
  }

  /** Do all running nodes see exactly the running nodes as members (alive or suspect)? O(1). */
  allAgree(): boolean {
    return this.views.agree();
  }

  /** The cluster label of `name` ("" when unlabelled). */
  labelOf(name: string): string {
    return (this.codecOf[this.indexOf(name)] as LabelCodec).label;
  }

  /** A Random for scenario choices (which nodes fail, and so on), derived from the seed. */
  get choices(): Random {
    return this.choiceRandom;
  }

  // ---------------------------------------------------------------- running

  /** Runs every event up to now + ms; now is then exactly now + ms. */
  runForMs(ms: number): void {
    if (!(ms >= 0)) throw new InvalidConfigError("ms", "must be a number ≥ 0");
    const until = this.clock.nowMs + ms;
    while (this.step(until)) {
      // keep going
    }
    this.clock.advanceTo(until);
  }

  /**
   * Runs until `pred()` holds (checked before starting and after every event) or `maxMs` of
   * virtual time passed. Returns whether it held.
   */
  runUntil(pred: () => boolean, options: RunUntilOptions): boolean {
    if (!(options.maxMs >= 0)) throw new InvalidConfigError("maxMs", "must be a number ≥ 0");
    if (pred()) return true;
    const until = this.clock.nowMs + options.maxMs;
    while (this.step(until)) {
      if (pred()) return true;
    }
    this.clock.advanceTo(until);
    return pred();
  }

  /** Calls `action` at absolute virtual time `atMs` (now if in the past). */
  at(atMs: number, action: () => void): void {
    this.clock.at(atMs, this.other(K_ACTION, -1, 0, 0, "", action));
  }

  // ---------------------------------------------------------------- faults

  /** Cuts both directions between every node of `a` and every node of `b` until heal(). */
  partition(a: readonly string[], b: readonly string[]): void {
    const ia = a.map((n) => this.indexOf(n));
    const ib = b.map((n) => this.indexOf(n));
    this.healRule.push(this.network.block(ia, ib, "partition"), this.network.block(ib, ia, "partition"));
    this.note("partition", `${describe(a)} | ${describe(b)}`, true);
  }

  /** Cuts only from → to (the to side still reaches the from side) until heal(). */
  partitionOneWay(from: readonly string[], to: readonly string[]): void {
    const rule = this.network.block(
      from.map((n) => this.indexOf(n)),
      to.map((n) => this.indexOf(n)),
      "partitionOneWay",
    );
    this.healRule.push(rule);
    this.note("partitionOneWay", `${describe(from)} -> ${describe(to)}`, true);
  }

  /** Removes every partition and stops every flap. Agreement is awaited from now. */
  heal(): void {
    this.network.clearBlocks();
    this.healRule = [];
    for (const entry of this.timeline) {
      if (entry.endMs === null && (entry.kind.startsWith("partition") || entry.kind === "flap")) {
        entry.endMs = this.nowMs;
      }
    }
    this.note("heal", "all links restored", false);
    this.metrics.expectConvergence("heal", this.nowMs);
  }

  /** A link that goes down for downMs and up for upMs, repeatedly, starting down now. */
  flap(from: readonly string[], to: readonly string[], options: FlapOptions): void {
    if (!(options.downMs > 0) || !(options.upMs > 0)) {
      throw new InvalidConfigError("flap", "downMs and upMs must be > 0");
    }
    const fi = from.map((n) => this.indexOf(n));
    const ti = to.map((n) => this.indexOf(n));
    const rules = [this.network.block(fi, ti, "flap")];
    if (options.oneWay === false) rules.push(this.network.block(ti, fi, "flap"));
    const label = `${describe(from)} ${options.oneWay === false ? "<->" : "->"} ${describe(to)}`;
    const until = options.untilMs ?? Number.POSITIVE_INFINITY;
    let entry = this.note("flap", label, true);
    const toggle = (down: boolean): void => {
      if (!this.network.blockRules().includes(rules[0] as BlockRule)) return; // healed
      if (this.nowMs >= until) {
        for (const r of rules) this.network.unblock(r);
        if (entry.endMs === null) entry.endMs = this.nowMs;
        return;
      }
      for (const r of rules) r.active = down;
      if (down) entry = this.note("flap", label, true);
      else entry.endMs = this.nowMs;
      this.at(this.nowMs + (down ? options.downMs : options.upMs), () => toggle(!down));
    };
    this.at(this.nowMs + options.downMs, () => toggle(false));
  }

  /** Sets extra loss on everything `name` receives and/or sends (a flaky NIC). */
  setNodeLoss(name: string, loss: {ingress?: number; egress?: number}): void {
    const i = this.indexOf(name);
    if (loss.ingress !== undefined) this.network.ingressLoss[i] = checkRate("ingress", loss.ingress);
    if (loss.egress !== undefined) this.network.egressLoss[i] = checkRate("egress", loss.egress);
    this.note("loss", `${name} in ${loss.ingress ?? 0} out ${loss.egress ?? 0}`, false);
  }

  /** Sets the latency of the one-way link a → b. */
  setLinkLatency(a: string, b: string, latency: {minMs: number; jitterMeanMs: number}): void {
    this.network.setLink(this.indexOf(a), this.indexOf(b), {latency});
  }

  /**
   * Sets the one-way latency of every link between a node of `a` and a node of `b`, both
   * directions (a node in both groups gets no link to itself): latency groups such as two
   * datacentres, `setGroupLatency(dc1, dc2, {minMs: 10, jitterMeanMs: 0})`, or within one,
   * `setGroupLatency(dc1, dc1, …)`.
   */
  setGroupLatency(a: readonly string[], b: readonly string[], latency: {minMs: number; jitterMeanMs: number}): void {
    for (const x of a) {
      for (const y of b) {
        if (x === y) continue;
        this.setLinkLatency(x, y, latency);
        this.setLinkLatency(y, x, latency);
      }
    }
  }

  /** `name`'s network coordinate (options.coordinates); undefined while it is down or without coordinates. */
  coordinateOf(name: string): Coordinate | undefined {
    return this.coords?.coordinateOf(this.indexOf(name));
  }

  /**
   * The RTT in ms between `a` and `b` estimated from their own coordinates (serf's DistanceTo);
   * undefined without options.coordinates or while one is down.
   */
  estimatedRttMs(a: string, b: string): number | undefined {
    return this.coords?.estimatedRttMs(this.indexOf(a), this.indexOf(b));
  }

  /** What the coordinate updates did (undefined without options.coordinates). */
  get coordinateStats(): Readonly<SimCoordinateStats> | undefined {
    return this.coords?.stats;
  }

  /** Stops `name`'s process: state lost, timers dead, packets to it dropped. */
  crash(name: string): void {
    const i = this.indexOf(name);
    const slot = this.slots[i] as Slot;
    if (slot.node === undefined) return;
    slot.node = undefined;
    slot.gen++;
    slot.paused = false;
    slot.parked = [];
    this.serf?.stop(i);
    this.coords?.crash(i);
    this.views.nodeDown(i);
    this.metrics.onCrash(this.nowMs, i, this.views);
    this.hash.record(20, i, slot.gen);
    this.note("crash", name, false);
  }

  /** Starts a new process for `name` (same name and address, incarnation 1) that joins through the seeds. */
  restart(name: string): void {
    const i = this.indexOf(name);
    const slot = this.slots[i] as Slot;
    if (slot.node !== undefined) this.crash(name);
    this.boot(i, true);
    this.note("restart", name, false);
    this.metrics.expectConvergence("restart", this.nowMs);
  }

  /** Freezes `name` for durationMs (a GC stop / SIGSTOP): nothing is processed; all of it runs on resume. */
  pause(name: string, durationMs?: number): void {
    const i = this.indexOf(name);
    const slot = this.slots[i] as Slot;
    if (slot.node === undefined || slot.paused) return;
    slot.paused = true;
    const gen = slot.gen;
    const entry = this.note("pause", name, true);
    this.hash.record(21, i, gen);
    if (durationMs !== undefined) {
      this.at(this.nowMs + durationMs, () => {
        if (slot.gen === gen) this.resume(name);
        entry.endMs = this.nowMs;
      });
    }
  }

  /** Ends a pause: everything that piled up is handled now, in arrival order. */
  resume(name: string): void {
    const i = this.indexOf(name);
    const slot = this.slots[i] as Slot;
    if (!slot.paused) return;
    slot.paused = false;
    const parked = slot.parked;
    slot.parked = [];
    for (const ev of parked) this.clock.at(this.nowMs, ev);
    for (const entry of this.timeline)
      if (entry.kind === "pause" && entry.label === name && entry.endMs === null) entry.endMs = this.nowMs;
    this.hash.record(22, i, parked.length);
    this.metrics.expectConvergence("resume", this.nowMs);
  }

  /** Makes `name` handle everything `delayMs` late (0 restores it). */
  slow(name: string, delayMs: number): void {
    const slot = this.slots[this.indexOf(name)] as Slot;
    if (!(delayMs >= 0)) throw new InvalidConfigError("delayMs", "must be a number ≥ 0");
    slot.slowMs = delayMs;
    this.note("slow", `${name} +${delayMs} ms`, false);
  }

  /** Asks `name` to leave gracefully. */
  leave(name: string): void {
    const i = this.indexOf(name);
    const slot = this.slots[i] as Slot;
    if (slot.node === undefined) return;
    this.note("leave", name, false);
    this.feed(slot, {type: "leave"});
  }

  /**
   * An operator join: `name` push-pulls with `seeds` now, as `lifeline join` would make it (the
   * core also remembers them). Between nodes of different labels the streams are refused.
   */
  join(name: string, seeds: readonly string[]): void {
    const slot = this.slots[this.indexOf(name)] as Slot;
    const addrs = seeds.map((seed) => this.addressOf(seed));
    if (slot.node === undefined || addrs.length === 0) return;
    this.note("join", `${name} → ${seeds.join(",")}`, false);
    this.feed(slot, {type: "join", seeds: addrs});
  }

  // ---------------------------------------------------------------- internals

  private note(kind: string, label: string, interval: boolean): TimelineEntry {
    const entry: TimelineEntry = {atMs: this.nowMs, kind, label, endMs: interval ? null : this.nowMs};
    if (this.timeline.length < 10_000) this.timeline.push(entry);
    this.trace?.(`${this.nowMs} * ${kind} ${label}`);
    return entry;
  }

  private other(
    k: OtherEvent["k"],
    node: number,
    gen: number,
    key: number,
    reason: string,
    action: (() => void) | undefined,
  ): OtherEvent {
    return {k, node, gen, key, reason, action, delayed: false};
  }

  private nodeEvent(
    k: NodeEvent["k"],
    node: number,
    gen: number,
    from: number,
    timer: Timer | undefined,
    bytes: Uint8Array | undefined,
    key: number,
  ): NodeEvent {
    return {k, node, gen, from, timer, bytes, key, delayed: false};
  }

  /** Node index → label from options.labels (nodes not listed are absent: they take options.label). */
  private resolveLabels(options: SimOptions): Map<number, string> {
    const out = new Map<number, string>();
    const names: string[] = [];
    for (let i = 0; i < options.nodes; i++) names.push(`n${i}`);
    const ctx = {names, seedNodes: options.seedNodes, random: this.choiceRandom, groups: new Map()};
    for (const [label, selector] of Object.entries(options.labels)) {
      for (const i of resolveSelector(`labels.${label}`, selector, ctx)) {
        const other = out.get(i);
        if (other !== undefined) {
          throw new InvalidConfigError(
            "labels",
            `node n${i} is selected by both ${JSON.stringify(other)} and ${JSON.stringify(label)}`,
          );
        }
        out.set(i, label);
      }
    }
    return out;
  }

  private boot(i: number, restart: boolean): void {
    const slot = this.slots[i] as Slot;
    slot.gen++;
    const seed = mix32(this.nodeSeedBase ^ mix32(Math.imul(i + 1, 0x9e3779b9) + Math.imul(slot.gen, 0x85ebca6b)));
    const node = new SwimNode(
      this.options.config,
      {name: slot.name, addr: slot.addr},
      {random: createRandom(seed), sizeOf: this.sizeOf, intern: this.codec.intern},
    );
    slot.node = node;
    slot.paused = false;
    slot.parked = [];
    // A setAckPayload input has no effects: handled directly, before start as an agent does.
    if (this.coords) node.handle(this.nowMs, {type: "setAckPayload", payload: this.coords.boot(i, seed)});
    if (!slot.everStarted) this.unbooted--;
    slot.everStarted = true;
    this.views.nodeUp(i);
    this.safety?.resetObserver(slot.name);
    if (restart) this.metrics.onRestart(i);
    this.hash.record(23, i, slot.gen);
    this.trace?.(`${this.nowMs} ${slot.name} boot gen=${slot.gen}`);
    this.serf?.boot(i, slot.name, slot.gen);
    this.feed(slot, {type: "start"});
    // The seeds of node i's label (without labels: nodes 0 .. seedNodes - 1).
    const {seeds: seedIndices, label} = this.codecOf[i] as LabelCodec;
    const seeds: Address[] = [];
    for (const s of seedIndices) if (s !== i && s < i) seeds.push((this.slots[s] as Slot).addr);
    if (restart || !seedIndices.includes(i)) {
      seeds.length = 0;
      for (const s of seedIndices) if (s !== i) seeds.push((this.slots[s] as Slot).addr);
      if (seeds.length === 0) {
        const other = this.slots.find(
          (s) => s.index !== i && s.node !== undefined && (this.codecOf[s.index] as LabelCodec).label === label,
        );
        if (other !== undefined) seeds.push(other.addr);
      }
    }
    if (seeds.length > 0 && slot.node === node) this.feed(slot, {type: "join", seeds});
  }

  /** Pops and handles one event due by `until`; false when none is left. */
  private step(until: number): boolean {
    const item = this.clock.next(until);
    if (item === undefined) return false;
    const ev = item.value;
    const now = item.timeMs;
    this.eventsHandled++;
    if ((this.eventsHandled & 4095) === 0) this.onProgress?.(now);
    switch (ev.k) {
      case K_ACTION:
        this.hash.record(K_ACTION, 0);
        (ev.action as () => void)();
        break;
      case K_SAMPLE:
        this.metrics.sample(now, this.views);
        this.clock.at(now + this.options.sampleIntervalMs, ev);
        break;
      case K_BOOT:
        if (!(this.slots[ev.node] as Slot).everStarted) this.boot(ev.node, false);
        break;
      case K_STREAM_TIMEOUT:
      case K_STREAM_FAILED:
        this.streamEnd(ev);
        break;
      default:
        this.deliver(ev);
    }
    if (
      this.views.disagreements === 0 &&
      this.unbooted === 0 &&
      this.views.live > 0 &&
      this.metrics.awaitingAgreement()
    ) {
      this.metrics.onAgreement(now, this.views);
    }
    return true;
  }

  /** A stream timed out or was refused/closed: tell the opener if it still waits. */
  private streamEnd(ev: OtherEvent): void {
    const record = this.streams.get(ev.key);
    if (record === undefined) return;
    const slot = this.slots[record.opener] as Slot;
    if (slot.gen !== record.openerGen || slot.node === undefined) {
      this.streams.delete(ev.key);
      return;
    }
    if (this.parkOrDelay(slot, ev)) return;
    this.streams.delete(ev.key);
    this.hash.record(ev.k, record.opener, ev.key);
    this.feed(slot, {type: "streamFailed", id: record.openerId, reason: ev.reason});
  }

  /** True when the event was parked (paused node) or pushed back (slow node). */
  private parkOrDelay(slot: Slot, ev: SimEvent): boolean {
    if (slot.paused) {
      slot.parked.push(ev);
      return true;
    }
    if (slot.slowMs > 0 && !ev.delayed) {
      ev.delayed = true;
      this.clock.at(this.clock.nowMs + slot.slowMs, ev);
      return true;
    }
    ev.delayed = false;
    return false;
  }

  private deliver(ev: NodeEvent): void {
    const slot = this.slots[ev.node] as Slot;
    switch (ev.k) {
      case K_TIMER: {
        if (slot.gen !== ev.gen || slot.node === undefined) return;
        if (this.parkOrDelay(slot, ev)) return;
        this.hash.record(K_TIMER, ev.node, 0);
        this.feed(slot, {type: "timer", timer: ev.timer as Timer});
        return;
      }
      case K_PACKET: {
        if (slot.node === undefined) {
          this.metrics.toDownNode++;
          return;
        }
        if (this.parkOrDelay(slot, ev)) return;
        const bytes = ev.bytes as Uint8Array;
        this.hash.record(K_PACKET, ev.node, ev.from, bytes.length);
        let messages: Message[];
        try {
          messages = decodePacket(bytes, (this.codecOf[ev.node] as LabelCodec).decode);
        } catch (error) {
          if ((error as DecodeError).code === "labelMismatch") this.metrics.labelMismatches++;
          else this.metrics.decodeErrors++;
          this.trace?.(`${this.clock.nowMs} ${slot.name} decodeError ${(error as Error).message}`);
          return;
        }
        this.feed(slot, {type: "packet", from: (this.slots[ev.from] as Slot).addr, messages});
        return;
      }
      case K_STREAM_REQUEST: {
        const record = this.streams.get(ev.key);
        if (record === undefined) return; // the opener gave up already and its timeout fired
        if (slot.node === undefined) {
          // Connection refused: the opener learns after the RST travels back.
          this.metrics.toDownNode++;
          const back = this.network.stream(ev.node, record.opener);
          if (back >= 0)
            this.clock.at(
              this.clock.nowMs + back,
              this.other(K_STREAM_FAILED, record.opener, 0, ev.key, "connection refused", undefined),
            );
          return;
        }
        if (this.parkOrDelay(slot, ev)) return;
        const bytes = ev.bytes as Uint8Array;
        this.hash.record(K_STREAM_REQUEST, ev.node, ev.from, bytes.length);
        const message = this.decodeStreamBytes(ev.node, bytes, false);
        if (message === undefined) {
          this.clock.at(
            this.clock.nowMs + 1,
            this.other(K_STREAM_FAILED, record.opener, 0, ev.key, "bad stream bytes", undefined),
          );
          return;
        }
        this.feed(slot, {type: "streamRequest", id: ev.key, from: (this.slots[ev.from] as Slot).addr, message});
        if (message.type === "pushPull") this.serf?.mergeState(ev.node, message.userState, message.join);
        return;
      }
      case K_STREAM_RESPONSE: {
        const record = this.streams.get(ev.key);
        if (record === undefined || slot.gen !== record.openerGen || slot.node === undefined) {
          this.metrics.lateStreamReplies++;
          return;
        }
        if (this.parkOrDelay(slot, ev)) return;
        if (!this.streams.has(ev.key)) return;
        this.streams.delete(ev.key);
        const bytes = ev.bytes as Uint8Array;
        this.hash.record(K_STREAM_RESPONSE, ev.node, ev.from, bytes.length);
        const message = this.decodeStreamBytes(ev.node, bytes, true);
        if (message === undefined) {
          this.feed(slot, {type: "streamFailed", id: record.openerId, reason: "bad stream bytes"});
          return;
        }
        this.feed(slot, {type: "streamResponse", id: record.openerId, message});
        if (message.type === "pushPull") this.serf?.mergeState(ev.node, message.userState, message.join);
        return;
      }
    }
  }

  /** Decodes the stream bytes node `i` received: a request it accepted, or the `reply` to one it opened. */
  private decodeStreamBytes(i: number, bytes: Uint8Array, reply: boolean): StreamMessage | undefined {
    const codec = this.codecOf[i] as LabelCodec;
    try {
      const decoded = decodeStream(bytes, reply ? codec.decodeReply : codec.decode);
      if (decoded === undefined || decoded.consumed !== bytes.length) {
        this.metrics.decodeErrors++;
        return undefined;
      }
      return decoded.message;
    } catch (error) {
      if ((error as DecodeError).code === "labelMismatch") this.metrics.labelMismatches++;
      else this.metrics.decodeErrors++;
      this.trace?.(`${this.clock.nowMs} decodeError (stream) ${(error as Error).message}`);
      return undefined;
    }
  }

  /**
   * Hands one input to a node and executes its effects in order; then the inputs serf's layer fed
   * meanwhile (each with its effects), like the Driver's input queue.
   */
  private feed(slot: Slot, input: Input): void {
    if (this.feeding) {
      this.later.push({slot, input});
      return;
    }
    this.feeding = true;
    try {
      this.feedOne(slot, input);
      for (let next = this.later.shift(); next !== undefined; next = this.later.shift()) {
        if (next.slot.node !== undefined) this.feedOne(next.slot, next.input);
      }
    } finally {
      this.feeding = false;
      this.later.length = 0;
    }
  }

  private feedOne(slot: Slot, input: Input): void {
    const node = slot.node as SwimNode;
    const now = this.clock.nowMs;
    this.inputsHandled++;
    const effects = node.handle(now, input);
    if (this.trace !== undefined) this.trace(`${now} ${slot.name} <- ${describeInput(input)}`);
    for (let e = 0; e < effects.length; e++) {
      this.execute(slot, effects[e] as Effect, now);
      if (slot.node !== node) return; // crashed by an action inside? (not possible today, but safe)
    }
    this.safety?.observeSelf(now, slot.name, node.incarnation);
  }

  private execute(slot: Slot, effect: Effect, now: number): void {
    const i = slot.index;
    switch (effect.type) {
      case "send": {
        const bytes = encodePacket(effect.messages, (this.codecOf[i] as LabelCodec).packet);
        this.countMessages(effect.messages, bytes.length);
        this.metrics.onSend(i, bytes.length, false);
        this.hash.bytes(bytes);
        const to = this.indexByHost.get(effect.to.host);
        if (this.trace !== undefined) {
          this.trace(
            `${now} ${slot.name} -> ${effect.to.host} ${effect.messages.map((m) => m.type).join("+")} ${bytes.length}B`,
          );
        }
        if (to === undefined || effect.to.port !== SIM_PORT) {
          this.metrics.unknownAddress++;
          return;
        }
        const count = this.network.datagram(i, to, this.delays);
        for (let c = 0; c < count; c++) {
          this.clock.at(now + (this.delays[c] as number), this.nodeEvent(K_PACKET, to, 0, i, undefined, bytes, 0));
        }
        return;
      }
      case "sendStream": {
        const bytes = this.encodeStreamBytes(i, this.withSerfState(i, effect.message), false);
        const key = this.nextStreamKey++;
        const timeout = this.other(K_STREAM_TIMEOUT, i, slot.gen, key, "timeout", undefined);
        const to = this.indexByHost.get(effect.to.host);
        if (to === undefined || effect.to.port !== SIM_PORT) {
          this.metrics.unknownAddress++;
          this.streams.set(key, {opener: i, openerGen: slot.gen, openerId: effect.id, target: -1, bytes});
          this.clock.at(now + 1, this.other(K_STREAM_FAILED, i, slot.gen, key, "connection refused", undefined));
          return;
        }
        this.streams.set(key, {opener: i, openerGen: slot.gen, openerId: effect.id, target: to, bytes});
        const delay = this.network.stream(i, to);
        if (delay >= 0) this.clock.at(now + delay, this.nodeEvent(K_STREAM_REQUEST, to, 0, i, undefined, bytes, key));
        this.clock.at(now + effect.timeoutMs, timeout);
        return;
      }
      case "streamReply": {
        const bytes = this.encodeStreamBytes(i, this.withSerfState(i, effect.message), true);
        const record = this.streams.get(effect.id);
        if (record === undefined || record.target !== i) {
          this.metrics.lateStreamReplies++;
          return;
        }
        const delay = this.network.stream(i, record.opener);
        if (delay >= 0) {
          this.clock.at(
            now + delay,
            this.nodeEvent(K_STREAM_RESPONSE, record.opener, 0, i, undefined, bytes, effect.id),
          );
        }
        return;
      }
      case "streamClose": {
        const record = this.streams.get(effect.id);
        if (record === undefined || record.target !== i) return;
        const delay = this.network.stream(i, record.opener);
        if (delay >= 0)
          this.clock.at(now + delay, this.other(K_STREAM_FAILED, record.opener, 0, effect.id, "closed", undefined));
        return;
      }
      case "setTimer":
        this.clock.at(now + effect.delayMs, this.nodeEvent(K_TIMER, i, slot.gen, i, effect.timer, undefined, 0));
        return;
      case "notify":
        this.notify(slot, effect.event, now);
        return;
      case "deliver":
        this.metrics.userDeliveries++;
        this.serf?.deliver(i, effect.payload);
        return;
      case "pingComplete": {
        const payload = this.coords?.onPingComplete(i, effect.node, effect.rttMs, effect.payload);
        if (payload !== undefined) slot.node?.handle(now, {type: "setAckPayload", payload});
        return;
      }
      case "dropped":
        this.metrics.onDropped(effect.reason);
        return;
    }
  }

  /** A push-pull node `i` sends carries its serf state (the core always leaves it empty). */
  private withSerfState(i: number, message: StreamMessage): StreamMessage {
    if (this.serf === undefined || message.type !== "pushPull") return message;
    return {...message, userState: this.serf.localState(i)};
  }

  /** What serf's layers use of the simulation (sim/serf-nodes.ts). */
  private serfHost(): SimSerfHost {
    const running = (i: number): SwimNode | undefined => (this.slots[i] as Slot).node;
    return {
      now: () => this.clock.nowMs,
      self: (i) => (this.slots[i] as Slot).addr,
      members: (i) => {
        const node = running(i);
        if (node === undefined) return [];
        return node
          .members()
          .map(
            (m): SerfMember => ({name: m.name, host: m.addr.host, port: m.addr.port, state: m.state, tags: NO_TAGS}),
          );
      },
      isMember: (i, name) => running(i)?.member(name) !== undefined,
      broadcast: (i, payload) => {
        const node = running(i);
        if (node === undefined || node.status === "leaving" || node.status === "left") return;
        this.feed(this.slots[i] as Slot, {type: "broadcast", payload});
      },
      sendUser: (i, to, payload) => {
        if (running(i) === undefined) return;
        this.execute(this.slots[i] as Slot, {type: "send", to, messages: [{type: "user", payload}]}, this.clock.nowMs);
      },
      at: (atMs, fn) => this.at(atMs, fn),
      gossipIntervalMs: this.options.config.gossipIntervalMs,
    };
  }

  /** Encodes a stream message node `i` sends (a request, or a `reply`), and counts and hashes its bytes. */
  private encodeStreamBytes(i: number, message: StreamMessage, reply: boolean): Uint8Array {
    const codec = this.codecOf[i] as LabelCodec;
    const bytes = encodeStream(message, reply ? codec.reply : codec.stream);
    this.metrics.onSend(i, bytes.length, true);
    this.metrics.onMessage(`stream:${message.type}`, bytes.length);
    this.hash.bytes(bytes);
    return bytes;
  }

  private countMessages(messages: readonly Message[], packetBytes: number): void {
    if (messages.length === 1) {
      this.metrics.onMessage((messages[0] as Message).type, packetBytes);
      return;
    }
    // A compound is mostly a run of one type (gossip): count runs, not parts.
    let runType = (messages[0] as Message).type;
    let runCount = 0;
    let runBytes = 0;
    for (let m = 0; m < messages.length; m++) {
      const message = messages[m] as Message;
      if (message.type !== runType) {
        this.metrics.onMessage(runType, runBytes, runCount);
        runType = message.type;
        runCount = 0;
        runBytes = 0;
      }
      runCount++;
      runBytes += encodedSize(message);
    }
    this.metrics.onMessage(runType, runBytes, runCount);
  }

  private notify(slot: Slot, event: Notification, now: number): void {
    const i = slot.index;
    this.safety?.observe(now, slot.name, event);
    if (this.trace !== undefined) {
      const about = "member" in event ? `${event.member.name} ${event.member.state}(${event.member.incarnation})` : "";
      this.trace(`${now} ${slot.name} ! ${event.type} ${about}`);
    }
    if (!("member" in event)) {
      this.hash.record(30 + (NOTIFY_CODE[event.type] ?? 0), i, event.type === "refuted" ? event.incarnation : 0);
      if (event.type === "left") {
        // A graceful leave finished: the process stops, as an agent would exit.
        this.at(now, () => this.stopAfterLeave(slot.index));
      }
      return;
    }
    const j = this.indexByName.get(event.member.name);
    this.hash.record(30 + (NOTIFY_CODE[event.type] ?? 0), i, j ?? -1, event.member.incarnation);
    if (j === undefined || j === i) return;
    let code: number;
    switch (event.member.state) {
      case "alive":
        code = VIEW_ALIVE;
        break;
      case "suspect":
        code = VIEW_SUSPECT;
        break;
      case "dead":
        code = VIEW_DEAD;
        break;
      default:
        code = VIEW_LEFT;
    }
    const prev = this.views.set(i, j, code);
    this.metrics.onTransition(now, i, j, prev, code, this.views, (this.slots[j] as Slot).paused);
  }

  private stopAfterLeave(i: number): void {
    const slot = this.slots[i] as Slot;
    if (slot.node === undefined) return;
    slot.node = undefined;
    slot.gen++;
    this.serf?.stop(i);
    this.coords?.crash(i);
    this.views.nodeDown(i);
    this.note("left", slot.name, false);
  }
}

const NO_TAGS: Readonly<Record<string, string>> = Object.freeze({});

function checkRate(field: string, value: number): number {
  if (typeof value !== "number" || !(value >= 0 && value <= 1))
    throw new InvalidConfigError(field, "must be between 0 and 1");
  return value;
}

function describe(names: readonly string[]): string {
  if (names.length <= 3) return names.join(",");
  return `${names.slice(0, 2).join(",")},… (${names.length} nodes)`;
}

function describeInput(input: Input): string {
  switch (input.type) {
    case "packet":
      return `packet ${input.from.host} ${input.messages.map((m) => m.type).join("+")}`;
    case "timer":
      return `timer ${input.timer.type}`;
    case "streamRequest":
    case "streamResponse":
      return `${input.type} ${input.message.type}`;
    default:
      return input.type;
  }
}

/** Creates a simulation and schedules the bootstrap (node 0 first, the others joining through the seeds). */
export function createSimulation(init: SimInit): Simulation {
  return new Simulation(init);
}
