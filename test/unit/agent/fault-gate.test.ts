import {afterEach, describe, expect, it, vi} from "vitest";
import {blockEventLoop, FaultGate, parseFaultCommand} from "../../../src/agent/index.ts";
import type {DriverStream, DriverTransport, TimerHost} from "../../../src/runtime/index.ts";

type Handlers = Parameters<DriverTransport["setHandlers"]>[0];

function fakeTransport(dialled?: DriverStream): {transport: DriverTransport; handlers: () => Handlers} {
  let set: Handlers | undefined;
  return {
    transport: {
      setHandlers: (h) => {
        set = h;
      },
      send: () => undefined,
      dial: () => dialled ?? fakeStream().stream,
    },
    handlers: () => set as Handlers,
  };
}

type StreamHandlers = Parameters<DriverStream["setHandlers"]>[0];

/** A stream whose events the test fires (`emit()`), recording the lengths written. */
function fakeStream(): {stream: DriverStream; emit: () => StreamHandlers; written: number[]} {
  let set: StreamHandlers | undefined;
  const written: number[] = [];
  return {
    stream: {
      remote: {host: "198.18.0.3", port: 7946},
      setHandlers: (h) => {
        set = h;
      },
      write: (b) => written.push(b.length),
      end: () => undefined,
      destroy: () => undefined,
    },
    emit: () => set as StreamHandlers,
    written,
  };
}

describe("parseFaultCommand", () => {
  it("reads slow and stall with whole milliseconds", () => {
    expect(parseFaultCommand("slow 1500")).toEqual({type: "slow", delayMs: 1500});
    expect(parseFaultCommand(" slow 0 ")).toEqual({type: "slow", delayMs: 0});
    expect(parseFaultCommand("stall 800")).toEqual({type: "stall", durationMs: 800});
  });

  it("names the rule for anything else", () => {
    expect(() => parseFaultCommand("pause 10")).toThrow(/"slow MS" or "stall MS"/);
    expect(() => parseFaultCommand("slow")).toThrow(/"slow MS" or "stall MS"/);
    expect(() => parseFaultCommand("slow 1 2")).toThrow(/"slow MS" or "stall MS"/);
    expect(() => parseFaultCommand("stall 0")).toThrow(/stall: MS must be a whole number from 1 to 60000/);
    expect(() => parseFaultCommand("slow -5")).toThrow(/slow: MS must be a whole number from 0/);
    expect(() => parseFaultCommand("slow 1.5")).toThrow(/whole number/);
    expect(() => parseFaultCommand("stall 60001")).toThrow(/to 60000/);
  });
});

describe("FaultGate", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("hands datagrams on at once until slow, then each one delayMs late with its receive time moved", () => {
    vi.useFakeTimers();
    const gate = new FaultGate();
    const {transport, handlers} = fakeTransport();
    const wrapped = gate.hooks.wrapTransport?.(transport) as DriverTransport;
    const got: {data: number; receivedAtMs: number}[] = [];
    wrapped.setHandlers({
      onDatagram: (d) => got.push({data: d.data[0] as number, receivedAtMs: d.receivedAtMs}),
      onStream: () => undefined,
    });
    const from = {host: "198.18.0.2", port: 7946};
    handlers().onDatagram({data: Uint8Array.of(1), from, receivedAtMs: 10});
    expect(got).toEqual([{data: 1, receivedAtMs: 10}]);

    gate.apply({type: "slow", delayMs: 300});
    expect(gate.delay).toBe(300);
    handlers().onDatagram({data: Uint8Array.of(2), from, receivedAtMs: 20});
    handlers().onDatagram({data: Uint8Array.of(3), from, receivedAtMs: 21});
    vi.advanceTimersByTime(299);
    expect(got).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(got).toEqual([
      {data: 1, receivedAtMs: 10},
      {data: 2, receivedAtMs: 320},
      {data: 3, receivedAtMs: 321},
    ]);

    gate.apply({type: "slow", delayMs: 0});
    handlers().onDatagram({data: Uint8Array.of(4), from, receivedAtMs: 30});
    expect(got.at(-1)).toEqual({data: 4, receivedAtMs: 30});
  });

  it("passes streams through untouched while not slow", () => {
    const gate = new FaultGate();
    const {transport, handlers} = fakeTransport();
    const streams: DriverStream[] = [];
    gate.hooks.wrapTransport?.(transport).setHandlers({onDatagram: () => undefined, onStream: (s) => streams.push(s)});
    const stream = fakeStream().stream;
    handlers().onStream(stream);
    expect(streams).toEqual([stream]);
  });

  it("holds a slow agent's incoming stream, then hands on its open, bytes and close in order", () => {
    vi.useFakeTimers();
    const gate = new FaultGate();
    gate.apply({type: "slow", delayMs: 400});
    const {transport, handlers} = fakeTransport();
    const seen: string[] = [];
    gate.hooks.wrapTransport?.(transport).setHandlers({
      onDatagram: () => undefined,
      onStream: (s) => {
        seen.push("open");
        s.setHandlers({onData: (b) => seen.push(`data ${b.length}`), onClose: () => seen.push("close")});
      },
    });
    const raw = fakeStream();
    handlers().onStream(raw.stream);
    raw.emit().onData(Uint8Array.of(1, 2));
    vi.advanceTimersByTime(100);
    raw.emit().onData(Uint8Array.of(1, 2, 3));
    gate.apply({type: "slow", delayMs: 0});
    raw.emit().onClose();
    vi.advanceTimersByTime(399);
    expect(seen).toEqual(["open", "data 2"]);
    vi.advanceTimersByTime(1);
    // The close came when the delay was already 0, but it waits for the bytes before it.
    expect(seen).toEqual(["open", "data 2", "data 3", "close"]);
  });

  it("delays the reply on a stream the slow agent dialled", () => {
    vi.useFakeTimers();
    const gate = new FaultGate();
    gate.apply({type: "slow", delayMs: 250});
    const raw = fakeStream();
    const {transport} = fakeTransport(raw.stream);
    const dialled = gate.hooks.wrapTransport?.(transport).dial({host: "198.18.0.3", port: 7946}) as DriverStream;
    expect(dialled).not.toBe(raw.stream);
    const got: number[] = [];
    dialled.setHandlers({onData: (b) => got.push(b.length), onClose: () => undefined});
    dialled.write(Uint8Array.of(9));
    expect(raw.written).toEqual([1]);
    raw.emit().onData(Uint8Array.of(1, 2, 3, 4));
    vi.advanceTimersByTime(249);
    expect(got).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(got).toEqual([4]);
  });

  it("arms every wake-up delayMs later while slow", () => {
    const armed: number[] = [];
    const inner: TimerHost = {slackMs: 1, arm: (atMs) => armed.push(atMs), disarm: () => undefined};
    const gate = new FaultGate();
    const timers = gate.hooks.wrapTimers?.(inner, {now: () => 0}) as TimerHost;
    timers.arm(100, () => undefined);
    gate.apply({type: "slow", delayMs: 250});
    timers.arm(200, () => undefined);
    expect(armed).toEqual([100, 450]);
    expect(timers.slackMs).toBe(1);
  });
});

describe("blockEventLoop", () => {
  it("keeps a due timer from running until the stall ends", async () => {
    const start = performance.now();
    const fired = new Promise<number>((resolve) => setTimeout(() => resolve(performance.now()), 0));
    blockEventLoop(60);
    expect((await fired) - start).toBeGreaterThanOrEqual(60);
  });
});
