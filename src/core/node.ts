/*
 * SwimNode: SWIM + Lifeguard as a pure state machine (the foca shape; memberlist 0.2.2's
 * semantics, docs/memberlist-wire.md §5–§7). `handle(nowMs, input)` is the only entry point: it takes one input
 * (a decoded packet, a stream exchange, a fired timer, an API call) and returns the effects the
 * driver must execute in order (datagrams, streams, timers, notifications). No clock, no I/O, no
 * global randomness: time comes in as `nowMs`, randomness from the injected Random, so a run is
 * replayable from its inputs.
 *
 * Loops (each a timer value re-armed when it fires; first run after a random stagger):
 *   probe      every probeIntervalMs; one probe in flight at a time — a tick that finds a probe
 *              still running starts the next one as soon as it resolves (Go ticker semantics)
 *              ping ─ probeTimeoutMs ─▶ indirectPing × indirectChecks (+ TCP ping)
 *                   ─ probeIntervalMs × (awareness + 1) ─▶ suspect the target
 *                     (at once when the TCP ping is refused, with config.refusedProbeFails)
 *   gossip     every gossipIntervalMs while broadcasts are queued (disarmed when the queue is empty)
 *   pushPull   every pushPullScaleMs(pushPullIntervalMs, n) with one random alive member
 *   reconnect  every reconnectIntervalMs with one remembered failed member, and the seeds when alone
 *
 * The concerns live in their own files: member-table.ts, members.ts (precedence), probe.ts, suspicion.ts,
 * awareness.ts, broadcasts.ts, push-pull.ts, failed-members.ts, tombstones.ts,
 * outgoing-streams.ts, local-member.ts.
 */
import {Awareness} from "./awareness.ts";
import {BroadcastQueue, type QueuedBroadcast, retransmitLimit} from "./broadcasts.ts";
import {type SwimConfig, validateConfig} from "./config.ts";
import {assert, assertNever, InvalidStateError} from "./errors.ts";
import type {MemberView, Notification} from "./events.ts";
import {FailedMembers} from "./failed-members.ts";
import type {MemberIdentity} from "./intern.ts";
import {InternPools} from "./intern.ts";
import type {DropReason, Effect, Input} from "./io.ts";
import {type LocalMemberInit, resolveLocalMember, validateAckPayload, validateMeta} from "./local-member.ts";
import {MemberTable, NO_SLOT, OLD_NEWS_OLDER, OLD_NEWS_SAME, SELF_SLOT} from "./member-table.ts";
import {aliveVerdict, deadVerdict, type SelfContext, suspectVerdict} from "./members.ts";
import {estimateMessageSize} from "./message-size.ts";
import {
  type Address,
  type AliveMessage,
  aliveMessage,
  bytesEqual,
  DEFAULT_VSN,
  type DeadMessage,
  type IndirectPingMessage,
  type Message,
  type PingMessage,
  type PushNodeState,
  type StreamMessage,
  type SuspectMessage,
  sameAddress,
  type Vsn,
  vsnEqual,
} from "./messages.ts";
import {type OutgoingStream, OutgoingStreams} from "./outgoing-streams.ts";
import {type ActiveProbe, ProbeRing, ServedRequests} from "./probe.ts";
import {pushPullScaleMs, type VersionedMember, type VersionedMembers, verifyProtocol} from "./push-pull.ts";
import type {Random} from "./random.ts";
import {expectedConfirmations, Suspicion, suspicionTimeoutMs} from "./suspicion.ts";
import {createSwimStats, type SwimStats} from "./swim-stats.ts";
import type {Timer} from "./timers.ts";
import {Tombstones} from "./tombstones.ts";
import {COMPOUND_HEADER_OVERHEAD, COMPOUND_PART_OVERHEAD, COMPOUND_PARTS_MAX} from "./wire-limits.ts";

export type {LocalMemberInit} from "./local-member.ts";
export {validateAckPayload} from "./local-member.ts";
export type {SwimStats} from "./swim-stats.ts";

/** Injected collaborators. */
export interface SwimNodeComponents {
  readonly random: Random;
  /** Encoded size of a message in bytes (the codec's `encodedSize`); a conservative estimate by default. */
  readonly sizeOf?: (message: Message) => number;
  /**
   * Where member values are shared (intern.ts). Give every node of one driver or simulation the
   * same pools (and the codec context the same), so equal values are shared; default: the node's own.
   */
  readonly intern?: InternPools;
}

/** Lifecycle of a node: idle until `start`, running, leaving after `leave`, left once the leave spread. */
export type NodeStatus = "idle" | "running" | "leaving" | "left";

const EMPTY = new Uint8Array(0);
/** Indirect pings we forward at once. */
const SERVED_REQUESTS_MAX = 1_024;
/** Streams we have open at once; beyond it the oldest record is forgotten (its reply will be dropped). */
const OUTGOING_STREAMS_MAX = 1_024;
/** Seed addresses remembered for healing. */
const SEEDS_MAX = 64;
/** Catch-up push-pulls after a quiet join, at most (waits of 2, 4, 8, 16 probe intervals, each plus up to as much again). */
const CATCH_UP_ROUNDS = 4;
/** Failed members remembered for healing (also capped by maxMembers). */
const FAILED_MEMBERS_MAX = 1_024;
/** Reaped members remembered so that stale news cannot resurrect them; beyond it the oldest is forgotten. */
const TOMBSTONES_MAX = 1_024;

/** User broadcasts queued; beyond it the most-transmitted one is evicted. */
const USER_BROADCASTS_MAX = 1_024;

/** oldNews()'s answer when the message is not plain old news. */
const NOT_OLD_NEWS = Symbol("not old news");

/**
 * The SWIM + Lifeguard protocol core.
 *
 * Inputs before `start` are dropped ("notRunning"), never thrown. API misuse throws
 * InvalidStateError and leaves the node unchanged: `start` twice; `join`, `updateMeta` or
 * `broadcast` after `leave`. `leave` twice is a no-op. After `left` the node still answers pings,
 * push-pulls and gossip until the driver stops feeding it; its probe, push-pull and reconnect loops
 * have stopped.
 */
