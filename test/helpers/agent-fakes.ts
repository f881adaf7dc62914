/*
 * Stand-ins for the driver's collaborators in runtime unit tests: a transport that records what
 * is sent and dialled, streams whose bytes the test injects, a scripted core that answers each
 * input from a function and records the inputs, and a clock that follows vitest's fake Date.
 */
import type {Address, Effect, Input} from "../../src/core/index.ts";
import type {Clock, CoreNode, DriverStream, DriverTransport} from "../../src/runtime/index.ts";

type StreamHandlers = Parameters<DriverStream["setHandlers"]>[0];
type TransportHandlers = Parameters<DriverTransport["setHandlers"]>[0];

export class FakeStream implements DriverStream {
  readonly remote: Address;
  readonly written: Uint8Array[] = [];
  handlers: StreamHandlers | undefined;
  ended = false;
  destroyed = false;
  constructor(remote: Address) {
    this.remote = remote;
  }
  setHandlers(handlers: StreamHandlers): void {
    this.handlers = handlers;
  }
  write(bytes: Uint8Array): void {
    this.written.push(bytes);
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  /** Delivers bytes as if they arrived from the peer. */
  receive(bytes: Uint8Array): void {
    this.handlers?.onData(bytes);
  }
}

export class FakeTransport implements DriverTransport {
  readonly sent: {to: Address; bytes: Uint8Array}[] = [];
  readonly dialled: FakeStream[] = [];
  handlers: TransportHandlers | undefined;
  setHandlers(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }
  send(to: Address, bytes: Uint8Array): void {
    this.sent.push({to, bytes});
  }
  dial(to: Address): FakeStream {
    const stream = new FakeStream(to);
    this.dialled.push(stream);
    return stream;
  }
  /** Delivers a datagram as if it arrived on the socket. */
  deliver(from: Address, data: Uint8Array): void {
    this.handlers?.onDatagram({data, from, receivedAtMs: Date.now()});
  }
  /** Opens an incoming stream. */
  accept(from: Address): FakeStream {
    const stream = new FakeStream(from);
    this.handlers?.onStream(stream);
    return stream;
  }
}

/** A core that records inputs (with their time) and answers with `script(input)`. */
export class ScriptedCore implements CoreNode {
  readonly inputs: {nowMs: number; input: Input}[] = [];
  script: (input: Input) => Effect[];
  constructor(script: (input: Input) => Effect[] = () => []) {
    this.script = script;
  }
  handle(nowMs: number, input: Input): Effect[] {
    this.inputs.push({nowMs, input});
    return this.script(input);
  }
  of<T extends Input["type"]>(type: T): Extract<Input, {type: T}>[] {
    return this.inputs.map((x) => x.input).filter((i): i is Extract<Input, {type: T}> => i.type === type);
  }
}

/** A clock that follows vitest's fake Date.now(). */
export function fakeClock(): Clock {
  const origin = Date.now();
  return {now: () => Date.now() - origin};
}
