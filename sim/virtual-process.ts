/*
 * One virtual node process as the real Driver sees it: its socket (a DriverTransport over the
 * virtual network), its timer (the Driver's TimerHost on the virtual clock) and where it reports
 * (the Driver's listener). The simulation owns the network, the clock and the observers
 * (VirtualWorld); a process only forwards to it, naming itself, and hands the simulation's
 * deliveries to the handlers the Driver installed. One object for all three keeps what a
 * datagram or a wake-up touches in one place.
 *
 *   Driver.send(bytes)   ─▶ world.sendDatagram ─▶ Network ─▶ packet event ─▶ receiveDatagram ─▶ Driver
 *   Driver.dial(addr)    ─▶ world.dial ─▶ VirtualStream (virtual-stream.ts)
 *   Driver arms its wake ─▶ world.scheduleWake(at, token) ─▶ wake event ─▶ wake(token) ─▶ Driver
 *
 * A wake-up is never removed from the clock: re-arming or disarming bumps the token, and a wake
 * event carrying an older token is ignored (the core's own rule for stale timers). A crash stops
 * the Driver and the process is dropped; a restart is a new VirtualProcess (new generation).
 */
import type {DecodeError} from "../src/codec/index.ts";
import type {
  Address,
  DropReason,
  Message,
  Notification,
  PingComplete,
  StreamMessage,
  SwimNode,
} from "../src/core/index.ts";
import type {Driver, DriverListener, DriverStream, DriverTransport, TimerHost} from "../src/runtime/index.ts";

/** What a process uses of the simulation. */
export interface VirtualWorld {
  /** The process's Driver reported (DriverListener, with the process named). */
  notify(process: VirtualProcess, event: Notification): void;
  deliver(process: VirtualProcess, payload: Uint8Array): void;
  pingComplete(process: VirtualProcess, report: PingComplete): void;
  decodeError(process: VirtualProcess, error: DecodeError): void;
  packetSent(process: VirtualProcess, to: Address, messages: readonly Message[], bytes: Uint8Array): void;
  streamSent(process: VirtualProcess, message: StreamMessage, bytes: Uint8Array): void;
  dropped(process: VirtualProcess, reason: DropReason): void;
  /** Queues the process's wake-up event at `atMs` carrying `token`. */
  scheduleWake(process: VirtualProcess, atMs: number, token: number): void;
  /** Offers a datagram from the process to the virtual network. */
  sendDatagram(process: VirtualProcess, to: Address, bytes: Uint8Array): void;
  /** Opens a virtual stream from the process to `to`. */
  dial(process: VirtualProcess, to: Address): DriverStream;
}

type TransportHandlers = Parameters<DriverTransport["setHandlers"]>[0];
type DatagramHandler = TransportHandlers["onDatagram"];
type StreamHandler = TransportHandlers["onStream"];

const ignoreDatagram: DatagramHandler = () => {};
const ignoreStream: StreamHandler = (stream) => stream.destroy();

/** A node process: the Driver's transport, timer host and listener in one. */
export class VirtualProcess implements DriverTransport, TimerHost, DriverListener {
  /** The virtual clock is exact: a wake-up never comes early. */
  readonly slackMs = 0;
  readonly index: number;
  /** Process generation (bumped by every boot of the node). */
  readonly gen: number;
  readonly addr: Address;
  /** Set right after construction, by the simulation. */
  driver!: Driver;
  /** The core the Driver runs, set when the Driver builds it. */
  node!: SwimNode;
  /** Token of the armed wake-up; older wake events are stale. */
  wakeToken = 0;
  private readonly world: VirtualWorld;
  // The Driver's handlers, kept as fields (not behind a handlers object): every datagram calls one.
  private onDatagram: DatagramHandler = ignoreDatagram;
  private onStream: StreamHandler = ignoreStream;
  private fire: (() => void) | undefined;

  constructor(world: VirtualWorld, index: number, gen: number, addr: Address) {
    this.world = world;
    this.index = index;
    this.gen = gen;
    this.addr = addr;
  }

  // ---- DriverTransport

  setHandlers(handlers: TransportHandlers): void {
    this.onDatagram = handlers.onDatagram;
    this.onStream = handlers.onStream;
  }

  send(to: Address, bytes: Uint8Array): void {
    this.world.sendDatagram(this, to, bytes);
  }

  dial(to: Address): DriverStream {
    return this.world.dial(this, to);
  }

  // ---- TimerHost

  arm(atMs: number, fire: () => void): void {
    this.fire = fire;
    this.world.scheduleWake(this, atMs, ++this.wakeToken);
  }

  disarm(): void {
    this.wakeToken++;
    this.fire = undefined;
  }

  // ---- DriverListener

  onNotify(event: Notification): void {
    this.world.notify(this, event);
  }

  onDeliver(payload: Uint8Array): void {
    this.world.deliver(this, payload);
  }

  onPingComplete(report: PingComplete): void {
    this.world.pingComplete(this, report);
  }

  onDecodeError(error: DecodeError): void {
    this.world.decodeError(this, error);
  }

  /** The simulator runs with the core's assertions on and crashes loudly. */
  onInternalError(error: unknown): void {
    throw error;
  }

  onPacketSent(to: Address, messages: readonly Message[], bytes: Uint8Array): void {
    this.world.packetSent(this, to, messages, bytes);
  }

  onStreamSent(message: StreamMessage, bytes: Uint8Array): void {
    this.world.streamSent(this, message, bytes);
  }

  onDropped(reason: DropReason): void {
    this.world.dropped(this, reason);
  }

  // ---- deliveries from the simulation

  /** Is a wake event with `token` still the armed one? */
  isArmed(token: number): boolean {
    return token === this.wakeToken && this.fire !== undefined;
  }

  /** Runs the armed wake-up (the caller checked isArmed). */
  wake(): void {
    const fire = this.fire;
    this.fire = undefined;
    fire?.();
  }

  /** A datagram arrived on the process's socket. */
  receiveDatagram(data: Uint8Array, from: Address, receivedAtMs: number): void {
    this.onDatagram({data, from, receivedAtMs});
  }

  /** Someone connected to the process (the stream carries its first bytes next). */
  accept(stream: DriverStream): void {
    this.onStream(stream);
  }
}