export class SwimNode {
  readonly name: string;
  private readonly config: SwimConfig;
  private readonly random: Random;
  private readonly sizeOf: (message: Message) => number;
  private readonly intern: InternPools;
  private readonly table: MemberTable;
  private readonly awareness: Awareness;
  private readonly ring = new ProbeRing();
  // BOUNDED: at most one per member in the table (deleted when the member leaves suspect).
  private readonly suspicions = new Map<string, Suspicion>();
  private readonly membership: BroadcastQueue;
  private readonly userBroadcasts = new BroadcastQueue(USER_BROADCASTS_MAX);
  private readonly served = new ServedRequests(SERVED_REQUESTS_MAX);
  private readonly streams = new OutgoingStreams(OUTGOING_STREAMS_MAX);
  private readonly failed: FailedMembers;
  // BOUNDED: SEEDS_MAX.
  private readonly seeds: Address[] = [];
  private readonly tombstones = new Tombstones(TOMBSTONES_MAX);
  private readonly counters: SwimStats = createSwimStats();
  private statusValue: NodeStatus = "idle";
  /** The round-robin probe in flight. */
  private activeProbe: ActiveProbe | undefined;
  /** A suspect probe in flight beside it (config.suspectProbes): it never delays the round-robin. */
  private suspectProbe: ActiveProbe | undefined;
  // BOUNDED: one entry per member in the table (dropped when it is reaped or when met stale).
  private readonly refutedAt = new Map<string, number>();
  /** Core time of the last input, and until when we are catching up on a stall (config.lateTimerGraceMs). */
  private lastInputMs = 0;
  private catchUpUntilMs = Number.NEGATIVE_INFINITY;
  /** True while merging a quiet join's push-pull (config.quietJoin): learned members are not queued. */
  private quietMerge = false;
  // BOUNDED: the table's slots, listed in order by localState and versionedMembers (one at a time).
  private readonly slotScratch: number[] = [];
  /** The cursor versionedMembers() hands out. */
  private readonly versionCursor: {name: string; state: string; vsn: Vsn} = {
    name: "",
    state: "alive",
    vsn: DEFAULT_VSN,
  };
  /**
   * A member someone else suspects, to probe once the suspect probe in flight ends
   * (config.suspectProbes): its slot (NO_SLOT: none) and the slot's generation then.
   */
  private pendingSuspectProbe = NO_SLOT;
  private pendingSuspectGeneration = 0;
  private probeTickPending = false;
  private seq = 0;
  private tokenSeq = 0;
  private loopToken = 0;
  private gossipArmed = false;
  private gossipPhaseMs = 0;
  private leaveItem: QueuedBroadcast | undefined;
  private leaveTransmitted = false;
  /** What our acks to UDP pings carry (setAckPayload); BOUNDED: ACK_PAYLOAD_MAX_BYTES (wire-limits.ts). */
  private ackPayload: Uint8Array = EMPTY;
  private readonly ctx: {selfName: string; leaving: boolean; nowMs: number; deadNodeReclaimMs: number};
  // BOUNDED: COMPOUND_PARTS_MAX; scratch list for sendWithPiggyback, cleared on every use.
  private readonly picked: QueuedBroadcast[] = [];
  // The input being handled: its time and the effects it produces.
  private now = 0;
  private fx: Effect[] = [];

  /**
   * Throws InvalidConfigError when `config` breaks a rule or `self` is malformed (empty name,
   * incarnation < 1, meta over 512 bytes, nonsensical vsn).
   */
  constructor(config: SwimConfig, self: LocalMemberInit, components: SwimNodeComponents) {
    validateConfig(config);
    const {name, addr, incarnation, meta, vsn} = resolveLocalMember(self);
    this.name = name;
    this.config = config;
    this.random = components.random;
    this.sizeOf = components.sizeOf ?? estimateMessageSize;
    this.intern = components.intern ?? new InternPools();
    this.table = new MemberTable({name, addr, incarnation, meta, vsn}, this.intern);
    this.awareness = new Awareness(config.awarenessMaxMultiplier);
    // BOUNDED (membership queue): one keyed entry per member, so maxMembers + 1.
    this.membership = new BroadcastQueue(config.maxMembers + 1);
    this.failed = new FailedMembers(Math.min(FAILED_MEMBERS_MAX, config.maxMembers));
    this.ctx = {selfName: name, leaving: false, nowMs: 0, deadNodeReclaimMs: config.deadNodeReclaimMs};
  }

  /** Our current incarnation number. */
  get incarnation(): number {
    return this.table.incarnationOf(SELF_SLOT);
  }

  /** Lifeguard local health score, 0 (healthy) .. awarenessMaxMultiplier − 1. */
  get awarenessScore(): number {
    return this.awareness.score;
  }

  get status(): NodeStatus {
    return this.statusValue;
  }

  /** Monotonic counters. The object is live; copy it to keep a snapshot. */
  get stats(): Readonly<SwimStats> {
    return this.counters;
  }

  /** Broadcasts (membership and user) waiting to be piggybacked. */
  get queuedBroadcasts(): number {
    return this.membership.size + this.userBroadcasts.size;
  }

  /** Members in the table, self and not-yet-reaped dead/left ones included. */
  get memberCount(): number {
    return this.table.size;
  }

  /** Every known member, self included (dead and left ones until reaped). */
  members(): MemberView[] {
    const out: MemberView[] = [];
    for (const slot of this.table.inOrder([])) out.push(this.table.toView(slot));
    return out;
  }

  /** One member by name. */
  member(name: string): MemberView | undefined {
    const slot = this.table.slotOf(name);
    return slot === NO_SLOT ? undefined : this.table.toView(slot);
  }

  /** Names and addresses of failed members remembered for healing. */
  rememberedFailures(): {name: string; addr: Address; deadAtMs: number}[] {
    return this.failed.list().map((m) => ({name: m.name, addr: m.addr, deadAtMs: m.deadAtMs}));
  }

  /** Handles one input at core time `nowMs`; returns the effects to execute, in order. */
  handle(nowMs: number, input: Input): Effect[] {
    assert(Number.isFinite(nowMs), "nowMs must be a finite number");
    const fx: Effect[] = [];
    this.fx = fx;
    this.now = nowMs;
    if (input.type === "setAckPayload") {
      // Not a network input: it neither counts for stall detection nor waits for start.
      this.handleSetAckPayload(input.payload);
      return fx;
    }
    if (input.type === "restore") {
      this.handleRestore(input.members);
      return fx;
    }
    this.noticeStall(nowMs);
    if (this.statusValue === "idle" && input.type !== "start") {
      if (input.type === "streamRequest") fx.push({type: "streamClose", id: input.id});
      const from = input.type === "packet" || input.type === "streamRequest" ? input.from : undefined;
      this.drop("notRunning", from, input.type);
      return fx;
    }
    switch (input.type) {
      case "start":
        this.handleStart();
        break;
      case "join":
        this.handleJoin(input.seeds);
        break;
      case "packet":
        this.handlePacket(input.from, input.messages);
        break;
      case "streamRequest":
        this.handleStreamRequest(input.id, input.from, input.message);
        break;
      case "streamResponse":
        this.handleStreamResponse(input.id, input.message);
        break;
      case "streamFailed": {
        const stream = this.streams.take(input.id);
        if (stream === undefined) this.drop("unknownStream", undefined, input.reason);
        else if (stream.kind === "ping" && input.refused === true) this.onPingRefused(stream.seqNo, input.id);
        break;
      }
      case "timer":
        this.handleTimer(input.timer);
        break;
      case "leave":
        this.handleLeave();
        break;
      case "updateMeta":
        this.handleUpdateMeta(input.meta);
        break;
      case "broadcast":
        this.handleBroadcast(input.payload);
        break;
      default:
        assertNever(input);
    }
    if (this.statusValue === "leaving" && this.leaveTransmitted) this.finishLeave();
    return fx;
  }

  // ---------------------------------------------------------------- API inputs

  private handleStart(): void {
    if (this.statusValue !== "idle") throw new InvalidStateError("start: the node was already started");
    this.statusValue = "running";
    this.table.setStateChangeMs(SELF_SLOT, this.now);
    // Tokens start at a random point, so that timers a previous run of this node left in a
    // driver's heap (same name, restarted) are very unlikely to match.
    this.tokenSeq = this.random.nextUint32();
    this.loopToken = this.nextToken();
    // Likewise for sequence numbers: a late ack to the previous run's ping must not match a new probe.
    this.seq = this.random.nextUint32();
    this.notify({type: "memberUp", member: this.table.toView(SELF_SLOT)});
    this.queueMembership(this.name, this.selfAlive());
    const c = this.config;
    this.setTimer({type: "probe", token: this.loopToken}, this.random.nextInt(c.probeIntervalMs));
    this.gossipPhaseMs = this.now + this.random.nextInt(c.gossipIntervalMs);
    this.armGossip();
    if (c.pushPullIntervalMs > 0) {
      const first = this.random.nextInt(pushPullScaleMs(c.pushPullIntervalMs, this.table.size));
      this.setTimer({type: "pushPull", token: this.loopToken}, first);
    }
    if (c.reconnectIntervalMs > 0) {
      this.setTimer({type: "reconnect", token: this.loopToken}, this.random.nextInt(c.reconnectIntervalMs));
    }
  }

