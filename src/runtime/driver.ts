/*
 * The driver: runs a SwimNode on real sockets and a real clock.
 *
 *   transport ──bytes──▶ codec.decode ──Input──▶ node.handle(now, input) ──Effect[]──▶ execute
 *        ▲                                                                               │
 *        └────────────── codec.encode ◀── send / sendStream / streamReply ◀──────────────┘
 *                                         setTimer ──▶ one min-heap, one armed wake-up
 *
 * Inputs are queued and handled one at a time, and each input's effects run in order before
 * the next input (so a listener that calls back into the agent never re-enters the core).
 * Every timer — the core's, and the driver's own stream deadlines — lives in one Scheduler
 * heap; a single wake-up is armed for the earliest deadline on the TimerHost (timer-host.ts: an
 * unref'd setTimeout by default, a virtual-clock event in the simulator). Core
 * timers are values and are never cancelled; stream deadlines are ignored when they fire
 * after their stream finished.
 *
 * Streams (docs/memberlist-wire.md §6): each TCP connection carries one request and at most one reply.
 *   outgoing: sendStream{id} → dial, write, read until one message decodes → streamResponse{id}
 *             (connect error, bad bytes, early close, or timeoutMs passed → streamFailed{id})
 *   incoming: accept → read until one message decodes → streamRequest{id} → streamReply/Close
 *             (the whole exchange must finish within tcpTimeoutMs; garbage gets an err reply)
 * Datagrams that fail to decode are counted and dropped; nothing from the network throws.
 * With a cluster label (codec/label.ts) every datagram and dialled stream carries it; traffic with
 * another label or none is dropped and counted in labelMismatches (a stream is closed, unanswered).
 */
import createDebug from "debug";
import {
  CodecContext,
  DecodeError,
  decodePacketParts,
  decodeStream,
  ENCRYPTION_OVERHEAD,
  encodedSize,
  encodePacket,
  encodeStream,
  GossipMemo,
  type Keyring,
  labelOverhead,
  type PacketOptions,
  type StreamOptions,
} from "../codec/index.ts";
import {
  type Address,
  type AliveMessage,
  createRandom,
  type DropReason,
  type Effect,
  type Input,
  InvalidStateError,
  type LocalMemberInit,
  type Message,
  type Notification,
  type PingComplete,
  type Random,
  type StreamMessage,
  type SwimConfig,
  SwimNode,
  type Timer,
  validateAckPayload,
} from "../core/index.ts";
import {type Clock, createMonotonicClock} from "./clock.ts";
import {randomSeed} from "./random-seed.ts";
import {Scheduler} from "./scheduler.ts";
import {countDrop, createDriverStats, type DriverStats} from "./stats.ts";
import {createNodeTimerHost, type TimerHost} from "./timer-host.ts";

const logStream = createDebug("lifeline:stream");
const logDrop = createDebug("lifeline:drop");
const logProbe = createDebug("lifeline:probe");
const logGossip = createDebug("lifeline:gossip");
const logSuspicion = createDebug("lifeline:suspicion");
const logTimer = createDebug("lifeline:timer");

/** The debug namespace for a datagram, by what its first message is about. */
function protocolLog(kind: Message["type"]): createDebug.Debugger {
  switch (kind) {
    case "ping":
    case "ack":
    case "nack":
    case "indirectPing":
      return logProbe;
    case "suspect":
      return logSuspicion;
    default:
      return logGossip;
  }
}

/** Bytes AES-GCM encryption adds to a datagram (the codec's constant, re-exported for the driver's users). */
export {ENCRYPTION_OVERHEAD} from "../codec/index.ts";

/**
 * Whether a stream's error is a refused connection (ECONNREFUSED: the remote host answered that
 * nothing listens at that port), on the error itself or on its cause (the transport wraps it).
 */
function connectionRefused(error: Error | undefined): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if ((e as NodeJS.ErrnoException).code === "ECONNREFUSED") return true;
  }
  return false;
}

/** What the driver needs from a stream (the transport's StreamConnection satisfies it). */
export interface DriverStream {
  readonly remote: Address;
  setHandlers(handlers: {onData(buffered: Uint8Array): void; onClose(error?: Error): void}): void;
  write(bytes: Uint8Array): void;
  end(): void;
  destroy(): void;
}

