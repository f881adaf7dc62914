/* Counters the driver keeps about the bytes and messages it moves (for /metrics). */
import type {DropReason} from "../core/index.ts";

/** Monotonic counters of the driver. */
export interface DriverStats {
  /** Inputs handed to the core (packets, stream messages, timers, API calls). */
  inputs: number;
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
  /** Datagrams that failed to decode (garbage, bad CRC, undecryptable). */
  decodeErrors: number;
  /** Parts of compound datagrams dropped because they did not decode (the other parts were used). */
  partDecodeErrors: number;
  /** Incoming streams whose bytes failed to decode. */
  streamDecodeErrors: number;
  /**
   * Datagrams and incoming streams dropped because their cluster label (or its absence) differs
   * from ours (codec/label.ts) — counted here, not in decodeErrors / streamDecodeErrors.
   */
  labelMismatches: number;
  streamsIn: number;
  streamsOut: number;
  /** Outgoing streams that failed (connect error, timeout, bad reply). */
  streamFailures: number;
  /** Incoming streams closed by their deadline (tcpTimeoutMs). */
  streamTimeouts: number;
  /** Inputs the core ignored, by reason. */
  readonly dropped: Record<string, number>;
}

export function createDriverStats(): DriverStats {
  return {
    inputs: 0,
    packetsIn: 0,
    packetsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    messagesIn: 0,
    messagesOut: 0,
    decodeErrors: 0,
    partDecodeErrors: 0,
    streamDecodeErrors: 0,
    labelMismatches: 0,
    streamsIn: 0,
    streamsOut: 0,
    streamFailures: 0,
    streamTimeouts: 0,
    dropped: {},
  };
}

export function countDrop(stats: DriverStats, reason: DropReason): void {
  stats.dropped[reason] = (stats.dropped[reason] ?? 0) + 1;
}