  private handleJoin(seeds: readonly Address[]): void {
    this.requireActive("join");
    for (const seed of seeds) {
      if (!this.seeds.some((s) => sameAddress(s, seed)) && this.seeds.length < SEEDS_MAX) this.seeds.push(seed);
      if (sameAddress(seed, this.table.addrOf(SELF_SLOT))) continue;
      this.openPushPull(seed, true, this.config.quietJoin ? 1 : 0);
    }
  }

  private handleLeave(): void {
    if (this.statusValue !== "running") return;
    this.statusValue = "leaving";
    const incarnation = this.table.incarnationOf(SELF_SLOT);
    this.onDead({type: "dead", incarnation, node: this.name, from: this.name});
    // memberlist's anyAlive: any other member not dead or left (suspects count).
    if (this.table.liveCount === 0 || this.config.leaveTimeoutMs === 0) {
      this.finishLeave();
    } else {
      this.setTimer({type: "leaveTimeout", token: this.loopToken}, this.config.leaveTimeoutMs);
    }
  }

  private finishLeave(): void {
    if (this.statusValue !== "leaving") return;
    this.statusValue = "left";
    this.notify({type: "left"});
  }

  private handleUpdateMeta(meta: Uint8Array): void {
    this.requireActive("updateMeta");
    validateMeta(meta);
    const t = this.table;
    t.setIdentity(SELF_SLOT, t.addrOf(SELF_SLOT), meta, t.vsnOf(SELF_SLOT));
    t.setIncarnation(SELF_SLOT, this.bumpIncarnation(t.incarnationOf(SELF_SLOT) + 1));
    this.queueMembership(this.name, this.selfAlive());
    this.notify({type: "memberUpdated", member: t.toView(SELF_SLOT)});
  }

  private handleBroadcast(payload: Uint8Array): void {
    this.requireActive("broadcast");
    const message: Message = {type: "user", payload};
    this.userBroadcasts.enqueue(undefined, message, this.sizeOf(message));
    this.armGossip();
  }

  /** Takes known members as alive without gossiping them (before start only). */
  private handleRestore(members: readonly AliveMessage[]): void {
    if (this.statusValue !== "idle") throw new InvalidStateError("restore: only before start");
    const t = this.table;
    for (const msg of members) {
      if (msg.node === this.name) continue;
      if (t.size >= this.config.maxMembers) {
        this.drop("membersFull", msg.addr, msg.node);
        continue;
      }
      const known = t.slotOf(msg.node);
      if (known !== NO_SLOT) {
        if (t.incarnationOf(known) < msg.incarnation) t.setIncarnation(known, msg.incarnation);
        continue;
      }
      const slot = t.add(msg.node, msg.addr, msg.incarnation, msg.meta, msg.vsn, "alive", this.now);
      this.ring.add(slot, this.random);
      this.notify({type: "memberUp", member: t.toView(slot)});
    }
  }

  /** Throws InvalidConfigError (the node unchanged) for a payload that is not bytes or too long. */
  private handleSetAckPayload(payload: Uint8Array): void {
    validateAckPayload(payload);
    this.ackPayload = payload;
  }

  private requireActive(what: string): void {
    if (this.statusValue === "leaving" || this.statusValue === "left") {
      throw new InvalidStateError(`${what}: the node is ${this.statusValue}`);
    }
  }

  // ---------------------------------------------------------------- packets

  private handlePacket(from: Address, messages: readonly Message[]): void {
    for (const m of messages) {
      switch (m.type) {
        case "ping":
          this.handlePing(from, m);
          break;
        case "indirectPing":
          this.handleIndirectPing(from, m);
          break;
        case "ack":
          this.handleAck(from, m.seqNo, m.payload);
          break;
        case "nack":
          this.handleNack(from, m.seqNo);
          break;
        case "alive":
          this.report(this.onAlive(m), from);
          break;
        case "suspect":
          this.report(this.onSuspect(m), from);
          if (m.node === this.name) this.answerAccusation(from);
          break;
        case "dead":
          this.report(this.onDead(m), from);
          if (m.node === this.name) this.answerAccusation(from);
          break;
        case "user":
          this.fx.push({type: "deliver", payload: m.payload, from});
          break;
        default:
          assertNever(m);
      }
    }
  }

  private handlePing(from: Address, m: PingMessage): void {
    if (m.node !== "" && m.node !== this.name) {
      this.drop("wrongNode", from, m.node);
      return;
    }
    this.sendWithPiggyback(m.source ?? from, [{type: "ack", seqNo: m.seqNo, payload: this.ackPayload}]);
  }

  private handleIndirectPing(from: Address, m: IndirectPingMessage): void {
    const seqNo = this.nextSeq();
    const replyTo = m.source ?? from;
    if (!this.served.add(seqNo, {requesterSeqNo: m.seqNo, replyTo, nack: m.nack})) {
      this.drop("overloaded", from, "indirect ping requests");
      return;
    }
    const target = m.target.port === 0 ? {host: m.target.host, port: this.table.addrOf(SELF_SLOT).port} : m.target;
    this.sendWithPiggyback(target, [this.pingFor(seqNo, m.node)]);
    this.setTimer({type: "indirectTimeout", seqNo}, this.config.probeTimeoutMs);
  }

  private handleAck(from: Address, seqNo: number, payload: Uint8Array): void {
    const probe = this.probeOf(seqNo);
    if (probe !== undefined) {
      this.counters.acksReceived++;
      if (!probe.indirect) {
        this.fx.push({type: "pingComplete", node: probe.targetIdentity.name, rttMs: this.now - probe.startMs, payload});
      }
      this.probeSucceeded(probe);
      return;
    }
    const request = this.served.take(seqNo);
    if (request !== undefined) {
      this.sendWithPiggyback(request.replyTo, [{type: "ack", seqNo: request.requesterSeqNo, payload: EMPTY}]);
      return;
    }
    this.drop("unknownSeqNo", from, `ack ${seqNo}`);
  }

  private handleNack(from: Address, seqNo: number): void {
    const probe = this.probeOf(seqNo);
    if (probe !== undefined) {
      probe.nacks++;
      this.counters.nacksReceived++;
      return;
    }
    this.drop("unknownSeqNo", from, `nack ${seqNo}`);
  }

  // ---------------------------------------------------------------- streams

