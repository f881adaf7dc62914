/*
 * Sockets for plain heartbeats: a TCP listener and a UDP socket on the same HOST:PORT.
 *
 *   TCP  each connection is a stream of "name\n" lines (one beat per line; a device may send one
 *        line and close, or keep the connection and send a line per beat)
 *   UDP  each datagram holds one or more "name\n" lines (the last newline is optional)
 *
 * Bytes only: lines are decoded by heartbeat-line.ts and handed to `onBeat(name, host)`; judging
 * is the registry's job. Hostile input is bounded: a per-connection line buffer of
 * `maxLineBytes`, at most `maxConnections` connections (extra ones are closed at once), an idle
 * timeout per connection, datagrams over `maxDatagramBytes` dropped; each drop is counted.
 */
import {createSocket, type Socket as UdpSocket} from "node:dgram";
import {createServer, isIPv6, type Server, type Socket} from "node:net";
import {decodeHeartbeatName, HEARTBEAT_NAME_BYTES_MAX, LineSplitter, type SplitLine} from "./line.ts";

/** Listener options. */
export interface HeartbeatListenerInit {
  readonly host: string;
  /** 0 = any free port (the same one for TCP and UDP). */
  readonly port: number;
  /** Called for every well-formed line. `via` says which socket it came through. */
  readonly onBeat: (name: string, host: string, via: "tcp" | "udp") => void;
  /** Longest device name in bytes. Default 128. */
  readonly maxNameBytes?: number;
  /** Concurrent TCP connections. Default 1024. */
  readonly maxConnections?: number;
  /** A TCP connection silent this long is closed. Default 120000. */
  readonly idleTimeoutMs?: number;
  /** Largest datagram accepted. Default 4096. */
  readonly maxDatagramBytes?: number;
}

/** Counters, monotonic. */
export interface HeartbeatListenerStats {
  linesAccepted: number;
  linesTooLong: number;
  linesNotUtf8: number;
  linesBadName: number;
  linesEmpty: number;
  datagramsTooLarge: number;
  connectionsAccepted: number;
  connectionsRefused: number;
  connectionsTimedOut: number;
}

/** A running listener. */
export interface HeartbeatListener {
  /** The bound address (the real port after binding to 0). */
  readonly address: {readonly host: string; readonly port: number};
  readonly stats: HeartbeatListenerStats;
  close(): Promise<void>;
}

/** Binds TCP and UDP on `host:port` and starts accepting beats. Rejects when either cannot bind. */
export async function startHeartbeatListener(init: HeartbeatListenerInit): Promise<HeartbeatListener> {
  const maxNameBytes = init.maxNameBytes ?? HEARTBEAT_NAME_BYTES_MAX;
  const maxLineBytes = maxNameBytes + 64;
  const maxConnections = init.maxConnections ?? 1024;
  const idleTimeoutMs = init.idleTimeoutMs ?? 120_000;
  const maxDatagramBytes = init.maxDatagramBytes ?? 4096;
  const stats: HeartbeatListenerStats = {
    linesAccepted: 0,
    linesTooLong: 0,
    linesNotUtf8: 0,
    linesBadName: 0,
    linesEmpty: 0,
    datagramsTooLarge: 0,
    connectionsAccepted: 0,
    connectionsRefused: 0,
    connectionsTimedOut: 0,
  };

  const handleLines = (lines: readonly SplitLine[], host: string, via: "tcp" | "udp"): void => {
    for (const line of lines) {
      if (line === "tooLong") {
        stats.linesTooLong++;
        continue;
      }
      const decoded = decodeHeartbeatName(line, maxNameBytes);
      if ("name" in decoded) {
        stats.linesAccepted++;
        init.onBeat(decoded.name, host, via);
        continue;
      }
      switch (decoded.drop) {
        case "tooLong":
          stats.linesTooLong++;
          break;
        case "notUtf8":
          stats.linesNotUtf8++;
          break;
        case "badName":
          stats.linesBadName++;
          break;
        case "empty":
          stats.linesEmpty++;
          break;
      }
    }
  };

  // BOUNDED: at most maxConnections sockets (extra connections are destroyed on arrival).
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    if (sockets.size >= maxConnections) {
      stats.connectionsRefused++;
      socket.destroy();
      return;
    }
    stats.connectionsAccepted++;
    sockets.add(socket);
    const host = normalizeHost(socket.remoteAddress ?? "");
    const splitter = new LineSplitter(maxLineBytes);
    socket.setTimeout(idleTimeoutMs, () => {
      stats.connectionsTimedOut++;
      socket.destroy();
    });
    socket.on("data", (chunk: Buffer) => handleLines(splitter.push(chunk), host, "tcp"));
    socket.on("end", () => {
      handleLines(splitter.end(), host, "tcp");
      socket.end();
    });
    socket.on("error", () => undefined); // resets are normal for fire-and-forget senders
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("error", () => undefined);

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once("error", onError);
    server.listen({host: init.host, port: init.port}, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const port = (server.address() as {port: number}).port;

  const udp: UdpSocket = createSocket({type: isIPv6(init.host) ? "udp6" : "udp4"});
  udp.on("message", (message, rinfo) => {
    if (message.length > maxDatagramBytes) {
      stats.datagramsTooLarge++;
      return;
    }
    const splitter = new LineSplitter(maxLineBytes);
    handleLines([...splitter.push(message), ...splitter.end()], normalizeHost(rinfo.address), "udp");
  });
  try {
    await new Promise<void>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind({address: init.host, port}, () => {
        udp.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }
  udp.on("error", () => undefined);

  return {
    address: {host: init.host, port},
    stats,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => server.close(() => resolve())),
        new Promise<void>((resolve) => udp.close(() => resolve())),
      ]);
    },
  };
}

/** "::ffff:10.0.0.1" → "10.0.0.1", so one device has one rate bucket whichever socket it uses. */
function normalizeHost(host: string): string {
  return host.startsWith("::ffff:") && host.includes(".") ? host.slice(7) : host;
}
