/*
 * The network transport: one UDP socket and one TCP listener bound to the same address and
 * port, as memberlist's NetTransport does (docs/memberlist-wire.md §1). UDP is always sent from the bound socket,
 * so peers see our bind port as the source port; TCP is dialled from an ephemeral port. With
 * port 0 the UDP socket picks a free port first and the TCP listener tries the same number,
 * retrying with a fresh port when TCP finds it taken.
 *
 * Received datagrams are stamped with the monotonic clock right in the socket callback
 * (memberlist's udpListen). Incoming and outgoing streams are bounded in number and in bytes.
 * Nothing here knows what a message is.
 */
import {createSocket, type Socket as UdpSocket} from "node:dgram";
import {connect, createServer, type Server, Socket} from "node:net";
import {hostFamily, normalizeHost} from "./address.ts";
import {BindError, StreamError} from "./errors.ts";
import {StreamConnection} from "./stream.ts";
import {
  type Datagram,
  DEFAULT_MAX_STREAM_BYTES,
  DEFAULT_MAX_STREAMS,
  MAX_UDP_PAYLOAD,
  type TransportAddress,
  type TransportComponents,
  type TransportConfig,
  type TransportInit,
  type TransportStats,
} from "./types.ts";

/** Where the transport delivers what it receives. */
export interface TransportHandlers {
  onDatagram(datagram: Datagram): void;
  /** A peer opened a stream to us. Attach handlers with `setHandlers` (earlier data is replayed). */
  onStream(stream: StreamConnection): void;
}

const PORT_ATTEMPTS = 20;

/** Fills in the defaults of a TransportInit. */
function resolveTransportConfig(init: TransportInit): TransportConfig {
  return Object.freeze({
    host: init.host,
    port: init.port,
    maxStreamBytes: init.maxStreamBytes ?? DEFAULT_MAX_STREAM_BYTES,
    maxIncomingStreams: init.maxIncomingStreams ?? DEFAULT_MAX_STREAMS,
    maxOutgoingStreams: init.maxOutgoingStreams ?? DEFAULT_MAX_STREAMS,
    maxDatagramBytes: init.maxDatagramBytes ?? MAX_UDP_PAYLOAD,
  });
}

/** A bound UDP socket plus TCP listener sharing one port. Create with `createTransport`. */
export class Transport {
  readonly config: TransportConfig;
  /** The bound address (the real port when 0 was asked for). */
  readonly address: TransportAddress;
  readonly stats: TransportStats = {
    datagramsIn: 0,
    datagramsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    sendErrors: 0,
    streamsIn: 0,
    streamsOut: 0,
    streamsRefused: 0,
    streamsTooLarge: 0,
    streamBytesIn: 0,
    streamBytesOut: 0,
  };
  private readonly udp: UdpSocket;
  private readonly server: Server;
  private readonly components: TransportComponents;
  private handlers: TransportHandlers | undefined;
  // BOUNDED: at most maxIncomingStreams + maxOutgoingStreams open streams.
  private readonly open = new Set<StreamConnection>();
  private incoming = 0;
  /** Address family of the bound sockets (computed once: isIP is not free on every send). */
  private readonly family: 4 | 6;
  private outgoing = 0;
  private closed = false;