  private handleStreamRequest(id: number, from: Address, message: StreamMessage): void {
    switch (message.type) {
      case "pushPull":
        this.fx.push({
          type: "streamReply",
          id,
          message: {type: "pushPull", join: message.join, states: this.localState(), userState: EMPTY},
        });
        this.mergeRemoteState(message.states, from);
        break;
      case "ping":
        if (message.node !== "" && message.node !== this.name) {
          this.fx.push({type: "streamClose", id});
          this.drop("wrongNode", from, message.node);
        } else {
          this.fx.push({type: "streamReply", id, message: {type: "ack", seqNo: message.seqNo, payload: EMPTY}});
        }
        break;
      case "user":
        this.fx.push({type: "deliver", payload: message.payload, from});
        this.fx.push({type: "streamClose", id});
        break;
      case "ack":
      case "err":
        this.fx.push({type: "streamClose", id});
        this.drop("unexpectedMessage", from, `stream request ${message.type}`);
        break;
      default:
        assertNever(message);
    }
  }

  private handleStreamResponse(id: number, message: StreamMessage): void {
    const stream = this.streams.take(id);
    if (stream === undefined) {
      this.drop("unknownStream", undefined, `stream ${id}`);
      return;
    }
    if (stream.kind === "ping") {
      if (message.type !== "ack" || message.seqNo !== stream.seqNo) {
        this.drop("unexpectedMessage", undefined, `tcp ping answered with ${message.type}`);
        return;
      }
      const probe = this.probeOf(stream.seqNo);
      if (probe !== undefined) {
        this.counters.acksReceived++;
        this.probeSucceeded(probe);
      }
      return;
    }
    if (message.type !== "pushPull") {
      const detail =
        message.type === "err" ? `remote error: ${message.error}` : `push-pull answered with ${message.type}`;
      this.drop("unexpectedMessage", stream.to, detail);
      return;
    }
    // A joiner's first view comes from a member that already knows it (config.quietJoin): it is
    // merged without re-gossip. What joined since, catch-up push-pulls with random members bring
    // (merged quietly too: the cluster has it), each after twice the wait of the one before, for
    // as long as each brings a member we did not know.
    this.quietMerge = stream.catchUp > 0;
    const before = this.table.size;
    try {
      this.mergeRemoteState(message.states, stream.to);
    } finally {
      this.quietMerge = false;
    }
    if (stream.catchUp > 0 && stream.catchUp <= CATCH_UP_ROUNDS && this.table.size > before) {
      const base = this.config.probeIntervalMs * (2 << (stream.catchUp - 1));
      this.setTimer(
        {type: "catchUp", token: this.loopToken, round: stream.catchUp + 1},
        base + this.random.nextInt(base),
      );
    }
  }

  private openStream(to: Address, record: OutgoingStream, message: StreamMessage, timeoutMs: number): number {
    const id = this.streams.open(record);
    this.fx.push({type: "sendStream", id, to, message, timeoutMs});
    return id;
  }

  /** `catchUp`: 1 for a quiet join, k ≥ 2 for its catch-ups, 0 otherwise (see handleStreamResponse). */
  private openPushPull(to: Address, join: boolean, catchUp = 0): void {
    this.openStream(
      to,
      {kind: "pushPull", join, to, catchUp},
      {type: "pushPull", join, states: this.localState(), userState: EMPTY},
      this.config.tcpTimeoutMs,
    );
  }

  /** Our whole table as push-pull states, self and dead/left members included (docs/memberlist-wire.md §6.2). */
  private localState(): PushNodeState[] {
    const t = this.table;
    const slots = this.slotScratch;
    slots.length = 0;
    t.inOrder(slots);
    const out: PushNodeState[] = [];
    for (let i = 0; i < slots.length; i++) out.push(t.pushState(slots[i] as number));
    slots.length = 0;
    return out;
  }

  /**
   * Our members' versions, for verifyProtocol: their ranges as the table keeps them, and to name
   * a failing member the table in its order, read through one reused cursor.
   */
  private versionedMembers(): VersionedMembers {
    const t = this.table;
    const slots = this.slotScratch;
    slots.length = 0;
    const cursor = this.versionCursor;
    return {
      count: t.size,
      ranges: (into) => t.versionRanges(into),
      at(i: number): VersionedMember {
        // Listed only when a failing member must be named.
        if (slots.length === 0) t.inOrder(slots);
        const slot = slots[i] as number;
        cursor.name = t.nameOf(slot);
        cursor.state = t.stateOf(slot);
        cursor.vsn = t.vsnOf(slot);
        return cursor;
      },
    };
  }

  /** memberlist's mergeRemoteState: version check, then alive → alive rules, left → left, dead/suspect → suspect. */
  private mergeRemoteState(states: readonly PushNodeState[], from: Address): void {
    const incompatible = verifyProtocol(this.versionedMembers(), states);
    if (incompatible !== undefined) {
      this.drop("incompatibleVersion", from, incompatible);
      return;
    }
    this.counters.pushPulls++;
    // A joiner's first push-pull brings the whole cluster: room for it at once.
    if (states.length > this.table.size) this.table.reserve(Math.min(states.length, this.config.maxMembers) + 1);
    for (const s of states) {
      let reason: DropReason | undefined;
      switch (s.state) {
        case "alive": {
          // Most of a push-pull is old news: skip building a message for it.
          const old = this.oldNews(s.name, s.incarnation, s.addr);
          reason =
            old !== NOT_OLD_NEWS ? old : this.onAlive(aliveMessage(s.incarnation, s.name, s.addr, s.meta, s.vsn), true);
          break;
        }
        case "left":
          reason = this.onDead({type: "dead", incarnation: s.incarnation, node: s.name, from: s.name});
          break;
        case "dead":
        case "suspect":
          reason = this.onSuspect({type: "suspect", incarnation: s.incarnation, node: s.name, from: this.name});
          break;
        default:
          assertNever(s.state);
      }
      // Old news and unknown suspects are the normal content of a push-pull; report only real problems.
      if (reason !== undefined && reason !== "oldIncarnation" && reason !== "unknownMember") {
        this.drop(reason, from, s.name);
      }
    }
  }

  // ---------------------------------------------------------------- timers

  private handleTimer(timer: Timer): void {
    switch (timer.type) {
      case "probe":
        if (timer.token !== this.loopToken || this.statusValue === "left") return;
        this.setTimer(timer, this.config.probeIntervalMs);
        if (this.activeProbe !== undefined) this.probeTickPending = true;
        else this.startProbe();
        return;
      case "probeTimeout":
        this.onProbeTimeout(timer.seqNo);
        return;
      case "probeDeadline":
        this.onProbeDeadline(timer.seqNo);
        return;
      case "indirectTimeout": {
        const request = this.served.take(timer.seqNo);
        if (request?.nack) this.sendWithPiggyback(request.replyTo, [{type: "nack", seqNo: request.requesterSeqNo}]);
        return;
      }
      case "suspicionTimeout": {
        const s = this.suspicions.get(timer.node);
        if (s === undefined || s.token !== timer.token || s.incarnation !== timer.incarnation) return;
        const wait = s.graced ? undefined : this.stallDeferral(s.dueMs);
        if (wait !== undefined) {
          s.graced = true;
          this.armSuspicion(s, wait);
          return;
        }
        this.suspicionExpired(s);
        return;
      }
      case "gossip":
        if (timer.token !== this.loopToken) return;
        this.gossipArmed = false;
        this.gossip();
        return;
      case "pushPull":
        if (timer.token !== this.loopToken || this.statusValue === "left") return;
        this.periodicPushPull();
        return;
      case "catchUp":
        if (timer.token !== this.loopToken || this.statusValue === "left") return;
        this.pushPullWithRandomMember(timer.round);
        return;
      case "reconnect":
        if (timer.token !== this.loopToken || this.statusValue === "left") return;
        this.reconnect();
        return;
      case "leaveTimeout":
        if (timer.token === this.loopToken) this.finishLeave();
        return;
      default:
        assertNever(timer);
    }
  }

