/*
 * The core's whole interface with the world: `SwimNode.handle(nowMs, input)` takes one Input
 * and returns Effects, which the driver (src/runtime for real sockets, sim/ for the simulator)
 * executes in array order before feeding the next input.
 *
 * Streams (TCP) are request/response exchanges identified by a number:
 *   outgoing: effect sendStream{id, to, message, timeoutMs}
 *             -> later input streamResponse{id, message} or streamFailed{id, reason}
 *   incoming: input streamRequest{id, from, message}
 *             -> effect streamReply{id, message} (or streamClose{id} to close without a reply)
 * Outgoing ids are allocated by the core (unique per node); incoming ids by the driver.
 */
import type {Notification} from "./events.ts";
import type {Address, AliveMessage, Message, StreamMessage} from "./messages.ts";
import type {Timer} from "./timers.ts";

export type Input =
  /** Begin: schedule the probe, gossip, push-pull and reconnect loops. Exactly once, first. */
  | {readonly type: "start"}
  /** Push-pull (join = true) with each seed; seeds are remembered for healing. */
  | {readonly type: "join"; readonly seeds: readonly Address[]}
  /** A datagram from `from`, already decoded (and unwrapped from compound/compress/crc/encryption). */
  | {readonly type: "packet"; readonly from: Address; readonly messages: readonly Message[]}
  /** A stream someone opened to us, with its one request. */
  | {readonly type: "streamRequest"; readonly id: number; readonly from: Address; readonly message: StreamMessage}
  /** The reply to a stream we opened. */
  | {readonly type: "streamResponse"; readonly id: number; readonly message: StreamMessage}
  /**
   * A stream we opened failed (connect error, timeout, bad bytes, remote err). `refused`: the
   * connection was refused (the remote host answered that nothing listens there).
   */
  | {readonly type: "streamFailed"; readonly id: number; readonly reason: string; readonly refused?: boolean}
  /** A timer we set has fired. */
  | {readonly type: "timer"; readonly timer: Timer}
  /** Leave gracefully: gossip our own leave, then notify `left`. */
  | {readonly type: "leave"}
  /** Change our metadata (tags): bumps incarnation and gossips alive. */
  | {readonly type: "updateMeta"; readonly meta: Uint8Array}
  /** Queue application data to piggyback on gossip (memberlist's delegate broadcasts). */
  | {readonly type: "broadcast"; readonly payload: Uint8Array}
  /**
   * The payload of every ack we send in answer to a UDP ping from now on (memberlist's
   * PingDelegate.AckPayload; serf puts its network coordinate there). Accepted in any status,
   * before `start` too; at most ACK_PAYLOAD_MAX_BYTES. Initially empty.
   */
  | {readonly type: "setAckPayload"; readonly payload: Uint8Array}
  /**
   * Start from a known membership (a snapshot, or the simulator's converged start): before
   * `start` only, each member is taken as alive at its incarnation, as a push-pull would, but
   * nothing is queued for gossip (the cluster already knows). Notifies memberUp for each.
   */
  | {readonly type: "restore"; readonly members: readonly AliveMessage[]};

/** Why an input (or part of one) was ignored. For metrics and debugging, not errors. */
export type DropReason =
  | "unknownSeqNo"
  | "wrongNode"
  | "staleTimer"
  | "unknownMember"
  | "oldIncarnation"
  | "addressConflict"
  | "badVsn"
  | "membersFull"
  | "notRunning"
  | "unknownStream"
  | "unexpectedMessage"
  | "incompatibleVersion"
  /** A bounded table was full (e.g. indirect pings we forward for others). */
  | "overloaded";

export type Effect =
  /** Best-effort datagram. The messages go in one packet (a compound when more than one). */
  | {readonly type: "send"; readonly to: Address; readonly messages: readonly Message[]}
  /** Open a stream to `to`, send `message`, expect one reply within `timeoutMs`. */
  | {
      readonly type: "sendStream";
      readonly id: number;
      readonly to: Address;
      readonly message: StreamMessage;
      readonly timeoutMs: number;
    }
  /** Reply on an incoming stream, then close it. */
  | {readonly type: "streamReply"; readonly id: number; readonly message: StreamMessage}
  /** Close an incoming stream without replying. */
  | {readonly type: "streamClose"; readonly id: number}
  /** Deliver `timer` back as an input after `delayMs` (≥ 0). */
  | {readonly type: "setTimer"; readonly timer: Timer; readonly delayMs: number}
  | {readonly type: "notify"; readonly event: Notification}
  /** Application data received from the cluster (a user message). */
  | {readonly type: "deliver"; readonly payload: Uint8Array; readonly from?: Address}
  /**
   * A direct probe was answered (memberlist's PingDelegate.NotifyPingComplete): `node` acked our
   * UDP ping within probeTimeoutMs. `rttMs` runs from the ping's send time to the ack's arrival
   * (the core time of the packet input), `payload` is the ack's (empty when the peer sets none).
   * Never for acks relayed by indirect helpers, late acks after probeTimeoutMs, or TCP pings:
   * those do not measure the direct round trip.
   *
   *   A ->[ping seq 7] B   (t0)        B ->[ack seq 7, payload] A   (t1)   ⇒  pingComplete{B, t1 − t0, payload}
   */
  | {readonly type: "pingComplete"; readonly node: string; readonly rttMs: number; readonly payload: Uint8Array}
  | {readonly type: "dropped"; readonly reason: DropReason; readonly from?: Address; readonly detail?: string};

/** The pingComplete effect (memberlist's NotifyPingComplete arguments). */
export type PingComplete = Extract<Effect, {readonly type: "pingComplete"}>;