/** What the driver needs from a transport (the transport's Transport satisfies it). */
export interface DriverTransport {
  setHandlers(handlers: {
    onDatagram(datagram: {data: Uint8Array; from: Address; receivedAtMs: number}): void;
    onStream(stream: DriverStream): void;
  }): void;
  send(to: Address, bytes: Uint8Array): void;
  dial(to: Address): DriverStream;
}

/** The core as the driver uses it (SwimNode, or a scripted stand-in in tests). */
export interface CoreNode {
  handle(nowMs: number, input: Input): Effect[];
}

/** User-supplied driver options. */
export interface DriverInit {
  /** The protocol config (as the user gave it; the driver lowers maxPacketBytes for encryption). */
  readonly config: SwimConfig;
  readonly self: LocalMemberInit;
  /** Encrypt and authenticate every packet and stream with these keys (primary first). */
  readonly keyring?: Keyring | undefined;
  /** LZW-compress outgoing packets (only when smaller) and streams, as serf does. Default true. */
  readonly compress?: boolean | undefined;
  /** Prefix outgoing packets with a CRC32 (memberlist protocol 5). Default true. */
  readonly crc?: boolean | undefined;
  /** Seed of the core's PRNG; random when absent. */
  readonly seed?: number | undefined;
  /**
   * Cluster label (1–255 UTF-8 bytes; codec/label.ts): prefixed to every datagram and dialled
   * stream and authenticated when encrypting; traffic with another label or none is dropped.
   * Default: unlabelled (memberlist 0.2.2 bytes).
   */
  readonly label?: string | undefined;
}

/** Injected collaborators. */
export interface DriverComponents {
  readonly transport: DriverTransport;
  readonly clock?: Clock;
  /** Where the single wake-up is armed; default one unref'd setTimeout on `clock`. */
  readonly timers?: TimerHost;
  /**
   * What encoding and decoding remember (codec/context.ts); default a fresh one, never another
   * driver's. The simulator shares one among its virtual nodes (the same bytes decode the same).
   */
  readonly codec?: CodecContext;
  /** The decode memo of repeated gossip (codec/gossip-memo.ts); default a fresh one, null for none. */
  readonly memo?: GossipMemo | null;
  /**
   * The application's push-pull state (memberlist's LocalState / MergeRemoteState delegate): what
   * to send in every push-pull, and what to do with the peer's. Serf keeps its clocks and recent
   * events there. Absent: an empty state is sent and the peer's is ignored.
   */
  readonly userState?: UserStateDelegate;
  /** Builds the core; defaults to a SwimNode with the codec's encodedSize as sizeOf. */
  readonly createNode?: (config: SwimConfig, self: LocalMemberInit, random: Random) => CoreNode;
}

/** The push-pull user state, both directions (called synchronously on the driver's turn). */
export interface UserStateDelegate {
  local(join: boolean): Uint8Array;
  merge(state: Uint8Array, join: boolean, from: Address): void;
}

/** Where the driver reports what happened. All optional; called synchronously. */
export interface DriverListener {
  /** A core notification (member and node events), after the core committed it. */
  onNotify?(event: Notification): void;
  /** Application data from the cluster. */
  onDeliver?(payload: Uint8Array, from?: Address): void;
  /**
   * A direct probe was answered within probeTimeoutMs (memberlist's NotifyPingComplete): the
   * target, the round trip in ms, and the ack's payload (a view of the received datagram; copy it
   * to keep it past this call).
   */
  onPingComplete?(report: PingComplete): void;
  /** Bytes from the network that did not decode (already counted). */
  onDecodeError?(error: DecodeError, from: Address, via: "udp" | "tcp"): void;
  /** The core threw (a Lifeline bug); the input was dropped and the driver keeps running. */
  onInternalError?(error: unknown, input: Input): void;
  /** A datagram left for `to`: the messages it carries and its encoded bytes. */
  onPacketSent?(to: Address, messages: readonly Message[], bytes: Uint8Array): void;
  /** A stream message (request or reply) was written: the message and its encoded bytes. */
  onStreamSent?(message: StreamMessage, bytes: Uint8Array): void;
  /** The core dropped an input (already counted in stats). */
  onDropped?(reason: DropReason): void;
}

