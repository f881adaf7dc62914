/*
 * One end of a virtual TCP connection, as the Driver uses it (DriverStream). The protocol on a
 * stream is one request and at most one reply (docs/memberlist-wire.md §6), so the model is small:
 *
 *   opener.write(request) ─▶ (network delay, or never) ─▶ open event at the target:
 *        target down  → the opener's end closes with "connection refused" after the RST travels back
 *        target up    → the target accepts a new end and receives the request bytes
 *   target.write(reply)   ─▶ data event at the opener's end (the FIN rides with it)
 *   target.end() / destroy() without a reply ─▶ close event at the opener's end
 *   opener.destroy() (its timeout, its crash) ─▶ its end is closed: a reply that still arrives is late
 *
 * Bytes already sent still arrive after the sender gave up, as on a real network; what happens to
 * them is the simulation's (StreamWire's) business. Each end delivers at most once per direction.
 */
import type {Address} from "../src/core/index.ts";
import type {DriverStream} from "../src/runtime/index.ts";
import type {VirtualProcess} from "./virtual-process.ts";

/** What a stream end asks of the simulation. */
export interface StreamWire {
  /** `end` wrote `bytes` to its peer. */
  write(end: VirtualStream, bytes: Uint8Array): void;
  /** `end` closed (reset: destroyed rather than ended). */
  close(end: VirtualStream, reset: boolean): void;
}

type StreamHandlers = Parameters<DriverStream["setHandlers"]>[0];

/** The close reason of a stream whose target is down or unknown (the RST came back). */
export const CONNECTION_REFUSED = "connection refused";

/** One end of a virtual connection. */
export class VirtualStream implements DriverStream {
  readonly remote: Address;
  /** The process that holds this end. */
  readonly owner: VirtualProcess;
  /** Node index of the remote end (-1: an address no node has). */
  readonly remoteIndex: number;
  /** The other end, once the target accepted. */
  peer: VirtualStream | undefined;
  /** This end was ended or destroyed: nothing more is delivered to it. */
  closed = false;
  /** This end wrote something (its reply or its request). */
  wrote = false;
  private readonly wire: StreamWire;
  private handlers: StreamHandlers | undefined;

  constructor(wire: StreamWire, owner: VirtualProcess, remote: Address, remoteIndex: number) {
    this.wire = wire;
    this.owner = owner;
    this.remote = remote;
    this.remoteIndex = remoteIndex;
  }

  setHandlers(handlers: StreamHandlers): void {
    this.handlers = handlers;
  }

  write(bytes: Uint8Array): void {
    if (this.closed) return;
    this.wrote = true;
    this.wire.write(this, bytes);
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.wire.close(this, false);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.wire.close(this, true);
  }

  /** The peer's bytes arrived (the whole message: one request or one reply). */
  receive(bytes: Uint8Array): void {
    if (!this.closed) this.handlers?.onData(bytes);
  }

  /** The peer closed or the connection failed. */
  closedByPeer(reason: string | undefined): void {
    if (this.closed) return;
    if (reason === undefined) {
      this.handlers?.onClose(undefined);
      return;
    }
    // A refusal carries Node's code, as a real socket's connect error does (the Driver reads it).
    const error: NodeJS.ErrnoException = new Error(reason);
    if (reason === CONNECTION_REFUSED) error.code = "ECONNREFUSED";
    this.handlers?.onClose(error);
  }
}
