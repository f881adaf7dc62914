/*
 * One TCP stream (one request, at most one reply, then close — memberlist's handleConn). The
 * connection accumulates everything it reads into one buffer, bounded by maxStreamBytes; the
 * reader (the runtime) looks at the whole buffer after each chunk and decides whether a message
 * is complete. Exactly one `onClose` is delivered, with the error if the stream failed.
 */
import type {Socket} from "node:net";
import {StreamError} from "./errors.ts";
import type {TransportAddress} from "./types.ts";

export interface StreamHandlers {
  /** Bytes arrived; `buffered` is everything read so far (including earlier chunks). */
  onData(buffered: Uint8Array): void;
  /**
   * No more bytes will arrive: the remote finished sending (`error` undefined) or the stream
   * failed. Called exactly once. After a clean end the stream may still be written to (a reply).
   */
  onClose(error?: StreamError): void;
}

/** A bounded, accumulate-everything TCP stream. */
export class StreamConnection {
  readonly remote: TransportAddress;
  readonly direction: "in" | "out";
  private readonly socket: Socket;
  private readonly maxBytes: number;
  // BOUNDED: at most maxBytes bytes (the stream is destroyed beyond that). Grows by doubling, so
  // reading n bytes copies O(n) bytes in total.
  private buffer: Buffer = Buffer.alloc(0);
  private length = 0;
  private handlers: StreamHandlers | undefined;
  private closed = false;
  private pendingClose: {error: StreamError | undefined} | undefined;
  private readonly onBytes: (direction: "in" | "out", n: number) => void;

  constructor(
    socket: Socket,
    remote: TransportAddress,
    direction: "in" | "out",
    maxBytes: number,
    onBytes: (direction: "in" | "out", n: number) => void,
  ) {
    this.socket = socket;
    this.remote = remote;
    this.direction = direction;
    this.maxBytes = maxBytes;
    this.onBytes = onBytes;
    socket.on("data", (chunk: Buffer) => this.handleData(chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      const code = direction === "out" && !socket.remoteAddress ? "connect" : "io";
      this.finish(new StreamError(code, `${error.code ?? "error"}: ${error.message}`, {cause: error}));
    });
    // Remote half-closed: no more bytes will come; the socket stays writable for a reply.
    socket.on("end", () => this.finish(undefined));
    socket.on("close", () => this.finish(undefined));
  }

  /** Bytes read so far. */
  get bufferedBytes(): number {
    return this.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Attach the reader. Data and close events that arrived earlier are replayed. */
  setHandlers(handlers: StreamHandlers): void {
    this.handlers = handlers;
    if (this.length > 0) handlers.onData(this.buffered());
    if (this.pendingClose) {
      const {error} = this.pendingClose;
      this.pendingClose = undefined;
      handlers.onClose(error);
    }
  }

  /** Queues `bytes` for writing (before or after connect). */
  write(bytes: Uint8Array): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    this.onBytes("out", bytes.length);
    this.socket.write(bytes);
  }

  /** Finish writing and close once the bytes are flushed (destroyed if the peer does not close within 5 s). */
  end(): void {
    if (this.socket.destroyed) return;
    this.socket.end();
    this.socket.setTimeout(5_000, () => this.socket.destroy());
    this.finish(undefined);
  }

  /** Close at once, discarding unsent bytes. */
  destroy(error?: StreamError): void {
    this.finish(error);
    this.socket.destroy();
  }

  private buffered(): Uint8Array {
    return new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, this.length);
  }

  private handleData(chunk: Buffer): void {
    if (this.closed) return;
    this.onBytes("in", chunk.length);
    if (this.length + chunk.length > this.maxBytes) {
      this.destroy(new StreamError("tooLarge", `stream exceeded ${this.maxBytes} bytes`));
      return;
    }
    const needed = this.length + chunk.length;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.maxBytes, Math.max(needed, this.buffer.length * 2, 4096)));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    chunk.copy(this.buffer, this.length);
    this.length = needed;
    this.handlers?.onData(this.buffered());
  }

  private finish(error: StreamError | undefined): void {
    if (this.closed) return;
    this.closed = true;
    if (this.handlers) this.handlers.onClose(error);
    else this.pendingClose = {error};
  }
}
