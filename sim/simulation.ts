/*
 * The simulation: n virtual nodes, each a real runtime Driver running a real SwimNode, exchanging
 * real codec bytes over the virtual network, on the virtual clock. The simulator has no executor
 * of its own: every node process (virtual-process.ts) is the Driver's transport and timer host,
 * so the driver's timers, stream deadlines, join and leave handling are what is simulated.
 * One loop pops the next event and hands it to its node:
 *
 *   event ──▶ node paused? ──yes──▶ parked until resume (its wake-up and packets pile up)
 *               │ no
 *               ▼
 *            node slow and not yet delayed? ──yes──▶ re-queued slowMs later (once)
 *               │ no
 *               ▼
 *            wake        → the Driver pops its due timers (core timers, stream deadlines, leave)
 *            packet      → the Driver decodes and feeds the core; effects run in the Driver:
 *                            send → VirtualProcess.send → Network.datagram → packet event(s)
 *                            sendStream / streamReply → VirtualStream (virtual-stream.ts)
 *                            setTimer → the Driver's heap → one wake event per process
 *            stream open / data / close → the VirtualStream ends the Driver holds
 *   listener: notify → views, metrics, safety checker, trace; pingComplete → (options.coordinates)
 *             the node's Vivaldi client, then the Driver's setAckPayload; sends → load metrics
 *
 * Cluster labels (options.label / options.labels, src/codec/label.ts): each node's Driver encodes
 * with its own label and decodes expecting it, so nodes of different labels drop each other's
 * bytes (counted in metrics.labelMismatches) and, joining through the seeds of their own label,
 * form separate clusters.
 *
 * With options.serf, every node process also runs serf's layer (serf-nodes.ts): the Driver's
 * deliveries go up to it, what it broadcasts is the Driver's broadcast (queued while an input's
 * effects run), its direct answers are the Driver's sendUser, its timers are virtual, and its
 * state rides every push-pull as the Driver's UserStateDelegate.
 *
 * Sub-seeds for the network, for each node process (index, generation) and for scenario
 * choices are drawn from the one seed, so a run is a pure function of (seed, options, faults);
 * the trace hash proves it. A crash stops the node's Driver (its timers and streams die with
 * it); packets to its address are dropped until a restart brings up a new Driver and SwimNode
 * with the same name and address (incarnation 1, so it must refute its way back).
 */
import {CodecContext, encodedSize, GossipMemo, Keyring} from "../src/codec/index.ts";
import type {Coordinate} from "../src/coordinate/index.ts";
import {
  type Address,
  type AliveMessage,
  aliveMessage,
  createRandom,
  DEFAULT_VSN,
  type Input,
  InvalidConfigError,
  type Message,
  type Notification,
  type Random,
  SwimNode,
} from "../src/core/index.ts";
import {type Clock, Driver} from "../src/runtime/index.ts";
import type {SerfMember} from "../src/serf/index.ts";
import {SafetyChecker} from "./checkers.ts";
import {VirtualClock} from "./clock.ts";
import {type SimCoordinateStats, SimCoordinates} from "./coordinates.ts";
import {type ResumePhase, resumeOrder} from "./event-loop.ts";
import {Metrics} from "./metrics.ts";
import {type BlockRule, Network} from "./network.ts";
import {resolveSimOptions, type SimInit, type SimOptions} from "./options.ts";
import {resolveSelector} from "./selector.ts";
import {SerfMetrics} from "./serf-metrics.ts";
import {SimSerf, type SimSerfHost} from "./serf-nodes.ts";
import {TraceHash} from "./trace.ts";
import {ClusterViews, VIEW_ALIVE, VIEW_DEAD, VIEW_LEFT, VIEW_SUSPECT} from "./views.ts";
import {VirtualProcess, type VirtualWorld} from "./virtual-process.ts";
import {CONNECTION_REFUSED, type StreamWire, VirtualStream} from "./virtual-stream.ts";

/** The metadata of every simulated node. */
const NO_META = new Uint8Array(0);

