import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {
  decodePacket,
  decodeStream,
  encodeMessage,
  encodePacket,
  encodeStream,
  Keyring,
} from "../../../src/codec/index.ts";
import {type Effect, lanConfig, type Message, type SwimConfig} from "../../../src/core/index.ts";
import {Driver, ENCRYPTION_OVERHEAD} from "../../../src/runtime/index.ts";
import {FakeTransport, fakeClock, ScriptedCore} from "../../helpers/agent-fakes.ts";

const PEER = {host: "127.0.0.1", port: 7001};
const SELF = {name: "self", addr: {host: "127.0.0.1", port: 7000}};
const PING: Message = {type: "ping", seqNo: 5, node: "self"};

function setup(
  script?: ConstructorParameters<typeof ScriptedCore>[0],
  config: Partial<SwimConfig> = {},
  keyring?: Keyring,
  label?: string,
) {
  const core = new ScriptedCore(script);
  const transport = new FakeTransport();
  const listener = {notified: [] as unknown[], decodeErrors: [] as string[], internal: [] as unknown[]};
  let seenConfig: SwimConfig | undefined;
  const driver = new Driver(
    {config: {...lanConfig(), ...config}, self: SELF, keyring, ...(label !== undefined ? {label} : {})},
    {
      transport,
      clock: fakeClock(),
      createNode: (c) => {
        seenConfig = c;
        return core;
      },
    },
    {
      onNotify: (event) => listener.notified.push(event),
      onDecodeError: (error) => listener.decodeErrors.push(error.code),
      onInternalError: (error) => listener.internal.push(error),
    },
  );
  return {core, transport, driver, listener, config: () => seenConfig as SwimConfig};
}