  // ---------------------------------------------------------------- probing

  /** The probe in flight with `seqNo` (round-robin or suspect probe). */
  private probeOf(seqNo: number): ActiveProbe | undefined {
    if (this.activeProbe?.seqNo === seqNo) return this.activeProbe;
    if (this.suspectProbe?.seqNo === seqNo) return this.suspectProbe;
    return undefined;
  }

  /** Probes the next member of the round-robin order, or `chosen` as the suspect probe. */
  private startProbe(chosen = NO_SLOT): void {
    const t = this.table;
    if (t.liveCount === 0) return;
    const target =
      chosen !== NO_SLOT
        ? chosen
        : this.ring.next(
            (s) => t.isOther(s) && (t.stateOf(s) === "alive" || t.stateOf(s) === "suspect"),
            () => this.reapAndList(),
            this.random,
          );
    if (target === undefined) return;
    const seqNo = this.nextSeq();
    const deadlineMs = this.now + this.awareness.scaleTimeoutMs(this.config.probeIntervalMs);
    const identity = t.identityOf(target);
    const probe: ActiveProbe = {
      seqNo,
      target,
      targetGeneration: t.generationOf(target),
      targetIdentity: identity,
      incarnation: t.incarnationOf(target),
      startMs: this.now,
      deadlineMs,
      expectedNacks: 0,
      nacks: 0,
      indirect: false,
      tcpStreamId: undefined,
      graced: false,
      suspect: chosen !== NO_SLOT,
    };
    if (chosen !== NO_SLOT) this.suspectProbe = probe;
    else this.activeProbe = probe;
    this.counters.probes++;
    const ping = this.pingFor(seqNo, identity.name);
    if (t.stateOf(target) === "suspect") {
      // Tell a suspect it is suspected, so it can refute (memberlist probeNode).
      const suspect: SuspectMessage = {
        type: "suspect",
        incarnation: t.incarnationOf(target),
        node: identity.name,
        from: this.name,
      };
      this.sendWithPiggyback(identity.addr, [ping, suspect]);
    } else {
      this.sendWithPiggyback(identity.addr, [ping]);
    }
    // The deadline timer is armed only when the timeout finds no ack: most probes succeed, and a
    // stale timer per probe would be wasted work for the driver (and the simulator's heap).
    this.setTimer({type: "probeTimeout", seqNo}, this.config.probeTimeoutMs);
  }

  /** Probe-wrap housekeeping: reap dead/left members older than gossipToTheDeadMs; return the rest. */
  private reapAndList(): number[] {
    const t = this.table;
    const keep: number[] = [];
    const reap: number[] = [];
    for (let i = 0; i < t.otherCount; i++) {
      const s = t.otherAt(i);
      const state = t.stateOf(s);
      if ((state === "dead" || state === "left") && this.now - t.stateChangeMsOf(s) > this.config.gossipToTheDeadMs) {
        reap.push(s);
      } else {
        keep.push(s);
      }
    }
    for (const s of reap) {
      const name = t.nameOf(s);
      // A probe of this member reads its last identity from now on (its slot may be reused).
      if (this.activeProbe !== undefined) this.probeIdentity(this.activeProbe);
      if (this.suspectProbe !== undefined) this.probeIdentity(this.suspectProbe);
      this.tombstones.bury(name, t.incarnationOf(s), t.stateOf(s) === "left", this.now);
      t.remove(s);
      this.suspicions.delete(name);
      this.refutedAt.delete(name);
    }
    return keep;
  }

  /** The probe's target slot while it still holds the target (not reaped meanwhile), else NO_SLOT. */
  private probeSlot(probe: ActiveProbe): number {
    return this.table.generationOf(probe.target) === probe.targetGeneration ? probe.target : NO_SLOT;
  }

  /** The probe target's current identity (its last one, once reaped). */
  private probeIdentity(probe: ActiveProbe): MemberIdentity {
    const slot = this.probeSlot(probe);
    if (slot !== NO_SLOT) probe.targetIdentity = this.table.identityOf(slot);
    return probe.targetIdentity;
  }

  private onProbeTimeout(seqNo: number): void {
    const probe = this.probeOf(seqNo);
    if (probe === undefined) return;
    this.counters.indirectProbes++;
    probe.indirect = true;
    this.setTimer({type: "probeDeadline", seqNo}, Math.max(0, probe.deadlineMs - this.now));
    const t = this.table;
    const targetSlot = this.probeSlot(probe);
    const target = this.probeIdentity(probe);
    const helpers = t.sample(
      this.config.indirectChecks,
      this.random,
      (s) => t.stateOf(s) === "alive" && s !== targetSlot,
      [],
    );
    for (const helper of helpers) {
      const nack = (t.vsnOf(helper)[1] as number) >= 4;
      if (nack) probe.expectedNacks++;
      const request: IndirectPingMessage = {
        type: "indirectPing",
        seqNo,
        target: target.addr,
        node: target.name,
        nack,
        source: t.addrOf(SELF_SLOT),
        sourceNode: this.name,
      };
      this.sendWithPiggyback(t.addrOf(helper), [request]);
    }
    if (!this.config.disableTcpPings && (target.vsn[1] as number) >= 3) {
      probe.tcpStreamId = this.openStream(
        target.addr,
        {kind: "ping", seqNo},
        this.pingFor(seqNo, target.name),
        Math.max(1, probe.deadlineMs - this.now),
      );
    }
  }

  private onProbeDeadline(seqNo: number): void {
    const probe = this.probeOf(seqNo);
    if (probe === undefined) return;
    const wait = probe.graced ? undefined : this.stallDeferral(probe.deadlineMs);
    if (wait !== undefined) {
      // Stalled: the ack may be waiting to be read. Decide once it has had its chance.
      probe.graced = true;
      this.setTimer({type: "probeDeadline", seqNo}, wait);
      return;
    }
    // Lifeguard: missing nacks mean our own links are fine and the target is at fault — or not.
    this.failProbe(probe, probe.expectedNacks > 0 ? Math.max(0, probe.expectedNacks - probe.nacks) : 1);
  }

  /**
   * The TCP fallback ping of probe `seqNo` was refused (config.refusedProbeFails): the target's
   * host says nothing listens at its address, which no loss, pause or slowness produces, so the
   * probe fails now rather than at its deadline. The refusal came back, so our own link works:
   * no local-health penalty.
   */
  private onPingRefused(seqNo: number, streamId: number): void {
    if (!this.config.refusedProbeFails) return;
    const probe = this.probeOf(seqNo);
    if (probe === undefined || probe.tcpStreamId !== streamId) return;
    this.failProbe(probe, 0);
  }

  /** Ends `probe` as failed: local health moves by `awarenessDelta`, and we suspect the target. */
  private failProbe(probe: ActiveProbe, awarenessDelta: number): void {
    this.endProbe(probe);
    this.counters.probeFailures++;
    this.awareness.applyDelta(awarenessDelta);
    this.onSuspect({type: "suspect", incarnation: probe.incarnation, node: probe.targetIdentity.name, from: this.name});
    this.afterProbe(probe);
  }

  private probeSucceeded(probe: ActiveProbe): void {
    this.endProbe(probe);
    this.awareness.applyDelta(-1);
    this.afterProbe(probe);
  }

