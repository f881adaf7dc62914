/*
 * The faults a real agent process makes on itself, for the testbed's `slow` and `stall`, as the
 * simulator models them (sim/simulation.ts):
 *
 *   slow D    every input of the driver is handled D ms late, once (AgentRuntimeHooks around
 *             the transport and the timer host): datagrams, wake-ups, and the opening, bytes
 *             and close of every stream opened while slow, in either direction (a stream's
 *             events are taken from it at once, held in order and handed on D ms later, so
 *             nothing arrives before the driver has set its handlers). D = 0 ends it for new
 *             inputs; what is held is still handed on in order. Without the streams a slow
 *             agent answered every TCP fallback ping in time and was never suspected.
 *   stall B   the event loop is blocked for B ms by synchronous work: datagrams wait in the
 *             socket buffer, timers expire, then Node resumes in its own phase order.
 *
 * Commands arrive one per line ("slow 1500", "stall 800"); parseFaultCommand checks them.
 */
import {performance} from "node:perf_hooks";
import type {DriverStream, DriverTransport, TimerHost} from "../runtime/index.ts";

type StreamHandlers = Parameters<DriverStream["setHandlers"]>[0];

import type {AgentRuntimeHooks} from "./agent.ts";

/** One command of the control channel. */
export type FaultCommand =
  | {readonly type: "slow"; readonly delayMs: number}
  | {readonly type: "stall"; readonly durationMs: number};

/** The largest delay or stall a command may ask for (ms): a minute. */
export const MAX_FAULT_MS = 60_000;

/** Parses one control line; throws an Error naming the rule. */
export function parseFaultCommand(line: string): FaultCommand {
  const words = line.trim().split(/\s+/);
  const [type, value, ...rest] = words;
  if ((type !== "slow" && type !== "stall") || value === undefined || rest.length > 0) {
    throw new Error(`fault command must be "slow MS" or "stall MS", got ${JSON.stringify(line)}`);
  }
  const ms = Number(value);
  const min = type === "slow" ? 0 : 1;
  if (!/^\d+$/.test(value) || !(ms >= min && ms <= MAX_FAULT_MS)) {
    throw new Error(`${type}: MS must be a whole number from ${min} to ${MAX_FAULT_MS}, got ${JSON.stringify(value)}`);
  }
  return type === "slow" ? {type, delayMs: ms} : {type, durationMs: ms};
}

/** Blocks the calling thread (the event loop) for `durationMs`. */
export function blockEventLoop(durationMs: number): void {
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    // busy: nothing else runs on this loop until the stall ends
  }
}

/** The slow fault of one agent: its hooks, and the delay they apply now. */
export class FaultGate {
  private delayMs = 0;

  /** The agent hooks that route datagrams and wake-ups through this gate. */
  readonly hooks: AgentRuntimeHooks = {
    wrapTransport: (transport) => this.wrapTransport(transport),
    wrapTimers: (timers) => this.wrapTimers(timers),
  };

  /** The delay in force (ms). */
  get delay(): number {
    return this.delayMs;
  }

  /** Applies one command. */
  apply(command: FaultCommand): void {
    if (command.type === "slow") this.delayMs = command.delayMs;
    else blockEventLoop(command.durationMs);
  }

  private wrapTransport(transport: DriverTransport): DriverTransport {
    return {
      send: (to, bytes) => transport.send(to, bytes),
      dial: (to) => (this.delayMs === 0 ? transport.dial(to) : this.slowStream(transport.dial(to)).stream),
      setHandlers: (handlers) =>
        transport.setHandlers({
          onStream: (stream) => {
            if (this.delayMs === 0) {
              handlers.onStream(stream);
              return;
            }
            const slow = this.slowStream(stream);
            slow.later(() => handlers.onStream(slow.stream));
          },
          onDatagram: (datagram) => {
            const delay = this.delayMs;
            if (delay === 0) {
              handlers.onDatagram(datagram);
              return;
            }
            setTimeout(() => handlers.onDatagram({...datagram, receivedAtMs: datagram.receivedAtMs + delay}), delay);
          },
        }),
    };
  }

  /**
   * `stream` with its events held: `later` runs a step the delay in force from now, but never
   * before the steps queued earlier, so the open, the bytes and the close keep their order.
   */
  private slowStream(stream: DriverStream): {stream: DriverStream; later: (step: () => void) => void} {
    let target: StreamHandlers | undefined;
    // BOUNDED: the events of one stream before the driver set its handlers (one request).
    const early: ((h: StreamHandlers) => void)[] = [];
    // BOUNDED: the events of one stream not yet handed on (one request, one reply, one close).
    const queue: {ready: boolean; run: () => void}[] = [];
    const later = (step: () => void): void => {
      const entry = {ready: false, run: step};
      queue.push(entry);
      const fire = (): void => {
        entry.ready = true;
        while (queue[0]?.ready) (queue.shift() as {run: () => void}).run();
      };
      if (this.delayMs === 0) fire();
      else setTimeout(fire, this.delayMs);
    };
    const toDriver = (event: (h: StreamHandlers) => void): void =>
      later(() => {
        if (target) event(target);
        else early.push(event);
      });
    stream.setHandlers({
      onData: (buffered) => toDriver((h) => h.onData(buffered)),
      onClose: (error) => toDriver((h) => h.onClose(error)),
    });
    return {
      later,
      stream: {
        remote: stream.remote,
        write: (bytes) => stream.write(bytes),
        end: () => stream.end(),
        destroy: () => stream.destroy(),
        setHandlers: (handlers) => {
          target = handlers;
          for (const event of early.splice(0)) event(handlers);
        },
      },
    };
  }

  private wrapTimers(timers: TimerHost): TimerHost {
    return {
      slackMs: timers.slackMs,
      arm: (atMs, fire) => timers.arm(atMs + this.delayMs, fire),
      disarm: () => timers.disarm(),
    };
  }
}
