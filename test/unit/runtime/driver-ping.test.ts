/*
 * The driver's part of memberlist's PingDelegate: setAckPayload reaches the core (and so the
 * bytes of every ack to a UDP ping), and the core's pingComplete effect reaches the listener.
 */
import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {decodePacket, encodePacket} from "../../../src/codec/index.ts";
import {ACK_PAYLOAD_MAX_BYTES, type Effect, lanConfig, type PingComplete} from "../../../src/core/index.ts";
import {Driver} from "../../../src/runtime/index.ts";
import {FakeTransport, fakeClock, ScriptedCore} from "../../helpers/agent-fakes.ts";

const PEER = {host: "127.0.0.1", port: 7001};
const SELF = {name: "self", addr: {host: "127.0.0.1", port: 7000}};
const PAYLOAD = Uint8Array.of(1, 0x80);

describe("Driver: ack payloads and ping completions", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("puts the payload set before start into the bytes of the ack to a UDP ping", () => {
    const transport = new FakeTransport();
    const driver = new Driver({config: lanConfig(), self: SELF}, {transport, clock: fakeClock()});
    driver.setAckPayload(PAYLOAD);
    driver.start();
    transport.handlers?.onDatagram({
      data: encodePacket([{type: "ping", seqNo: 9, node: "self"}]),
      from: PEER,
      receivedAtMs: 0,
    });
    const acks = transport.sent
      .filter((s) => s.to.port === PEER.port)
      .flatMap((s) => decodePacket(s.bytes))
      .filter((m) => m.type === "ack");
    expect(acks).toEqual([{type: "ack", seqNo: 9, payload: PAYLOAD}]);
    driver.stop();
  });

  it("refuses a payload the core would refuse, synchronously and without feeding it", () => {
    const core = new ScriptedCore();
    const driver = new Driver(
      {config: lanConfig(), self: SELF},
      {transport: new FakeTransport(), clock: fakeClock(), createNode: () => core},
    );
    expect(() => driver.setAckPayload(new Uint8Array(ACK_PAYLOAD_MAX_BYTES + 1))).toThrow(
      expect.objectContaining({name: "InvalidConfigError", field: "payload"}),
    );
    expect(core.of("setAckPayload")).toEqual([]);
    driver.setAckPayload(PAYLOAD);
    expect(core.of("setAckPayload")).toEqual([{type: "setAckPayload", payload: PAYLOAD}]);
  });

  it("hands the core's pingComplete effects to onPingComplete, in order", () => {
    const reports: PingComplete[] = [];
    const core = new ScriptedCore((input): Effect[] =>
      input.type === "packet"
        ? [
            {type: "pingComplete", node: "a", rttMs: 3, payload: PAYLOAD},
            {type: "pingComplete", node: "b", rttMs: 4, payload: new Uint8Array()},
          ]
        : [],
    );
    const transport = new FakeTransport();
    const driver = new Driver(
      {config: lanConfig(), self: SELF},
      {transport, clock: fakeClock(), createNode: () => core},
      {onPingComplete: (report) => reports.push(report)},
    );
    driver.start();
    transport.handlers?.onDatagram({
      data: encodePacket([{type: "ack", seqNo: 1, payload: PAYLOAD}]),
      from: PEER,
      receivedAtMs: 0,
    });
    expect(reports.map((r) => [r.node, r.rttMs, r.payload.length])).toEqual([
      ["a", 3, 2],
      ["b", 4, 0],
    ]);
    driver.stop();
  });
});