/** The port every virtual node listens on. */
export const SIM_PORT = 7946;

// Event kinds. The numbers also tag trace-hash records (K_WAKE keeps the old timer tag 0).
const K_WAKE = 0;
const K_PACKET = 1;
const K_STREAM_OPEN = 2;
const K_STREAM_DATA = 3;
const K_STREAM_CLOSE = 4;
const K_ACTION = 5;
const K_SAMPLE = 6;
const K_BOOT = 7;

/** One event on the virtual clock (one shape for every kind, so the hot loop stays monomorphic). */
class SimEvent {
  readonly k: number;
  /** The node it is for (-1: none). */
  readonly node: number;
  /** K_WAKE: the process generation; K_PACKET: the sender's index. */
  readonly a: number;
  /** K_WAKE: the wake token. */
  readonly token: number;
  readonly bytes: Uint8Array | undefined;
  /** K_STREAM_*: the end the event is for (K_STREAM_OPEN: the opener's end). */
  readonly stream: VirtualStream | undefined;
  /** K_ACTION: what to run; K_STREAM_CLOSE: the reason (undefined: a clean close). */
  readonly action: (() => void) | undefined;
  readonly reason: string | undefined;
  /** Already pushed back once by a slow node. */
  delayed = false;

  constructor(
    k: number,
    node: number,
    a: number,
    token: number,
    bytes: Uint8Array | undefined,
    stream: VirtualStream | undefined,
    action: (() => void) | undefined,
    reason: string | undefined,
  ) {
    this.k = k;
    this.node = node;
    this.a = a;
    this.token = token;
    this.bytes = bytes;
    this.stream = stream;
    this.action = action;
    this.reason = reason;
  }
}

interface Slot {
  readonly index: number;
  readonly name: string;
  readonly addr: Address;
  /** The running process (undefined while crashed or not yet started). */
  proc: VirtualProcess | undefined;
  /** Process generation: bumped at every crash and restart. */
  gen: number;
  paused: boolean;
  /** The event loop is blocked (a stall fault): events wait, the process is running. */
  stalled: boolean;
  // BOUNDED: what arrives during one pause or stall (its wake-up plus packets and stream events addressed to it).
  parked: SimEvent[];
  slowMs: number;
  everStarted: boolean;
}

/** The nodes of one label. */
interface LabelGroup {
  readonly label: string;
  /** Indices of this label's seeds: its first `seedNodes` nodes. */
  readonly seeds: number[];
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
  private readonly nodeSeedBase: number;
  private readonly choiceRandom: Random;
  /** One per distinct label; `codecOf[i]` is node i's. */
  private readonly codecs: LabelGroup[] = [];
  private readonly codecOf: LabelGroup[] = [];
  // BOUNDED: one list per label group, of its members (a converged start's restore input).
  private readonly convergedMembers = new Map<LabelGroup, AliveMessage[]>();
  private readonly keyring: Keyring | undefined;
  /** One decode memo for all virtual nodes (options.decodeMemo), null without. */
  private readonly memo: GossipMemo | null;
  /** The clock every Driver reads: virtual time. */
  private readonly driverClock: Clock = {now: () => this.clock.nowMs};
  /** What the processes use of the simulation: the wake-up queue, the network. */
  private readonly world: VirtualWorld;
  /** How stream ends reach each other over the network. */
  private readonly wire: StreamWire;
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
  /** Inputs handed to SwimNode.handle by the Drivers of processes that have stopped. */
  private stoppedInputs = 0;
  /** Called every ~4096 events with the current virtual time (for progress bars). */
  onProgress: ((nowMs: number) => void) | undefined;
  /** Serf's layer on every node process (options.serf), and what it delivered; undefined otherwise. */
  readonly serf: SimSerf | undefined;
  readonly serfMetrics: SerfMetrics | undefined;

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
    this.keyring = keyring;
    // One memo for all virtual nodes: decoding is a pure function of the bytes, so sharing it
    // changes no result, only how often a repeated gossip part is walked (gossip-memo.ts).
    // Sized to the cluster: every member's alive and push-pull state are live parts at once, and
    // a memo smaller than them thrashes at 10,000 nodes.
    this.memo = options.decodeMemo ? new GossipMemo(Math.max(16_384, 8 * options.nodes), this.codec) : null;
    this.world = this.createWorld();
    this.wire = this.createWire();
    const codecFor = (label: string): LabelGroup => {
      const known = this.codecs.find((c) => c.label === label);
      if (known !== undefined) return known;
      const made: LabelGroup = {label, seeds: []};
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
        proc: undefined,
        gen: 0,
        paused: false,
        stalled: false,
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
    // joinSpreadMs, all joining through the seeds of their label. A converged start boots every
    // node at t = 0 knowing its label's members (boot → restore).
    for (let i = 0; i < options.nodes; i++) {
      const first = (this.codecOf[i] as LabelGroup).seeds[0] === i;
      const at = first || options.start === "converged" ? 0 : Math.floor(bootRandom.nextFloat() * options.joinSpreadMs);
      this.clock.at(at, new SimEvent(K_BOOT, i, 0, 0, undefined, undefined, undefined, undefined));
    }
    this.metrics.expectConvergence("bootstrap", 0);
    this.clock.at(
      options.sampleIntervalMs,
      new SimEvent(K_SAMPLE, -1, 0, 0, undefined, undefined, undefined, undefined),
    );
  }