describe("Driver", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("feeds start first and arms a single setTimeout for the earliest of many core timers", () => {
    const {core, driver} = setup((input): Effect[] =>
      input.type === "start"
        ? [
            {type: "setTimer", timer: {type: "probe", token: 1}, delayMs: 300},
            {type: "setTimer", timer: {type: "gossip", token: 1}, delayMs: 100},
            {type: "setTimer", timer: {type: "pushPull", token: 1}, delayMs: 200},
          ]
        : [],
    );
    driver.start();
    expect(core.inputs[0]?.input.type).toBe("start");
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(99);
    expect(core.of("timer")).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(core.of("timer").map((i) => i.timer.type)).toEqual(["gossip"]);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(200);
    expect(core.of("timer").map((i) => i.timer.type)).toEqual(["gossip", "pushPull", "probe"]);
    expect(core.inputs.at(-1)?.nowMs).toBeGreaterThanOrEqual(300);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("delivers equal deadlines in the order they were set", () => {
    const {core, driver} = setup((input): Effect[] =>
      input.type === "start"
        ? [
            {type: "setTimer", timer: {type: "probe", token: 7}, delayMs: 50},
            {type: "setTimer", timer: {type: "gossip", token: 8}, delayMs: 50},
          ]
        : [],
    );
    driver.start();
    vi.advanceTimersByTime(50);
    expect(core.of("timer").map((i) => i.timer.type)).toEqual(["probe", "gossip"]);
  });

  it("decodes a datagram and hands the messages and sender to the core", () => {
    const {core, transport, driver} = setup();
    driver.start();
    transport.deliver(PEER, encodePacket([PING, {type: "nack", seqNo: 9}], {crc: true, compress: true}));
    expect(core.of("packet")).toEqual([{type: "packet", from: PEER, messages: [PING, {type: "nack", seqNo: 9}]}]);
    expect(driver.stats.packetsIn).toBe(1);
    expect(driver.stats.messagesIn).toBe(2);
  });

  it("counts and drops a datagram that fails to decode without calling the core or throwing", () => {
    const {core, transport, driver, listener} = setup();
    driver.start();
    expect(() => transport.deliver(PEER, Uint8Array.of(0xee, 1, 2))).not.toThrow();
    expect(() => transport.deliver(PEER, Uint8Array.of(12, 0, 0, 0, 0, 0))).not.toThrow();
    expect(core.of("packet")).toHaveLength(0);
    expect(driver.stats.decodeErrors).toBe(2);
    expect(listener.decodeErrors).toHaveLength(2);
  });

  it("uses the good parts of a compound datagram and counts each bad part", () => {
    const {core, transport, driver, listener} = setup();
    driver.start();
    const good = encodeMessage(PING);
    // compound: 2 parts; the second is an unknown type byte.
    const packet = Uint8Array.from([7, 2, 0, good.length, 0, 2, ...good, 0xee, 0x01]);
    transport.deliver(PEER, packet);
    expect(core.of("packet")).toEqual([{type: "packet", from: PEER, messages: [PING]}]);
    expect(driver.stats.partDecodeErrors).toBe(1);
    expect(driver.stats.decodeErrors).toBe(0);
    expect(listener.decodeErrors).toHaveLength(1);
  });

  it("encodes send effects with CRC through the bound transport", () => {
    const {transport, driver} = setup((input): Effect[] =>
      input.type === "start" ? [{type: "send", to: PEER, messages: [PING]}] : [],
    );
    driver.start();
    expect(transport.sent).toHaveLength(1);
    const bytes = transport.sent[0]?.bytes as Uint8Array;
    expect(bytes[0]).toBe(12);
    expect(decodePacket(bytes)).toEqual([PING]);
    expect(driver.stats.packetsOut).toBe(1);
  });

  it("encrypts packets when a keyring is set and lowers the core's maxPacketBytes by the overhead", () => {
    const keyring = new Keyring([new Uint8Array(32).fill(7)]);
    const {transport, driver, config} = setup(
      (input): Effect[] => (input.type === "start" ? [{type: "send", to: PEER, messages: [PING]}] : []),
      {},
      keyring,
    );
    driver.start();
    expect(config().maxPacketBytes).toBe(1_400 - ENCRYPTION_OVERHEAD);
    const bytes = transport.sent[0]?.bytes as Uint8Array;
    expect(() => decodePacket(bytes)).toThrow();
    expect(decodePacket(bytes, {keyring})).toEqual([PING]);
  });

  it("turns a stream reply into streamResponse and resolves join with the number of seeds that answered", async () => {
    let nextId = 1;
    const {core, transport, driver} = setup((input): Effect[] =>
      input.type === "join"
        ? input.seeds.map((to) => ({
            type: "sendStream",
            id: nextId++,
            to,
            message: {type: "pushPull", join: true, states: [], userState: new Uint8Array(0)},
            timeoutMs: 1_000,
          }))
        : [],
    );
    driver.start();
    const joined = driver.join([PEER, {host: "127.0.0.1", port: 7002}]);
    expect(transport.dialled).toHaveLength(2);
    const [first, second] = transport.dialled;
    expect(decodeStream(first?.written[0] as Uint8Array)?.message).toMatchObject({type: "pushPull", join: true});
    first?.receive(encodeStream({type: "pushPull", join: true, states: [], userState: new Uint8Array(0)}));
    expect(core.of("streamResponse")).toHaveLength(1);
    expect(first?.ended).toBe(true);
    second?.handlers?.onClose(new Error("ECONNREFUSED"));
    expect(core.of("streamFailed")).toEqual([{type: "streamFailed", id: 2, reason: "ECONNREFUSED"}]);
    await expect(joined).resolves.toMatchObject({attempted: 2, answered: 1, errors: ["ECONNREFUSED"]});
  });

  it("marks a stream whose connection was refused (ECONNREFUSED on the error or its cause) as refused", () => {
    const {core, transport, driver} = setup((input): Effect[] =>
      input.type === "join"
        ? input.seeds.map((to, i) => ({
            type: "sendStream",
            id: i + 1,
            to,
            message: {type: "ping", seqNo: i + 1, node: ""},
            timeoutMs: 1_000,
          }))
        : [],
    );
    driver.start();
    void driver.join([PEER, {host: "127.0.0.1", port: 7002}]);
    const [first, second] = transport.dialled;
    const refused: NodeJS.ErrnoException = new Error("connect ECONNREFUSED 127.0.0.1:7001");
    refused.code = "ECONNREFUSED";
    first?.handlers?.onClose(new Error("connect: ECONNREFUSED", {cause: refused}));
    const reset: NodeJS.ErrnoException = new Error("read ECONNRESET");
    reset.code = "ECONNRESET";
    second?.handlers?.onClose(reset);
    expect(core.of("streamFailed")).toEqual([
      {type: "streamFailed", id: 1, reason: "connect: ECONNREFUSED", refused: true},
      {type: "streamFailed", id: 2, reason: "read ECONNRESET"},
    ]);
  });

  it("fails an outgoing stream that gets no reply within its timeoutMs", async () => {
    const {core, transport, driver} = setup((input): Effect[] =>
      input.type === "join"
        ? [{type: "sendStream", id: 1, to: PEER, message: {type: "ping", seqNo: 1, node: ""}, timeoutMs: 500}]
        : [],
    );
    driver.start();
    const joined = driver.join([PEER]);
    vi.advanceTimersByTime(499);
    expect(core.of("streamFailed")).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(core.of("streamFailed")).toEqual([{type: "streamFailed", id: 1, reason: "timeout"}]);
    expect(transport.dialled[0]?.destroyed).toBe(true);
    await expect(joined).resolves.toMatchObject({answered: 0});
  });

  it("passes an incoming request to the core and writes the core's reply, then closes", () => {
    const {core, transport, driver} = setup((input): Effect[] =>
      input.type === "streamRequest"
        ? [{type: "streamReply", id: input.id, message: {type: "ack", seqNo: 3, payload: new Uint8Array(0)}}]
        : [],
    );
    driver.start();
    const stream = transport.accept(PEER);
    const request = encodeStream({type: "ping", seqNo: 3, node: "self"});
    stream.receive(request.subarray(0, 2));
    expect(core.of("streamRequest")).toHaveLength(0);
    stream.receive(request);
    expect(core.of("streamRequest")).toEqual([
      {type: "streamRequest", id: 1, from: PEER, message: {type: "ping", seqNo: 3, node: "self"}},
    ]);
    expect(decodeStream(stream.written[0] as Uint8Array)?.message).toMatchObject({type: "ack", seqNo: 3});
    expect(stream.ended).toBe(true);
  });

  it("destroys an incoming stream that has not completed within tcpTimeoutMs, and counts it", () => {
    const {core, transport, driver} = setup(undefined, {tcpTimeoutMs: 2_000});
    driver.start();
    const stream = transport.accept(PEER);
    stream.receive(Uint8Array.of(0));
    vi.advanceTimersByTime(1_999);
    expect(stream.destroyed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(stream.destroyed).toBe(true);
    expect(driver.stats.streamTimeouts).toBe(1);
    expect(core.of("streamRequest")).toHaveLength(0);
  });

  it("answers garbage on an incoming stream with an err message and counts it", () => {
    const {transport, driver, listener} = setup();
    driver.start();
    const stream = transport.accept(PEER);
    stream.receive(Uint8Array.of(0x63, 0x63, 0x63));
    expect(driver.stats.streamDecodeErrors).toBe(1);
    expect(listener.decodeErrors).toHaveLength(1);
    expect(decodeStream(stream.written[0] as Uint8Array)?.message).toMatchObject({type: "err"});
    expect(stream.ended).toBe(true);
  });

  it("reports a throwing core as an internal error and keeps handling inputs", () => {
    const {core, transport, driver, listener} = setup((input) => {
      if (input.type === "packet") throw new Error("boom");
      return [];
    });
    driver.start();
    transport.deliver(PEER, encodePacket([PING]));
    transport.deliver(PEER, encodePacket([PING]));
    expect(listener.internal).toHaveLength(2);
    expect(core.of("packet")).toHaveLength(2);
  });

  it("resolves leave when the core notifies left, and counts dropped inputs by reason", async () => {
    const {driver, listener} = setup((input): Effect[] =>
      input.type === "leave"
        ? [
            {type: "dropped", reason: "notRunning"},
            {type: "notify", event: {type: "left"}},
          ]
        : [],
    );
    driver.start();
    await driver.leave();
    expect(listener.notified).toEqual([{type: "left"}]);
    expect(driver.stats.dropped).toEqual({notRunning: 1});
  });

  it("stops: clears the timer, ignores later datagrams, and settles a pending leave", async () => {
    const {core, transport, driver} = setup((input): Effect[] =>
      input.type === "start" ? [{type: "setTimer", timer: {type: "probe", token: 1}, delayMs: 100}] : [],
    );
    driver.start();
    const leaving = driver.leave();
    driver.stop();
    await expect(leaving).resolves.toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    transport.deliver(PEER, encodePacket([PING]));
    vi.advanceTimersByTime(1_000);
    expect(core.of("packet")).toHaveLength(0);
    expect(core.of("timer")).toHaveLength(0);
  });
});

describe("Driver with a cluster label", () => {
  const keyring = new Keyring([new Uint8Array(16).fill(3)]);
  const pushPull = {type: "pushPull", join: true, states: [], userState: new Uint8Array(0)} as const;

  it("labels and encrypts its packets and lowers maxPacketBytes by both overheads", () => {
    const {transport, driver, config} = setup(
      (input): Effect[] => (input.type === "start" ? [{type: "send", to: PEER, messages: [PING]}] : []),
      {},
      keyring,
      "blue",
    );
    driver.start();
    expect(config().maxPacketBytes).toBe(1_400 - ENCRYPTION_OVERHEAD - (2 + 4));
    const bytes = transport.sent[0]?.bytes as Uint8Array;
    expect(Buffer.from(bytes.subarray(0, 6)).toString("hex")).toBe(`f404${Buffer.from("blue").toString("hex")}`);
    expect(decodePacket(bytes, {keyring, label: "blue"})).toEqual([PING]);
  });

  it("counts datagrams with another label or none as labelMismatches, not decode errors", () => {
    const {core, transport, driver, listener} = setup(undefined, {}, undefined, "blue");
    driver.start();
    transport.deliver(PEER, encodePacket([PING], {label: "red"}));
    transport.deliver(PEER, encodePacket([PING]));
    expect(core.of("packet")).toHaveLength(0);
    expect(driver.stats.labelMismatches).toBe(2);
    expect(driver.stats.decodeErrors).toBe(0);
    expect(listener.decodeErrors).toEqual(["labelMismatch", "labelMismatch"]);
    transport.deliver(PEER, encodePacket([PING], {label: "blue"}));
    expect(core.of("packet")).toHaveLength(1);
  });

  it("an unlabelled driver drops labelled datagrams", () => {
    const {core, transport, driver} = setup();
    driver.start();
    transport.deliver(PEER, encodePacket([PING], {label: "blue"}));
    expect(core.of("packet")).toHaveLength(0);
    expect(driver.stats.labelMismatches).toBe(1);
  });

  it("closes an incoming stream with another label unanswered, and counts it", () => {
    const {core, transport, driver} = setup(undefined, {}, keyring, "blue");
    driver.start();
    const stream = transport.accept(PEER);
    stream.receive(encodeStream(pushPull, {keyring, label: "red"}));
    expect(core.of("streamRequest")).toHaveLength(0);
    expect(stream.written).toHaveLength(0);
    expect(stream.destroyed).toBe(true);
    expect(driver.stats.labelMismatches).toBe(1);
    expect(driver.stats.streamDecodeErrors).toBe(0);
  });

  it("reads a labelled request and replies without a header, the label still in the AAD", () => {
    const {core, transport, driver} = setup(
      (input): Effect[] =>
        input.type === "streamRequest" ? [{type: "streamReply", id: input.id, message: pushPull}] : [],
      {},
      keyring,
      "blue",
    );
    driver.start();
    const stream = transport.accept(PEER);
    stream.receive(encodeStream(pushPull, {keyring, label: "blue"}));
    expect(core.of("streamRequest")).toHaveLength(1);
    const reply = stream.written[0] as Uint8Array;
    expect(reply[0]).toBe(0x0a);
    expect(decodeStream(reply, {keyring, label: "blue", reply: true})?.message).toEqual(pushPull);
    expect(() => decodeStream(reply, {keyring, reply: true})).toThrow(/decryptFailed/);
  });

  it("opens a dialled stream with the label header and reads the header-less reply", async () => {
    const {core, transport, driver} = setup(
      (input): Effect[] =>
        input.type === "join" ? [{type: "sendStream", id: 1, to: PEER, message: pushPull, timeoutMs: 1_000}] : [],
      {},
      undefined,
      "blue",
    );
    driver.start();
    const joined = driver.join([PEER]);
    const dialled = transport.dialled[0];
    const request = dialled?.written[0] as Uint8Array;
    expect(Buffer.from(request.subarray(0, 6)).toString("hex")).toBe(`f404${Buffer.from("blue").toString("hex")}`);
    expect(decodeStream(request, {label: "blue"})?.message).toEqual(pushPull);
    dialled?.receive(encodeStream(pushPull, {label: "blue", reply: true}));
    expect(core.of("streamResponse")).toHaveLength(1);
    await expect(joined).resolves.toMatchObject({answered: 1});
  });
});