  private endProbe(probe: ActiveProbe): void {
    if (probe.suspect) this.suspectProbe = undefined;
    else this.activeProbe = undefined;
  }

  /** After a suspect probe, the waiting one; after a round-robin probe, a tick that came meanwhile. */
  private afterProbe(ended: ActiveProbe): void {
    if (ended.suspect) {
      const next = this.pendingSuspectProbe;
      this.pendingSuspectProbe = NO_SLOT;
      // Still suspected and still in the table (not refuted, declared dead or reaped meanwhile).
      if (
        next !== NO_SLOT &&
        this.table.generationOf(next) === this.pendingSuspectGeneration &&
        this.table.stateOf(next) === "suspect" &&
        this.statusValue !== "left"
      ) {
        this.counters.suspectProbes++;
        this.startProbe(next);
      }
      return;
    }
    if (this.probeTickPending && this.statusValue !== "left") {
      this.probeTickPending = false;
      this.startProbe();
    }
  }

  private pingFor(seqNo: number, node: string): PingMessage {
    return {type: "ping", seqNo, node, source: this.table.addrOf(SELF_SLOT), sourceNode: this.name};
  }

  // ---------------------------------------------------------------- membership rules

  private selfContext(): SelfContext {
    // One reused object: this runs for every membership message.
    const ctx = this.ctx;
    ctx.leaving = this.statusValue === "leaving" || this.statusValue === "left";
    ctx.nowMs = this.now;
    return ctx;
  }

  /**
   * Applies an alive message (from gossip or push-pull). Returns why it was ignored, if it was.
   * `notOldNews`: the caller already found it is not old news (oldNews), so it is not asked again.
   */
  private onAlive(msg: AliveMessage, notOldNews = false): DropReason | undefined {
    if (msg.addr.port === 0) {
      // memberlist substitutes its own bind port for a zero port.
      const addr = {host: msg.addr.host, port: this.table.addrOf(SELF_SLOT).port};
      msg = aliveMessage(msg.incarnation, msg.node, addr, msg.meta, msg.vsn);
      notOldNews = false;
    }
    if (!notOldNews) {
      const old = this.oldNews(msg.node, msg.incarnation, msg.addr);
      if (old !== NOT_OLD_NEWS) return old;
    }
    const t = this.table;
    const known = t.slotOf(msg.node);
    const verdict = aliveVerdict(t, known, msg, this.selfContext());
    switch (verdict) {
      case "noop":
        return undefined;
      case "refute":
        this.refute(msg.incarnation, "");
        return undefined;
      case "insert": {
        if (this.table.size >= this.config.maxMembers) return "membersFull";
        const tomb = this.tombstones.refusing(msg.node, msg.incarnation, this.now, this.config.reconnectTimeoutMs);
        if (tomb !== undefined) {
          // Stale news, or a restarted process at a low incarnation: tell its address it is
          // dead/left; a live process there refutes with a higher incarnation, which we accept.
          const from = tomb.left ? msg.node : this.name;
          this.fx.push({
            type: "send",
            to: msg.addr,
            messages: [{type: "dead", incarnation: tomb.incarnation, node: msg.node, from}],
          });
          return "oldIncarnation";
        }
        const slot = t.add(msg.node, msg.addr, msg.incarnation, msg.meta, msg.vsn, "alive", this.now);
        this.ring.add(slot, this.random);
        this.failed.forget(msg.node);
        if (!this.quietMerge) this.queueMembership(msg.node, this.intern.internAlive(msg));
        this.notify({type: "memberUp", member: t.toView(slot)});
        return undefined;
      }
      case "accept": {
        assert(known !== NO_SLOT, "accept needs a known member");
        this.suspicions.delete(msg.node);
        this.queueMembership(msg.node, this.intern.internAlive(msg));
        const oldState = t.stateOf(known);
        const changed = !sameAddress(t.addrOf(known), msg.addr) || !bytesEqual(t.metaOf(known), msg.meta);
        t.setIncarnation(known, msg.incarnation);
        if (changed || !vsnEqual(t.vsnOf(known), msg.vsn)) t.setIdentity(known, msg.addr, msg.meta, msg.vsn);
        t.setState(known, "alive", this.now);
        if (oldState === "dead" || oldState === "left") {
          this.failed.forget(msg.node);
          this.notify({type: "memberUp", member: t.toView(known)});
        } else {
          if (oldState === "suspect") {
            if (this.config.refutedSuspicionMult > 0) this.refutedAt.set(msg.node, this.now);
            this.notify({type: "memberAlive", member: t.toView(known)});
          }
          if (changed) this.notify({type: "memberUpdated", member: t.toView(known)});
        }
        return undefined;
      }
      case "addressConflict":
        if (known !== NO_SLOT)
          this.notify({type: "nameConflict", name: msg.node, existing: t.addrOf(known), other: msg.addr});
        return verdict;
      default:
        return verdict;
    }
  }

  /**
   * The fast path for the most common gossip of all: an alive about a known other member at no
   * higher incarnation and the same address changes nothing. Returns what onAlive would (the drop
   * reason or undefined), or NOT_OLD_NEWS when the full rules must decide. `addr` has a port.
   */
  private oldNews(node: string, incarnation: number, addr: Address): DropReason | undefined | typeof NOT_OLD_NEWS {
    if (addr.port === 0) return NOT_OLD_NEWS;
    const quick = this.table.quickOldNews(node, incarnation, addr);
    if (quick === OLD_NEWS_SAME) return undefined;
    if (quick === OLD_NEWS_OLDER) return "oldIncarnation";
    return NOT_OLD_NEWS;
  }

  /** Applies a suspect message. Returns why it was ignored, if it was. */
  private onSuspect(msg: SuspectMessage): DropReason | undefined {
    const t = this.table;
    const known = t.slotOf(msg.node);
    const verdict = suspectVerdict(t, known, msg, this.suspicions.has(msg.node), this.name);
    if (verdict === "oldIncarnation") this.reannounce(msg.node, msg.from);
    switch (verdict) {
      case "noop":
        return undefined;
      case "refute":
        this.refute(msg.incarnation, msg.from);
        return undefined;
      case "confirm": {
        const s = this.suspicions.get(msg.node) as Suspicion;
        const remaining = s.confirm(msg.from, this.now);
        if (remaining === undefined) return undefined;
        // A new independent accuser: re-gossip so others can count it too, and shorten the timer.
        this.queueMembership(msg.node, msg);
        s.token = this.nextToken();
        const wait = remaining > 0 || s.graced ? undefined : this.stallDeferral(s.dueMs);
        if (wait !== undefined) {
          s.graced = true;
          this.armSuspicion(s, wait);
        } else if (remaining <= 0) this.suspicionExpired(s);
        else this.armSuspicion(s, remaining);
        return undefined;
      }
      case "accept": {
        assert(known !== NO_SLOT, "accept needs a known member");
        this.queueMembership(msg.node, msg);
        t.setIncarnation(known, msg.incarnation);
        t.setState(known, "suspect", this.now);
        this.counters.suspicions++;
        this.notify({type: "memberSuspect", member: t.toView(known)});
        const c = this.config;
        const n = this.table.size;
        const expected = expectedConfirmations(c.suspicionConfirmations, n);
        // Live others less the suspect: self and the other live members, less the first accuser.
        const k = c.liveConfirmations ? Math.min(expected, Math.max(0, this.table.liveCount - 1)) : expected;
        const baseMinMs = suspicionTimeoutMs(c.suspicionMult, n, c.probeIntervalMs);
        const maxMs = c.suspicionMaxTimeoutMult * baseMinMs;
        const refuted = this.refutedRecently(msg.node, maxMs);
        const minMs = Math.min(
          maxMs,
          refuted ? suspicionTimeoutMs(c.refutedSuspicionMult, n, c.probeIntervalMs) : baseMinMs,
        );
        const s = new Suspicion(msg.node, msg.incarnation, msg.from, this.now, k, minMs, maxMs, this.nextToken());
        this.suspicions.set(msg.node, s);
        this.armSuspicion(s, s.initialTimeoutMs());
        if (c.suspectProbes && msg.from !== this.name) {
          // A member that refuted lately is more likely slow than dead: it gets the news, so it can
          // refute again, but no probe that would take the slot from a fresh suspicion.
          if (refuted) this.sendWithPiggyback(t.addrOf(known), [msg]);
          else this.requestSuspectProbe(known);
        }
        return undefined;
      }
      default:
        return verdict;
    }
  }

