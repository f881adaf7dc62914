/*
 * The transport's vocabulary: addresses, datagrams with their receive timestamp, and the
 * bounds a transport enforces. The transport moves bytes only; it knows nothing of messages
 * (memberlist's Transport interface: PacketCh of Packet{Buf, From, Timestamp}, StreamCh of conns).
 */

/** A host (IPv4 or IPv6 literal) and port. Structurally the same as the core's Address. */
export interface TransportAddress {
  readonly host: string;
  readonly port: number;
}

/** One received datagram, stamped at the socket callback. */
export interface Datagram {
  readonly data: Uint8Array;
  readonly from: TransportAddress;
  /** Monotonic clock (ms) when the socket callback ran. */
  readonly receivedAtMs: number;
}

/** User-supplied transport options (libp2p's Init vocabulary). */
export interface TransportInit {
  /** IP literal to bind: "127.0.0.1", "0.0.0.0", "::1", "::". */
  readonly host: string;
  /** Port shared by UDP and TCP; 0 picks a free port usable by both. */
  readonly port: number;
  /** Largest number of bytes read from one stream before it is destroyed. Default 20 MiB + 64 KiB (memberlist's maxPushStateBytes plus framing). */
  readonly maxStreamBytes?: number;
  /** Incoming streams open at once; more are refused (memberlist's maxPushPullRequests is 128). Default 128. */
  readonly maxIncomingStreams?: number;
  /** Outgoing streams open at once; more fail at once. Default 128. */
  readonly maxOutgoingStreams?: number;
  /** Largest datagram sent; larger sends are refused and counted. Default 65507. */
  readonly maxDatagramBytes?: number;
}

/** Resolved transport options. */
export interface TransportConfig {
  readonly host: string;
  readonly port: number;
  readonly maxStreamBytes: number;
  readonly maxIncomingStreams: number;
  readonly maxOutgoingStreams: number;
  readonly maxDatagramBytes: number;
}

/** Injected collaborators. */
export interface TransportComponents {
  /** Monotonic milliseconds, used to stamp received datagrams. */
  readonly now: () => number;
}

/** Monotonic counters of what the transport did (for metrics). */
export interface TransportStats {
  datagramsIn: number;
  datagramsOut: number;
  bytesIn: number;
  bytesOut: number;
  sendErrors: number;
  streamsIn: number;
  streamsOut: number;
  streamsRefused: number;
  streamsTooLarge: number;
  streamBytesIn: number;
  streamBytesOut: number;
}

export const DEFAULT_MAX_STREAM_BYTES = 20 * 1024 * 1024 + 64 * 1024;
export const DEFAULT_MAX_STREAMS = 128;
export const MAX_UDP_PAYLOAD = 65_507;