  // ---------------------------------------------------------------- reading the state

  /** Inputs the Drivers handed to SwimNode.handle so far. */
  get inputsHandled(): number {
    let n = this.stoppedInputs;
    for (const slot of this.slots) if (slot.proc !== undefined) n += slot.proc.driver.stats.inputs;
    return n;
  }

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
    return this.slots[this.indexOf(name)]?.proc?.node;
  }

  /** The address of `name`. */
  addressOf(name: string): Address {
    return (this.slots[this.indexOf(name)] as Slot).addr;
  }

  /** Is `name`'s process running (paused counts as running)? */
  isUp(name: string): boolean {
    return (this.slots[this.indexOf(name)] as Slot).proc !== undefined;
  }

  /** Is `name` paused? */
  isPaused(name: string): boolean {
    return (this.slots[this.indexOf(name)] as Slot).paused;
  }

  /** Names of running nodes. */
  live(): string[] {
    return this.slots.filter((s) => s.proc !== undefined).map((s) => s.name);
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
    return (this.codecOf[this.indexOf(name)] as LabelGroup).label;
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
    this.clock.at(atMs, new SimEvent(K_ACTION, -1, 0, 0, undefined, undefined, action, undefined));
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
    const proc = slot.proc;
    if (proc === undefined) return;
    slot.proc = undefined;
    slot.gen++;
    slot.paused = false;
    slot.stalled = false;
    slot.parked = [];
    proc.driver.stop();
    this.stoppedInputs += proc.driver.stats.inputs;
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
    if (slot.proc !== undefined) this.crash(name);
    this.boot(i, true);
    this.note("restart", name, false);
    this.metrics.expectConvergence("restart", this.nowMs);
  }

  /** Freezes `name` for durationMs (a GC stop / SIGSTOP): nothing is processed; all of it runs on resume. */
  pause(name: string, durationMs?: number): void {
    const i = this.indexOf(name);
    const slot = this.slots[i] as Slot;
    if (slot.proc === undefined || slot.paused) return;
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

  /**
   * Ends a pause: everything that piled up is handled now, as a stopped Node process continues
   * (event-loop.ts): the socket reads first, then the timers that expired.
   */
  resume(name: string): void {
    const i = this.indexOf(name);
    const slot = this.slots[i] as Slot;
    if (!slot.paused) return;
    slot.paused = false;
    const parked = this.unpark(slot, "poll");
    for (const entry of this.timeline)
      if (entry.kind === "pause" && entry.label === name && entry.endMs === null) entry.endMs = this.nowMs;
    this.hash.record(22, i, parked);
    this.metrics.expectConvergence("resume", this.nowMs);
  }

  /**
   * Blocks `name`'s event loop for durationMs (synchronous work, a long GC): its process keeps its
   * sockets and timers, but handles nothing; then the loop resumes in Node's order (event-loop.ts):
   * the timers that expired, then the packets that waited. A paused, stalled or down node is left as is.
   */
  stall(name: string, durationMs: number): void {
    const i = this.indexOf(name);
    const slot = this.slots[i] as Slot;
    if (!(durationMs > 0)) throw new InvalidConfigError("durationMs", "must be a number > 0");
    if (slot.proc === undefined || slot.paused || slot.stalled) return;
    slot.stalled = true;
    const gen = slot.gen;
    const entry = this.note("stall", `${name} ${durationMs} ms`, true);
    this.hash.record(24, i, gen);
    this.at(this.nowMs + durationMs, () => {
      if (slot.gen !== gen || !slot.stalled) return;
      slot.stalled = false;
      entry.endMs = this.nowMs;
      this.hash.record(25, i, this.unpark(slot, "timers"));
    });
  }

  /** Is `name`'s event loop blocked by a stall? */
  isStalled(name: string): boolean {
    return (this.slots[this.indexOf(name)] as Slot).stalled;
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
    if (slot.proc === undefined) return;
    this.note("leave", name, false);
    void slot.proc.driver.leave();
  }

  /**
   * An operator join: `name` push-pulls with `seeds` now, as `lifeline join` would make it (the
   * core also remembers them). Between nodes of different labels the streams are refused.
   */
  join(name: string, seeds: readonly string[]): void {
    const slot = this.slots[this.indexOf(name)] as Slot;
    const addrs = seeds.map((seed) => this.addressOf(seed));
    if (slot.proc === undefined || addrs.length === 0) return;
    this.note("join", `${name} → ${seeds.join(",")}`, false);
    void slot.proc.driver.join(addrs);
  }

  // ---------------------------------------------------------------- internals

  private note(kind: string, label: string, interval: boolean): TimelineEntry {
    const entry: TimelineEntry = {atMs: this.nowMs, kind, label, endMs: interval ? null : this.nowMs};
    if (this.timeline.length < 10_000) this.timeline.push(entry);
    this.trace?.(`${this.nowMs} * ${kind} ${label}`);
    return entry;
  }

  /** The processes' side of the simulation: wake-ups on the virtual clock, datagrams on the network. */
  private createWorld(): VirtualWorld {
    const slotOf = (proc: VirtualProcess): Slot => this.slots[proc.index] as Slot;
    return {
      // What each Driver reports: events to views, metrics and the checker; sends to the load metrics.
      notify: (proc, event) => this.notify(slotOf(proc), event, this.clock.nowMs),
      deliver: (proc, payload) => {
        this.metrics.userDeliveries++;
        this.serf?.deliver(proc.index, payload);
      },
      pingComplete: (proc, report) => {
        const payload = this.coords?.onPingComplete(proc.index, report.node, report.rttMs, report.payload);
        if (payload !== undefined) proc.driver.setAckPayload(payload);
      },
      decodeError: (proc, error) => {
        if (error.code === "labelMismatch") this.metrics.labelMismatches++;
        else this.metrics.decodeErrors++;
        this.trace?.(`${this.clock.nowMs} ${slotOf(proc).name} decodeError ${error.message}`);
      },
      packetSent: (proc, to, messages, bytes) => {
        this.countMessages(messages, bytes.length);
        this.metrics.onSend(proc.index, bytes.length, false);
        if (this.trace !== undefined) {
          this.trace(
            `${this.clock.nowMs} ${slotOf(proc).name} -> ${to.host} ${messages.map((m) => m.type).join("+")} ${bytes.length}B`,
          );
        }
      },
      streamSent: (proc, message, bytes) => {
        this.metrics.onSend(proc.index, bytes.length, true);
        this.metrics.onMessage(`stream:${message.type}`, bytes.length);
      },
      dropped: (_proc, reason) => this.metrics.onDropped(reason),
      scheduleWake: (proc, atMs, token) => {
        this.clock.at(
          atMs,
          new SimEvent(K_WAKE, proc.index, proc.gen, token, undefined, undefined, undefined, undefined),
        );
      },
      sendDatagram: (proc, to, bytes) => {
        this.hash.bytes(bytes);
        const j = this.indexByHost.get(to.host);
        if (j === undefined || to.port !== SIM_PORT) {
          this.metrics.unknownAddress++;
          return;
        }
        const i = proc.index;
        const count = this.network.datagram(i, j, this.delays);
        const now = this.clock.nowMs;
        for (let c = 0; c < count; c++) {
          this.clock.at(
            now + (this.delays[c] as number),
            new SimEvent(K_PACKET, j, i, 0, bytes, undefined, undefined, undefined),
          );
        }
      },
      dial: (proc, to) => {
        const j = this.indexByHost.get(to.host);
        if (j === undefined || to.port !== SIM_PORT) {
          this.metrics.unknownAddress++;
          const end = new VirtualStream(this.wire, proc, to, -1);
          this.streamEvent(1, K_STREAM_CLOSE, end, undefined, CONNECTION_REFUSED);
          return end;
        }
        return new VirtualStream(this.wire, proc, (this.slots[j] as Slot).addr, j);
      },
    };
  }

  /** How stream ends reach each other (virtual-stream.ts): bytes take Network.stream's delay, or never arrive. */
  private createWire(): StreamWire {
    return {
      write: (end, bytes) => {
        this.hash.bytes(bytes);
        const peer = end.peer;
        if (peer === undefined) {
          // The opener's request: it arrives as the connection at the target.
          if (end.remoteIndex < 0) return;
          const delay = this.network.streamOpen(end.owner.index, end.remoteIndex);
          if (delay >= 0) this.streamEvent(delay, K_STREAM_OPEN, end, bytes, undefined);
          return;
        }
        const delay = this.network.stream(end.owner.index, peer.owner.index);
        if (delay >= 0) this.streamEvent(delay, K_STREAM_DATA, peer, bytes, undefined);
      },
      close: (end, reset) => {
        const peer = end.peer;
        // A reply carries its FIN; an opener that gave up has nobody left to tell before the accept.
        if (peer === undefined || peer.closed || (end.wrote && !reset)) return;
        const delay = this.network.stream(end.owner.index, peer.owner.index);
        if (delay >= 0)
          this.streamEvent(delay, K_STREAM_CLOSE, peer, undefined, reset ? "connection reset" : undefined);
      },
    };
  }

  /** Queues a stream event for `end` (K_STREAM_OPEN: the opener's end, for its target) `delayMs` from now. */
  private streamEvent(
    delayMs: number,
    k: number,
    end: VirtualStream,
    bytes: Uint8Array | undefined,
    reason: string | undefined,
  ): void {
    const node = k === K_STREAM_OPEN ? end.remoteIndex : end.owner.index;
    this.clock.at(this.clock.nowMs + delayMs, new SimEvent(k, node, 0, 0, bytes, end, undefined, reason));
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
    const proc = new VirtualProcess(this.world, i, slot.gen, slot.addr);
    const group = this.codecOf[i] as LabelGroup;
    const serf = this.serf;
    proc.driver = new Driver(
      {
        config: this.options.config,
        self: {name: slot.name, addr: slot.addr},
        keyring: this.keyring,
        compress: this.options.compress,
        crc: this.options.crc,
        seed,
        label: group.label,
      },
      {
        transport: proc,
        clock: this.driverClock,
        timers: proc,
        codec: this.codec,
        memo: this.memo,
        ...(serf
          ? {
              userState: {
                local: () => serf.localState(i),
                merge: (state: Uint8Array, join: boolean) => serf.mergeState(i, state, join),
              },
            }
          : {}),
        createNode: (config, self, random) => {
          const node = new SwimNode(config, self, {random, sizeOf: this.sizeOf, intern: this.codec.intern});
          proc.node = node;
          // Without a trace or the checker there is nothing to see between the Driver and the core.
          if (this.trace === undefined && this.safety === undefined) return node;
          return {handle: (nowMs: number, input: Input) => this.handleInput(slot, node, nowMs, input)};
        },
      },
      proc,
    );
    slot.proc = proc;
    slot.paused = false;
    slot.stalled = false;
    slot.parked = [];
    // Allowed before start, as an agent sets its first coordinate.
    if (this.coords) proc.driver.setAckPayload(this.coords.boot(i, seed));
    if (!slot.everStarted) this.unbooted--;
    slot.everStarted = true;
    this.views.nodeUp(i);
    this.safety?.resetObserver(slot.name);
    if (restart) this.metrics.onRestart(i);
    this.hash.record(23, i, slot.gen);
    this.trace?.(`${this.nowMs} ${slot.name} boot gen=${slot.gen}`);
    this.serf?.boot(i, slot.name, slot.gen);
    // A converged start's first boot knows everyone and joins nobody.
    const converged = this.options.start === "converged" && !restart;
    if (converged) proc.driver.restore(this.membersOf(group));
    proc.driver.start();
    if (converged) return;
    // The seeds of node i's label (without labels: nodes 0 .. seedNodes - 1).
    const {seeds: seedIndices, label} = group;
    const seeds: Address[] = [];
    for (const s of seedIndices) if (s !== i && s < i) seeds.push((this.slots[s] as Slot).addr);
    if (restart || !seedIndices.includes(i)) {
      seeds.length = 0;
      for (const s of seedIndices) if (s !== i) seeds.push((this.slots[s] as Slot).addr);
      if (seeds.length === 0) {
        const other = this.slots.find(
          (s) => s.index !== i && s.proc !== undefined && (this.codecOf[s.index] as LabelGroup).label === label,
        );
        if (other !== undefined) seeds.push(other.addr);
      }
    }
    if (seeds.length > 0 && slot.proc === proc) void proc.driver.join(seeds);
  }

  /** Every node of `group`'s label alive at incarnation 1, as a converged start restores them (built once per label). */
  private membersOf(group: LabelGroup): readonly AliveMessage[] {
    let members = this.convergedMembers.get(group);
    if (members === undefined) {
      members = [];
      for (const slot of this.slots) {
        if (this.codecOf[slot.index] === group)
          members.push(aliveMessage(1, slot.name, slot.addr, NO_META, DEFAULT_VSN));
      }
      this.convergedMembers.set(group, members);
    }
    return members;
  }

  /** One input the Driver hands node `slot`'s core: traced and checked. */
  private handleInput(slot: Slot, node: SwimNode, nowMs: number, input: Input): ReturnType<SwimNode["handle"]> {
    if (this.trace !== undefined) this.trace(`${nowMs} ${slot.name} <- ${describeInput(input)}`);
    const effects = node.handle(nowMs, input);
    this.safety?.observeSelf(nowMs, slot.name, node.incarnation);
    return effects;
  }

  /** Pops and handles one event due by `until`; false when none is left. */
  private step(until: number): boolean {
    const ev = this.clock.next(until);
    if (ev === undefined) return false;
    const now = this.clock.nowMs;
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

  /** Requeues what a blocked node held, now, in the order its loop handles it; returns how many. */
  private unpark(slot: Slot, phase: ResumePhase): number {
    const parked = slot.parked;
    slot.parked = [];
    for (const ev of resumeOrder(parked, isWake, phase)) this.clock.at(this.nowMs, ev);
    return parked.length;
  }

  /** True when the event was parked (paused or stalled node) or pushed back (slow node). */
  private parkOrDelay(slot: Slot, ev: SimEvent): boolean {
    if (slot.paused || slot.stalled) {
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

  /** Hands a node event to its process: a wake-up, a datagram, or a stream's open, data or close. */
  private deliver(ev: SimEvent): void {
    const slot = this.slots[ev.node] as Slot;
    const proc = slot.proc;
    switch (ev.k) {
      case K_WAKE: {
        if (proc === undefined || proc.gen !== ev.a || !proc.isArmed(ev.token)) return;
        if (this.parkOrDelay(slot, ev)) return;
        this.hash.record(K_WAKE, ev.node, 0);
        proc.wake();
        return;
      }
      case K_PACKET: {
        if (proc === undefined) {
          this.metrics.toDownNode++;
          return;
        }
        if (this.parkOrDelay(slot, ev)) return;
        const bytes = ev.bytes as Uint8Array;
        this.hash.record(K_PACKET, ev.node, ev.a, bytes.length);
        proc.receiveDatagram(bytes, (this.slots[ev.a] as Slot).addr, this.clock.nowMs);
        return;
      }
      case K_STREAM_OPEN: {
        const opener = ev.stream as VirtualStream;
        if (proc === undefined) {
          // Connection refused: the opener learns after the RST travels back.
          this.metrics.toDownNode++;
          const back = this.network.stream(ev.node, opener.owner.index);
          if (back >= 0) this.streamEvent(back, K_STREAM_CLOSE, opener, undefined, CONNECTION_REFUSED);
          return;
        }
        if (this.parkOrDelay(slot, ev)) return;
        const bytes = ev.bytes as Uint8Array;
        this.hash.record(K_STREAM_OPEN, ev.node, opener.owner.index, bytes.length);
        const accepted = new VirtualStream(this.wire, proc, opener.owner.addr, opener.owner.index);
        accepted.peer = opener;
        opener.peer = accepted;
        proc.accept(accepted);
        accepted.receive(bytes);
        return;
      }
      case K_STREAM_DATA:
      case K_STREAM_CLOSE: {
        const end = ev.stream as VirtualStream;
        if (end.closed || end.owner !== proc) {
          if (ev.k === K_STREAM_DATA) this.metrics.lateStreamReplies++;
          return;
        }
        if (this.parkOrDelay(slot, ev)) return;
        if (end.closed) return;
        this.hash.record(ev.k, ev.node, ev.bytes?.length ?? 0);
        if (ev.k === K_STREAM_DATA) end.receive(ev.bytes as Uint8Array);
        else end.closedByPeer(ev.reason);
        return;
      }
    }
  }

  /** What serf's layers use of the simulation (sim/serf-nodes.ts): each node's Driver. */
  private serfHost(): SimSerfHost {
    const running = (i: number): SwimNode | undefined => (this.slots[i] as Slot).proc?.node;
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
        const proc = (this.slots[i] as Slot).proc;
        if (proc === undefined || proc.node.status === "leaving" || proc.node.status === "left") return;
        proc.driver.broadcast(payload);
      },
      sendUser: (i, to, payload) => {
        (this.slots[i] as Slot).proc?.driver.sendUser(to, payload);
      },
      at: (atMs, fn) => this.at(atMs, fn),
      gossipIntervalMs: this.options.config.gossipIntervalMs,
    };
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
    const about = this.slots[j] as Slot;
    this.metrics.onTransition(now, i, j, prev, code, this.views, about.paused || about.stalled);
  }

  private stopAfterLeave(i: number): void {
    const slot = this.slots[i] as Slot;
    const proc = slot.proc;
    if (proc === undefined) return;
    slot.proc = undefined;
    slot.gen++;
    proc.driver.stop();
    this.stoppedInputs += proc.driver.stats.inputs;
    this.serf?.stop(i);
    this.coords?.crash(i);
    this.views.nodeDown(i);
    this.note("left", slot.name, false);
  }
}
const NO_TAGS: Readonly<Record<string, string>> = Object.freeze({});

const isWake = (ev: SimEvent): boolean => ev.k === K_WAKE;

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