  /**
   * Probes a member someone else suspects, beside the round-robin probe: at once, or after the
   * suspect probe in flight (one waits at a time; a newer suspicion takes the slot). Our own
   * verdict — an ack, or a failure that confirms the suspicion — then reaches the cluster within a
   * probe instead of a probe round.
   */
  private requestSuspectProbe(target: number): void {
    if (this.statusValue === "left") return;
    if (this.activeProbe !== undefined && this.probeSlot(this.activeProbe) === target) return;
    if (this.suspectProbe === undefined) {
      this.counters.suspectProbes++;
      this.startProbe(target);
    } else if (this.probeSlot(this.suspectProbe) !== target) {
      this.pendingSuspectProbe = target;
      this.pendingSuspectGeneration = this.table.generationOf(target);
    }
  }

  /**
   * Whether `node` refuted a suspicion within the last `windowMs` (config.refutedSuspicionMult);
   * forgets older refutations as it meets them.
   */
  private refutedRecently(node: string, windowMs: number): boolean {
    const at = this.refutedAt.get(node);
    if (at === undefined) return false;
    if (this.now - at <= windowMs) return true;
    this.refutedAt.delete(node);
    return false;
  }

  private armSuspicion(s: Suspicion, delayMs: number): void {
    s.dueMs = this.now + delayMs;
    this.setTimer({type: "suspicionTimeout", node: s.node, incarnation: s.incarnation, token: s.token}, delayMs);
  }

  /**
   * Stall detection (config.lateTimerGraceMs): the probe ticker alone brings an input every
   * probeIntervalMs, so a longer silence means our process did not run; what piled up meanwhile
   * is read during the grace that follows, before any verdict.
   */
  private noticeStall(nowMs: number): void {
    const grace = this.config.lateTimerGraceMs;
    if (grace > 0 && this.statusValue === "running" && nowMs - this.lastInputMs > this.config.probeIntervalMs + grace)
      this.catchUpUntilMs = Math.max(this.catchUpUntilMs, nowMs + grace);
    this.lastInputMs = nowMs;
  }

  /**
   * Ms to wait before a verdict because we were stalled — a timer due at `dueMs` fired more than
   * the grace late, or we are still catching up on a stall — else undefined (decide now).
   */
  private stallDeferral(dueMs: number): number | undefined {
    const grace = this.config.lateTimerGraceMs;
    if (grace <= 0) return undefined;
    if (this.now - dueMs > grace) this.catchUpUntilMs = Math.max(this.catchUpUntilMs, this.now + grace);
    if (this.now >= this.catchUpUntilMs) return undefined;
    this.counters.lateTimers++;
    return this.catchUpUntilMs - this.now;
  }

  private suspicionExpired(s: Suspicion): void {
    this.suspicions.delete(s.node);
    const t = this.table;
    const slot = t.slotOf(s.node);
    if (slot === NO_SLOT || t.stateOf(slot) !== "suspect" || t.incarnationOf(slot) !== s.incarnation) return;
    this.onDead({type: "dead", incarnation: s.incarnation, node: s.node, from: this.name});
  }

  /** Applies a dead message (dead, or left when from === node). Returns why it was ignored, if it was. */
  private onDead(msg: DeadMessage): DropReason | undefined {
    const t = this.table;
    const known = t.slotOf(msg.node);
    const verdict = deadVerdict(t, known, msg, this.selfContext());
    if (verdict === "oldIncarnation") this.reannounce(msg.node, msg.from);
    if (verdict === "unknownMember" || verdict === "oldIncarnation") return verdict;
    this.suspicions.delete(msg.node);
    switch (verdict) {
      case "noop":
        return undefined;
      case "refute":
        this.refute(msg.incarnation, msg.from);
        return undefined;
      case "accept": {
        assert(known !== NO_SLOT, "accept needs a known member");
        const item = this.queueMembership(msg.node, msg);
        const isSelf = known === SELF_SLOT;
        if (isSelf) this.leaveItem = item;
        t.setIncarnation(known, msg.incarnation);
        const left = msg.from === msg.node;
        t.setState(known, left ? "left" : "dead", this.now);
        if (left) {
          this.failed.forget(msg.node);
          this.notify({type: "memberLeft", member: t.toView(known)});
        } else {
          this.counters.deaths++;
          if (!isSelf) this.failed.remember({name: msg.node, addr: t.addrOf(known), deadAtMs: this.now}, this.random);
          this.notify({type: "memberDown", member: t.toView(known)});
        }
        return undefined;
      }
      default:
        return verdict;
    }
  }

  /**
   * A suspect or dead message about us at an incarnation older than ours: its sender missed our
   * last refutation. memberlist drops it silently, and then the sender keeps its stale suspicion
   * until it declares us dead (a false positive at that node, healed only by a later push-pull;
   * found by the refutation property, seed 2830806970). Instead we gossip our current alive again
   * — same incarnation, so nobody else changes anything — and send it straight to the accuser.
   */
  private reannounce(node: string, accusedBy: string): void {
    if (node !== this.name || this.statusValue !== "running") return;
    this.queueMembership(this.name, this.selfAlive());
    this.tellAccuser(accusedBy);
  }

  /**
   * Sends our queued alive straight to the member that accused us, besides gossiping it: the
   * accuser's suspicion timer started first, and random gossip may miss it before it fires (found
   * by the refutation property: 7 nodes, LAN, 4.9% loss, seed 3115564514 — every node but the
   * accuser got the refutation, and the accuser declared the healthy node dead).
   */
  private tellAccuser(accusedBy: string): void {
    const accuser = this.table.slotOf(accusedBy);
    if (accuser !== NO_SLOT && this.table.isLiveOther(accuser)) {
      this.sendWithPiggyback(this.table.addrOf(accuser), []);
    }
  }

  /**
   * An accusation about us came in a packet from `from`: that node holds the suspicion (it is
   * gossiping it), whoever first raised it — send it our current alive, which refute/reannounce
   * just queued (found by the refutation property: soak seed 1720880210, 8 nodes, LAN — the
   * relaying node was never told and declared the healthy node dead).
   */
  private answerAccusation(from: Address): void {
    if (this.statusValue !== "running" || sameAddress(from, this.table.addrOf(SELF_SLOT))) return;
    this.sendWithPiggyback(from, []);
  }