/** The outcome of a join: how many seeds answered a push-pull. */
export interface JoinResult {
  readonly attempted: number;
  readonly answered: number;
  readonly errors: readonly string[];
}

/** One of the driver's own deadlines (the core's timers go into the heap as they are). */
class OwnDeadline {
  readonly kind: "streamOut" | "streamIn" | "leave";
  /** The stream's id (0 for leave). */
  readonly id: number;
  constructor(kind: OwnDeadline["kind"], id: number) {
    this.kind = kind;
    this.id = id;
  }
}

type DriverTimer = Timer | OwnDeadline;

/** What an API call wants to hear about its input. */
interface InputHooks {
  /** Called with each outgoing stream id the input's effects opened. */
  readonly onStream?: (id: number) => void;
  /** Called after the input's effects ran. */
  readonly onDone?: () => void;
}

interface QueuedInput {
  readonly input: Input;
  readonly hooks: InputHooks | undefined;
}

interface JoinTracker {
  readonly ids: Set<number>;
  processed: boolean;
  answered: number;
  readonly errors: string[];
  readonly resolve: () => void;
}

interface OutgoingStream {
  readonly stream: DriverStream;
  done: boolean;
}

interface IncomingStream {
  readonly stream: DriverStream;
  requested: boolean;
}

/**
 * Decode memo entries per agent: room for the current alive and push-pull state of every member
 * of a ~2,000-member cluster; at most 4,096 × 640 bytes of kept parts (~2.6 MB), ~0.3 MB typical.
 */
const AGENT_MEMO_ENTRIES = 4096;

/** Runs one SwimNode on a transport. Create, then `start()`. */

export class Driver {
  // The fields every input and every wake-up touch come first, so they share a few cache lines
  // (the simulator runs a thousand drivers in one process).
  private stopped = false;
  private draining = false;
  /** True while fire() runs due timers: it arms once, at its end. */
  private firing = false;
  /** The heap changed since the wake-up was last armed (arm() has nothing to do otherwise). */
  private heapChanged = false;
  /** The deadline the wake-up is armed for (undefined: none armed). */
  private armedAt: number | undefined = undefined;
  private lastNow = 0;
  readonly node: CoreNode;
  private readonly clock: Clock;
  private readonly heap = new Scheduler<DriverTimer>();
  private readonly timers: TimerHost;
  private readonly onWake = (): void => this.fire();
  // BOUNDED: inputs are drained synchronously; the queue only holds inputs fed while draining.
  private readonly queue: QueuedInput[] = [];
  private readonly listener: DriverListener;
  readonly stats: DriverStats = createDriverStats();
  private readonly transport: DriverTransport;
  /** The config the core runs with (maxPacketBytes lowered by the encryption overhead). */
  readonly coreConfig: SwimConfig;
  private keyring: Keyring | undefined;
  private readonly userState: UserStateDelegate | undefined;
  /**
   * What this driver's encoding and decoding remember (codec/context.ts), sharing its InternPools
   * with the node: never another driver's, so agents in one process cannot change each other's bytes.
   */
  private readonly codec: CodecContext;
  /** How received datagrams and streams are decoded: the keyring, the context, a memo of repeated gossip. */
  private decodeOptions: {keyring?: Keyring; memo?: GossipMemo; context: CodecContext; label: string};
  /** The same for the reply on a stream we dialled (no label header expected). */
  private replyDecodeOptions: {
    keyring?: Keyring;
    memo?: GossipMemo;
    context: CodecContext;
    label: string;
    reply: true;
  };
  /** How datagrams, stream requests and stream replies are encoded (rebuilt by setKeyring). */
  private packetOptions!: PacketOptions;
  private streamOptions!: StreamOptions;
  private replyOptions!: StreamOptions;
  private readonly label: string;
  private readonly compress: boolean;
  private readonly crc: boolean;
  // BOUNDED: by the transport's maxOutgoingStreams / maxIncomingStreams (dial refuses beyond).
  private readonly outgoing = new Map<number, OutgoingStream>();
  private readonly incoming = new Map<number, IncomingStream>();
  private nextIncomingId = 1;
  // BOUNDED: one per join() call in flight.
  private readonly joins = new Set<JoinTracker>();
  // BOUNDED: one per leave() call in flight.
  private leaveWaiters: (() => void)[] = [];
  private started = false;
  private leftNotified = false;