  /** Use `createTransport`. */
  constructor(
    config: TransportConfig,
    udp: UdpSocket,
    server: Server,
    address: TransportAddress,
    components: TransportComponents,
  ) {
    this.config = config;
    this.udp = udp;
    this.server = server;
    this.address = address;
    this.components = components;
    this.family = hostFamily(address.host);
    udp.on("message", (msg, rinfo) => {
      const receivedAtMs = this.components.now();
      this.stats.datagramsIn++;
      this.stats.bytesIn += msg.length;
      // An empty datagram is passed on too: the driver counts it as a decode error, like any
      // other garbage (memberlist logs "missing packet type byte"); found by the agent fuzzer.
      this.handlers?.onDatagram({
        data: new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength),
        from: {host: normalizeHost(rinfo.address), port: rinfo.port},
        receivedAtMs,
      });
    });
    // A send error to an unreachable peer (ICMP) surfaces here on some platforms; never fatal.
    udp.on("error", () => {
      this.stats.sendErrors++;
    });
    server.on("connection", (socket) => this.acceptStream(socket));
    server.on("error", () => {});
  }

  /** Starts delivering received datagrams and streams to `handlers`. */
  setHandlers(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  /** Sends one datagram from the bound socket. Failures are counted, never thrown. */
  send(to: TransportAddress, bytes: Uint8Array): void {
    if (this.closed) return;
    if (bytes.length > this.config.maxDatagramBytes) {
      this.stats.sendErrors++;
      return;
    }
    const host = this.udpHost(to.host);
    this.stats.datagramsOut++;
    this.stats.bytesOut += bytes.length;
    try {
      this.udp.send(bytes, to.port, host, (error) => {
        if (error) this.stats.sendErrors++;
      });
    } catch {
      this.stats.sendErrors++;
    }
  }

  /**
   * Opens a stream to `to`. The stream is returned at once; writes queue until connected, and a
   * connect failure arrives as `onClose(StreamError{code:"connect"})`. Deadlines are the caller's.
   */
  dial(to: TransportAddress): StreamConnection {
    if (this.closed || this.outgoing >= this.config.maxOutgoingStreams) {
      // Refused before any connection is attempted; the caller sees onClose(StreamError).
      this.stats.streamsRefused++;
      const refused = new StreamConnection(new Socket(), to, "out", 0, () => {});
      refused.destroy(
        this.closed
          ? new StreamError("closed", "transport closed")
          : new StreamError("tooMany", `more than ${this.config.maxOutgoingStreams} outgoing streams`),
      );
      return refused;
    }
    const socket = connect({host: to.host, port: to.port, allowHalfOpen: true});
    socket.setNoDelay(true);
    const stream = new StreamConnection(socket, to, "out", this.config.maxStreamBytes, (d, n) => this.countBytes(d, n));
    this.outgoing++;
    this.stats.streamsOut++;
    this.track(stream, socket, () => this.outgoing--);
    return stream;
  }

  /** Open streams right now (incoming, outgoing). */
  get openStreams(): {incoming: number; outgoing: number} {
    return {incoming: this.incoming, outgoing: this.outgoing};
  }

  /**
   * Closes the UDP socket and the TCP listener and destroys every open stream. Abrupt: nothing
   * is said to peers (this is what a crash looks like to them). Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const stream of this.open) stream.destroy(new StreamError("closed", "transport closed"));
    this.open.clear();
    await Promise.all([
      new Promise<void>((resolve) => {
        try {
          this.udp.close(() => resolve());
        } catch {
          resolve();
        }
      }),
      new Promise<void>((resolve) => this.server.close(() => resolve())),
    ]);
  }

  private acceptStream(socket: Socket): void {
    const remote = {host: normalizeHost(socket.remoteAddress ?? ""), port: socket.remotePort ?? 0};
    if (this.closed || this.incoming >= this.config.maxIncomingStreams) {
      this.stats.streamsRefused++;
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const stream = new StreamConnection(socket, remote, "in", this.config.maxStreamBytes, (d, n) =>
      this.countBytes(d, n),
    );
    this.incoming++;
    this.stats.streamsIn++;
    this.track(stream, socket, () => this.incoming--);
    if (this.handlers) this.handlers.onStream(stream);
    else stream.destroy();
  }

  private track(stream: StreamConnection, socket: Socket, release: () => void): void {
    this.open.add(stream);
    socket.once("close", () => {
      if (this.open.delete(stream)) release();
      else if (!this.closed) release();
    });
  }

  private countBytes(direction: "in" | "out", n: number): void {
    if (direction === "in") this.stats.streamBytesIn += n;
    else this.stats.streamBytesOut += n;
  }

  /** An IPv6 socket reaches IPv4 peers through their mapped form. */
  private udpHost(host: string): string {
    if (this.family === 6 && !host.includes(":")) return `::ffff:${host}`;
    return host;
  }
}

/**
 * Binds a UDP socket and a TCP listener on `init.host:init.port` (port 0: a free port usable
 * by both). Throws BindError when the address cannot be bound; nothing stays open then.
 */
export async function createTransport(
  init: TransportInit,
  components: Partial<TransportComponents> = {},
): Promise<Transport> {
  const config = resolveTransportConfig(init);
  const full: TransportComponents = {now: components.now ?? (() => performance.now())};
  const attempts = config.port === 0 ? PORT_ATTEMPTS : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    let udp: UdpSocket | undefined;
    let server: Server | undefined;
    try {
      udp = await bindUdp(config.host, config.port);
      const port = udp.address().port;
      server = await listenTcp(config.host, port);
      return new Transport(config, udp, server, {host: config.host, port}, full);
    } catch (error) {
      lastError = error;
      if (udp) udp.close();
      if (server) server.close();
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "EADDRINUSE") break;
    }
  }
  const code = (lastError as NodeJS.ErrnoException | undefined)?.code ?? "EBIND";
  const where = `${config.host.includes(":") ? `[${config.host}]` : config.host}:${config.port}`;
  throw new BindError(`cannot bind UDP and TCP on ${where}: ${(lastError as Error)?.message ?? code}`, code, {
    cause: lastError,
  });
}

function bindUdp(host: string, port: number): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({type: hostFamily(host) === 6 ? "udp6" : "udp4", reuseAddr: false});
    const onError = (error: Error): void => {
      socket.close();
      reject(error);
    };
    socket.once("error", onError);
    socket.bind({address: host, port, exclusive: true}, () => {
      socket.off("error", onError);
      try {
        socket.setRecvBufferSize(4 * 1024 * 1024);
      } catch {
        // The OS may cap the buffer; the default still works.
      }
      resolve(socket);
    });
  });
}

function listenTcp(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer({allowHalfOpen: true, noDelay: true});
    const onError = (error: Error): void => {
      server.close();
      reject(error);
    };
    server.once("error", onError);
    server.listen({host, port, exclusive: true, backlog: 128}, () => {
      server.off("error", onError);
      resolve(server);
    });
  });
}