  /** Raises our incarnation above `accusedIncarnation` and gossips alive (memberlist's refute). */
  private refute(accusedIncarnation: number, accusedBy: string): void {
    const t = this.table;
    let incarnation = t.incarnationOf(SELF_SLOT) + 1;
    if (accusedIncarnation >= incarnation) incarnation = accusedIncarnation + 1;
    t.setIncarnation(SELF_SLOT, this.bumpIncarnation(incarnation));
    this.awareness.applyDelta(1);
    this.counters.refutations++;
    this.queueMembership(this.name, this.selfAlive());
    this.notify({type: "refuted", incarnation: t.incarnationOf(SELF_SLOT), accusedBy});
    this.tellAccuser(accusedBy);
  }

  private bumpIncarnation(incarnation: number): number {
    // Incarnations are uint32 on the wire; saturate rather than wrap (a wrap would lose every refutation).
    return Math.min(incarnation, 0xffff_ffff);
  }

  private selfAlive(): AliveMessage {
    const t = this.table;
    const self = t.identityOf(SELF_SLOT);
    return aliveMessage(t.incarnationOf(SELF_SLOT), self.name, self.addr, self.meta, self.vsn);
  }

  // ---------------------------------------------------------------- dissemination

  private queueMembership(key: string, message: Message): QueuedBroadcast {
    const item = this.membership.enqueue(key, message, this.sizeOf(message));
    this.armGossip();
    return item;
  }

  /** Arms the gossip timer on the loop's phase, unless it is armed already. */
  private armGossip(): void {
    if (this.gossipArmed || this.statusValue === "idle") return;
    const interval = this.config.gossipIntervalMs;
    const delay =
      this.now < this.gossipPhaseMs
        ? this.gossipPhaseMs - this.now
        : interval - ((this.now - this.gossipPhaseMs) % interval);
    this.gossipArmed = true;
    this.setTimer({type: "gossip", token: this.loopToken}, delay);
  }

  private gossip(): void {
    if (this.queuedBroadcasts === 0) return;
    const t = this.table;
    const targets = t.sample(
      this.config.gossipNodes,
      this.random,
      (s) => {
        const state = t.stateOf(s);
        return (
          state === "alive" ||
          state === "suspect" ||
          (state === "dead" && this.now - t.stateChangeMsOf(s) <= this.config.gossipToTheDeadMs)
        );
      },
      [],
      true,
    );
    for (const target of targets) {
      if (!this.sendWithPiggyback(t.addrOf(target), [])) break;
      this.counters.gossipPackets++;
    }
    if (this.queuedBroadcasts > 0) this.armGossip();
  }

  /**
   * Sends `primary` to `to` with as many queued broadcasts as fit in maxPacketBytes: membership
   * updates first, leaving config.userGossipSharePct of the bytes to queued user messages, then
   * user messages in all that is left (with a share of 0, memberlist's order).
   * With no primary messages, sends only when something was queued; returns whether a packet
   * was sent.
   */
  private sendWithPiggyback(to: Address, primary: Message[]): boolean {
    let used = COMPOUND_HEADER_OVERHEAD;
    for (const m of primary) used += this.sizeOf(m) + COMPOUND_PART_OVERHEAD;
    const budget = this.config.maxPacketBytes - used;
    const maxParts = COMPOUND_PARTS_MAX - primary.length;
    const picked = this.picked;
    picked.length = 0;
    if (budget > 0 && (this.membership.size > 0 || this.userBroadcasts.size > 0)) {
      const limit = retransmitLimit(this.config.retransmitMult, this.table.size);
      // Bytes kept from membership updates for queued user messages (one take per queue: a
      // second take could pick an entry the first one just re-queued, twice in one packet).
      const reserved = this.userBroadcasts.size > 0 ? Math.floor((budget * this.config.userGossipSharePct) / 100) : 0;
      const usedByMembership = this.membership.take(budget - reserved, maxParts, limit, picked);
      if (picked.length < maxParts && this.userBroadcasts.size > 0) {
        this.userBroadcasts.take(budget - usedByMembership, maxParts - picked.length, limit, picked);
      }
    }
    if (primary.length === 0 && picked.length === 0) return false;
    // One allocation of the final size (pushing onto `primary` regrows it several times per packet).
    const messages = new Array<Message>(primary.length + picked.length);
    for (let i = 0; i < primary.length; i++) messages[i] = primary[i] as Message;
    for (let i = 0; i < picked.length; i++) {
      const item = picked[i] as QueuedBroadcast;
      messages[primary.length + i] = item.message;
      // Like memberlist's Leave, wait until the leave broadcast reached its retransmit limit (the
      // queue's Finished), not just its first packet: a leaving node that stops after one send
      // leaves the spread to a thin epidemic (found by the dissemination property, local preset).
      if (item === this.leaveItem && !item.queued) this.leaveTransmitted = true;
    }
    this.fx.push({type: "send", to, messages});
    return true;
  }

  // ---------------------------------------------------------------- push-pull and healing

  /** One push-pull (join = false) with a random alive member, if there is one. */
  private pushPullWithRandomMember(catchUp = 0): void {
    const t = this.table;
    const [target] = t.sample(1, this.random, (s) => t.stateOf(s) === "alive", []);
    if (target !== undefined) this.openPushPull(t.addrOf(target), false, catchUp);
  }

  private periodicPushPull(): void {
    const c = this.config;
    this.pushPullWithRandomMember();
    this.setTimer({type: "pushPull", token: this.loopToken}, pushPullScaleMs(c.pushPullIntervalMs, this.table.size));
  }

  private reconnect(): void {
    const c = this.config;
    const pick = this.failed.pick(this.now, c.reconnectTimeoutMs, this.random, (m) => {
      const slot = this.table.slotOf(m.name);
      return slot === NO_SLOT || this.table.stateOf(slot) === "dead";
    });
    if (pick !== undefined) this.openPushPull(pick.addr, true);
    if (this.table.counts.alive === 0) {
      for (const seed of this.seeds) {
        if (!sameAddress(seed, this.table.addrOf(SELF_SLOT)) && (pick === undefined || !sameAddress(seed, pick.addr))) {
          this.openPushPull(seed, true);
        }
      }
    }
    this.setTimer({type: "reconnect", token: this.loopToken}, c.reconnectIntervalMs);
  }

  // ---------------------------------------------------------------- helpers

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    return this.seq;
  }

  private nextToken(): number {
    this.tokenSeq = this.tokenSeq >= Number.MAX_SAFE_INTEGER ? 1 : this.tokenSeq + 1;
    return this.tokenSeq;
  }

  private setTimer(timer: Timer, delayMs: number): void {
    assert(delayMs >= 0 && Number.isFinite(delayMs), "timer delay must be a finite number ≥ 0");
    this.fx.push({type: "setTimer", timer, delayMs});
  }

  private notify(event: Notification): void {
    this.fx.push({type: "notify", event});
  }

  private drop(reason: DropReason, from: Address | undefined, detail: string | undefined): void {
    const effect: {type: "dropped"; reason: DropReason; from?: Address; detail?: string} = {type: "dropped", reason};
    if (from !== undefined) effect.from = from;
    if (detail !== undefined) effect.detail = detail;
    this.fx.push(effect);
  }

  private report(reason: DropReason | undefined, from: Address): void {
    if (reason !== undefined) this.drop(reason, from, undefined);
  }
}