  constructor(init: DriverInit, components: DriverComponents, listener: DriverListener = {}) {
    this.transport = components.transport;
    this.clock = components.clock ?? createMonotonicClock();
    this.timers = components.timers ?? createNodeTimerHost(this.clock);
    this.codec = components.codec ?? new CodecContext();
    this.listener = listener;
    this.keyring = init.keyring;
    this.userState = components.userState;
    this.label = init.label ?? "";
    // In a large cluster most gossip and push-pull states an agent receives are bytes it has
    // decoded before (each update arrives ~retransmitLimit times); see codec/gossip-memo.ts.
    const memo = components.memo === undefined ? new GossipMemo(AGENT_MEMO_ENTRIES, this.codec) : components.memo;
    this.decodeOptions = {
      ...(init.keyring ? {keyring: init.keyring} : {}),
      ...(memo !== null ? {memo} : {}),
      context: this.codec,
      label: this.label,
    };
    this.replyDecodeOptions = {...this.decodeOptions, reply: true};
    this.compress = init.compress ?? true;
    this.crc = init.crc ?? true;
    this.buildEncodeOptions();
    this.coreConfig = Object.freeze({
      ...init.config,
      maxPacketBytes: init.config.maxPacketBytes - (init.keyring ? ENCRYPTION_OVERHEAD : 0) - labelOverhead(this.label),
    });
    const random = createRandom(init.seed ?? randomSeed());
    this.node = components.createNode
      ? components.createNode(this.coreConfig, init.self, random)
      : new SwimNode(this.coreConfig, init.self, {
          random,
          sizeOf: (m) => encodedSize(m, this.codec),
          intern: this.codec.intern,
        });
  }

  /** Monotonic time the core sees (ms). */
  now(): number {
    const now = this.clock.now();
    if (now > this.lastNow) this.lastNow = now;
    return this.lastNow;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Attaches to the transport and feeds the core its `start` input. Once. */
  start(): void {
    if (this.started) throw new Error("driver already started");
    this.started = true;
    this.transport.setHandlers({
      onDatagram: (datagram) => this.handleDatagram(datagram.data, datagram.from),
      onStream: (stream) => this.handleIncomingStream(stream),
    });
    this.feed({type: "start"});
  }

  /**
   * Push-pulls with every seed (join = true). Resolves when each stream the core opened has
   * answered or failed (each bounded by tcpTimeoutMs), with how many answered.
   */
  join(seeds: readonly Address[]): Promise<JoinResult> {
    if (this.stopped) return Promise.resolve({attempted: 0, answered: 0, errors: ["agent stopped"]});
    return new Promise((resolve) => {
      const tracker: JoinTracker = {
        ids: new Set(),
        processed: false,
        answered: 0,
        errors: [],
        resolve: () => resolve({attempted: seeds.length, answered: tracker.answered, errors: tracker.errors}),
      };
      this.joins.add(tracker);
      this.feed(
        {type: "join", seeds},
        {
          onStream: (id) => tracker.ids.add(id),
          onDone: () => {
            tracker.processed = true;
            this.settleJoin(tracker);
          },
        },
      );
    });
  }

  /** Gossips our leave and resolves once the core reports `left` (bounded by leaveTimeoutMs + 1 s). */
  leave(): Promise<void> {
    if (this.stopped || this.leftNotified) return Promise.resolve();
    return new Promise((resolve) => {
      this.leaveWaiters.push(resolve);
      if (this.leaveWaiters.length === 1) {
        this.schedule(this.now() + this.coreConfig.leaveTimeoutMs + 1_000, new OwnDeadline("leave", 0));
        this.feed({type: "leave"});
      }
    });
  }

  /** Replaces our metadata (tags); the core bumps the incarnation and gossips it. */
  updateMeta(meta: Uint8Array): void {
    this.feed({type: "updateMeta", meta});
  }

  /**
   * Sets what every ack to a UDP ping carries from now on (memberlist's AckPayload; serf's
   * coordinate). Allowed before `start`. Throws InvalidConfigError("payload") when it is not bytes
   * or longer than ACK_PAYLOAD_MAX_BYTES; the payload in use is then unchanged.
   */
  setAckPayload(payload: Uint8Array): void {
    validateAckPayload(payload);
    this.feed({type: "setAckPayload", payload});
  }

  /**
   * Starts from a known membership, before `start`: every member alive at its incarnation,
   * nothing gossiped (the core's `restore` input). Throws InvalidStateError once started.
   */
  restore(members: readonly AliveMessage[]): void {
    if (this.started) throw new InvalidStateError("restore: only before start");
    this.feed({type: "restore", members});
  }

  /** Queues application data to piggyback on gossip. */
  broadcast(payload: Uint8Array): void {
    this.feed({type: "broadcast", payload});
  }

  /**
   * Sends application data to one address now, in a datagram of its own (memberlist's
   * SendToAddress): how serf answers a query. Not retried; dropped if the driver is stopped.
   */
  sendUser(to: Address, payload: Uint8Array): void {
    if (this.stopped) return;
    this.sendPacket(to, [{type: "user", payload}]);
  }

  /**
   * Replaces the keyring (key rotation). With encryption on, the new keyring must not be empty;
   * turning encryption on or off on a running driver is not supported.
   */
  setKeyring(keyring: Keyring): void {
    if (this.keyring === undefined) throw new Error("setKeyring: this driver does not encrypt");
    this.keyring = keyring;
    this.decodeOptions = {...this.decodeOptions, keyring};
    this.replyDecodeOptions = {...this.replyDecodeOptions, keyring};
    this.buildEncodeOptions();
  }

  /** The encode options of datagrams and streams, built once (and again on a key change). */
  private buildEncodeOptions(): void {
    const crypt = this.keyring ? {keyring: this.keyring} : {};
    this.packetOptions = {compress: this.compress, crc: this.crc, context: this.codec, label: this.label, ...crypt};
    this.streamOptions = {compress: this.compress, context: this.codec, label: this.label, ...crypt};
    this.replyOptions = {...this.streamOptions, reply: true};
  }

  /**
   * Stops driving the core: clears the timer, destroys open streams, settles pending joins and
   * leaves. Does not close the transport (its owner does). Idempotent.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.timers.disarm();
    this.armedAt = undefined;
    this.heap.clear();
    this.queue.length = 0;
    for (const {stream} of this.outgoing.values()) stream.destroy();
    for (const {stream} of this.incoming.values()) stream.destroy();
    this.outgoing.clear();
    this.incoming.clear();
    for (const tracker of this.joins) tracker.resolve();
    this.joins.clear();
    this.settleLeave();
  }

  // ---- inputs -------------------------------------------------------------------------------

  /** Handles `input` now, or after the input being handled (and those queued before it). */
  private feed(input: Input, hooks?: InputHooks): void {
    if (this.stopped) return;
    if (this.draining) {
      this.queue.push({input, hooks});
      return;
    }
    this.draining = true;
    try {
      this.run(input, hooks);
      for (let next = this.queue.shift(); next !== undefined && !this.stopped; next = this.queue.shift()) {
        this.run(next.input, next.hooks);
      }
    } finally {
      this.draining = false;
    }
    if (!this.firing) this.arm();
  }

  /** One input through the core, then its effects in order. */
  private run(input: Input, hooks: InputHooks | undefined): void {
    let effects: Effect[] = [];
    this.stats.inputs++;
    try {
      effects = this.node.handle(this.now(), input);
    } catch (error) {
      this.listener.onInternalError?.(error, input);
    }
    this.execute(effects, hooks);
    hooks?.onDone?.();
  }

  private handleDatagram(data: Uint8Array, from: Address): void {
    if (this.stopped) return;
    this.stats.packetsIn++;
    this.stats.bytesIn += data.length;
    let decoded: {messages: Message[]; errors: DecodeError[]};
    try {
      decoded = decodePacketParts(data, this.decodeOptions);
    } catch (error) {
      decoded = {messages: [], errors: [toDecodeError(error)]};
    }
    const messages = decoded.messages;
    if (messages.length === 0) {
      if (decoded.errors[0]?.code === "labelMismatch") this.stats.labelMismatches++;
      else this.stats.decodeErrors++;
      this.listener.onDecodeError?.(
        decoded.errors[0] ?? new DecodeError("truncated", "no message in packet"),
        from,
        "udp",
      );
      return;
    }
    // Parts of a compound that failed are dropped one by one; the others are still used.
    for (const error of decoded.errors) {
      this.stats.partDecodeErrors++;
      this.listener.onDecodeError?.(error, from, "udp");
    }
    this.stats.messagesIn += messages.length;
    const log = protocolLog((messages[0] as Message).type);
    if (log.enabled)
      log("recv %s from %s:%d (%d bytes)", messages.map((m) => m.type).join("+"), from.host, from.port, data.length);
    this.feed({type: "packet", from, messages});
  }

  private handleIncomingStream(stream: DriverStream): void {
    if (this.stopped) {
      stream.destroy();
      return;
    }
    const id = this.nextIncomingId++;
    const entry: IncomingStream = {stream, requested: false};
    this.incoming.set(id, entry);
    this.stats.streamsIn++;
    this.schedule(this.now() + this.coreConfig.tcpTimeoutMs, new OwnDeadline("streamIn", id));
    this.arm();
    stream.setHandlers({
      onData: (buffered) => {
        if (entry.requested || this.incoming.get(id) !== entry) return;
        const message = this.decodeStreamData(buffered, stream.remote, false);
        if (message === undefined) return;
        if (message instanceof DecodeError) {
          this.incoming.delete(id);
          if (message.code === "labelMismatch") {
            // Another cluster's stream: close it unanswered, as memberlist does (an err reply
            // would tell it nothing it can authenticate).
            stream.destroy();
            return;
          }
          this.writeStream(stream, {type: "err", error: `lifeline: ${message.message}`}, true);
          stream.end();
          return;
        }
        entry.requested = true;
        this.feed({type: "streamRequest", id, from: stream.remote, message});
        this.mergeUserState(message, stream.remote);
      },
      onClose: () => {
        // The remote finished sending (or the stream failed) before a whole request arrived.
        if (!entry.requested && this.incoming.get(id) === entry) {
          this.incoming.delete(id);
          stream.destroy();
        }
      },
    });
  }

  // ---- effects ------------------------------------------------------------------------------

  private execute(effects: readonly Effect[], hooks: InputHooks | undefined): void {
    for (const effect of effects) {
      if (this.stopped) return;
      switch (effect.type) {
        case "send":
          this.sendPacket(effect.to, effect.messages);
          break;
        case "sendStream":
          hooks?.onStream?.(effect.id);
          this.openStream(effect.id, effect.to, this.withUserState(effect.message), effect.timeoutMs);
          break;
        case "streamReply": {
          const entry = this.incoming.get(effect.id);
          if (!entry) break;
          this.incoming.delete(effect.id);
          this.writeStream(entry.stream, this.withUserState(effect.message), true);
          entry.stream.end();
          break;
        }
        case "streamClose": {
          const entry = this.incoming.get(effect.id);
          if (!entry) break;
          this.incoming.delete(effect.id);
          entry.stream.end();
          break;
        }
        case "setTimer":
          this.schedule(this.now() + Math.max(0, effect.delayMs), effect.timer);
          break;
        case "notify":
          if (effect.event.type === "left") {
            this.leftNotified = true;
            this.settleLeave();
          }
          this.listener.onNotify?.(effect.event);
          break;
        case "deliver":
          this.listener.onDeliver?.(effect.payload, effect.from);
          break;
        case "pingComplete":
          this.listener.onPingComplete?.(effect);
          break;
        case "dropped":
          countDrop(this.stats, effect.reason);
          this.listener.onDropped?.(effect.reason);
          if (logDrop.enabled) {
            logDrop(
              "core dropped input: %s%s%s",
              effect.reason,
              effect.from ? ` from ${effect.from.host}:${effect.from.port}` : "",
              effect.detail ? ` (${effect.detail})` : "",
            );
          }
          break;
      }
    }
  }

  /** A push-pull carries the application's state (the core always leaves it empty). */
  private withUserState(message: StreamMessage): StreamMessage {
    if (message.type !== "pushPull" || this.userState === undefined) return message;
    try {
      return {...message, userState: this.userState.local(message.join)};
    } catch (error) {
      this.listener.onInternalError?.(error, {type: "streamFailed", id: -1, reason: "user state"});
      return message;
    }
  }

  /** Hands a peer's push-pull state to the application, after the core merged the members. */
  private mergeUserState(message: StreamMessage, from: Address): void {
    if (message.type !== "pushPull" || message.userState.length === 0 || this.userState === undefined) return;
    try {
      this.userState.merge(message.userState, message.join, from);
    } catch (error) {
      this.listener.onInternalError?.(error, {type: "streamFailed", id: -1, reason: "user state"});
    }
  }

  private sendPacket(to: Address, messages: readonly Message[]): void {
    if (messages.length === 0) return;
    let bytes: Uint8Array;
    try {
      bytes = encodePacket(messages, this.packetOptions);
    } catch (error) {
      this.listener.onInternalError?.(error, {type: "packet", from: to, messages});
      return;
    }
    this.stats.packetsOut++;
    this.stats.messagesOut += messages.length;
    this.stats.bytesOut += bytes.length;
    const log = protocolLog((messages[0] as Message).type);
    if (log.enabled)
      log("send %s to %s:%d (%d bytes)", messages.map((m) => m.type).join("+"), to.host, to.port, bytes.length);
    this.listener.onPacketSent?.(to, messages, bytes);
    this.transport.send(to, bytes);
  }

  /** Encodes and writes one stream message: `reply` on an accepted connection, else the request that opens a dialled one. */
  private writeStream(stream: DriverStream, message: StreamMessage, reply: boolean): void {
    let bytes: Uint8Array;
    try {
      bytes = encodeStream(message, reply ? this.replyOptions : this.streamOptions);
    } catch (error) {
      this.listener.onInternalError?.(error, {type: "streamFailed", id: -1, reason: "encode"});
      return;
    }
    this.listener.onStreamSent?.(message, bytes);
    try {
      stream.write(bytes);
    } catch (error) {
      this.listener.onInternalError?.(error, {type: "streamFailed", id: -1, reason: "encode"});
    }
  }

  private openStream(id: number, to: Address, message: StreamMessage, timeoutMs: number): void {
    const stream = this.transport.dial(to);
    const entry: OutgoingStream = {stream, done: false};
    this.outgoing.set(id, entry);
    this.stats.streamsOut++;
    this.schedule(this.now() + Math.max(1, timeoutMs), new OwnDeadline("streamOut", id));
    this.writeStream(stream, message, false);
    stream.setHandlers({
      onData: (buffered) => {
        if (entry.done) return;
        const message = this.decodeStreamData(buffered, to, true);
        if (message === undefined) return;
        if (message instanceof DecodeError) {
          this.failStream(id, `bad reply: ${message.message}`);
          return;
        }
        entry.done = true;
        this.outgoing.delete(id);
        stream.end();
        this.completeJoinStream(id, message.type === "pushPull" ? undefined : describeReply(message));
        this.feed({type: "streamResponse", id, message});
        this.mergeUserState(message, to);
      },
      onClose: (error) => {
        if (!entry.done) this.failStream(id, error ? error.message : "closed before a reply", connectionRefused(error));
      },
    });
  }

  /**
   * Decodes the bytes buffered on a stream: the message once it is whole, undefined while more
   * bytes are needed, or the DecodeError (already counted and reported) for garbage. `reply`:
   * the bytes answer a stream we dialled (no label header).
   */
  private decodeStreamData(
    buffered: Uint8Array,
    from: Address,
    reply: boolean,
  ): StreamMessage | DecodeError | undefined {
    try {
      return decodeStream(buffered, reply ? this.replyDecodeOptions : this.decodeOptions)?.message;
    } catch (error) {
      const decodeError = toDecodeError(error);
      if (decodeError.code === "labelMismatch") this.stats.labelMismatches++;
      else this.stats.streamDecodeErrors++;
      this.listener.onDecodeError?.(decodeError, from, "tcp");
      return decodeError;
    }
  }

  private failStream(id: number, reason: string, refused = false): void {
    const entry = this.outgoing.get(id);
    if (!entry || entry.done) return;
    entry.done = true;
    this.outgoing.delete(id);
    entry.stream.destroy();
    this.stats.streamFailures++;
    logStream("outgoing stream %d to %s:%d failed: %s", id, entry.stream.remote.host, entry.stream.remote.port, reason);
    this.completeJoinStream(id, reason);
    this.feed(refused ? {type: "streamFailed", id, reason, refused} : {type: "streamFailed", id, reason});
  }

  // ---- timers -------------------------------------------------------------------------------

  private schedule(timeMs: number, timer: DriverTimer): void {
    this.heap.push(timeMs, timer);
    this.heapChanged = true;
  }

  /** Arms the single wake-up for the earliest deadline (re-arming only when it changed). */
  private arm(): void {
    if (this.stopped || !this.heapChanged) return;
    this.heapChanged = false;
    const topMs = this.heap.peekTimeMs();
    if (topMs === Number.POSITIVE_INFINITY) {
      if (this.armedAt !== undefined) this.timers.disarm();
      this.armedAt = undefined;
      return;
    }
    if (this.armedAt === topMs) return;
    this.armedAt = topMs;
    this.timers.arm(topMs, this.onWake);
  }

  private fire(): void {
    this.armedAt = undefined;
    this.heapChanged = true;
    if (this.stopped) return;
    this.firing = true;
    try {
      // A wake-up may come up to the host's slack ahead of the clock (setTimeout: 1 ms). Only
      // deadlines already in the heap run in this turn; those their inputs set wait for the next.
      const limit = this.now() + this.timers.slackMs;
      const heap = this.heap;
      const seqBound = heap.nextSeq;
      while (heap.peekTimeMs() <= limit && heap.peekSeq() < seqBound) {
        const dueMs = heap.peekTimeMs();
        const timer = heap.popValue() as DriverTimer;
        if (timer instanceof OwnDeadline) this.expire(timer);
        else {
          if (logTimer.enabled) logTimer("%o fired %d ms late", timer, Math.round(this.now() - dueMs));
          this.feed({type: "timer", timer});
        }
      }
    } finally {
      this.firing = false;
    }
    this.arm();
  }

  /** One of the driver's own deadlines passed. */
  private expire(timer: OwnDeadline): void {
    switch (timer.kind) {
      case "streamOut":
        this.failStream(timer.id, "timeout");
        break;
      case "streamIn": {
        const entry = this.incoming.get(timer.id);
        if (entry) {
          this.incoming.delete(timer.id);
          this.stats.streamTimeouts++;
          logStream(
            "incoming stream %d from %s:%d closed at its deadline",
            timer.id,
            entry.stream.remote.host,
            entry.stream.remote.port,
          );
          entry.stream.destroy();
        }
        break;
      }
      case "leave":
        this.settleLeave();
        break;
    }
  }

  // ---- join and leave bookkeeping ------------------------------------------------------------

  private completeJoinStream(id: number, error: string | undefined): void {
    for (const tracker of this.joins) {
      if (!tracker.ids.delete(id)) continue;
      if (error === undefined) tracker.answered++;
      else tracker.errors.push(error);
      this.settleJoin(tracker);
    }
  }

  private settleJoin(tracker: JoinTracker): void {
    if (!tracker.processed || tracker.ids.size > 0) return;
    this.joins.delete(tracker);
    tracker.resolve();
  }

  private settleLeave(): void {
    const waiters = this.leaveWaiters;
    this.leaveWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function describeReply(message: StreamMessage): string {
  return message.type === "err" ? `remote error: ${message.error}` : `unexpected reply ${message.type}`;
}

function toDecodeError(error: unknown): DecodeError {
  if (error instanceof DecodeError) return error;
  return new DecodeError("badField", `codec failure: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
}
