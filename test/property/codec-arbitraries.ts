/* fast-check generators for core messages, shared by the codec property tests. */
import fc from "fast-check";
import type {Address, Message, PushNodeState, PushPullMessage, StreamMessage, Vsn} from "../../src/core/index.ts";

export const uint32 = fc.oneof(
  fc.constantFrom(0, 1, 127, 128, 255, 256, 65535, 65536, 0xffffffff),
  fc.integer({min: 0, max: 0xffffffff}),
);
export const uint16 = fc.oneof(
  fc.constantFrom(0, 1, 127, 128, 255, 256, 7946, 65535),
  fc.integer({min: 0, max: 65535}),
);
const port1 = fc.integer({min: 1, max: 65535});

/** Any valid Unicode text (no lone surrogates, which UTF-8 cannot carry). */
export const name = fc.oneof(
  fc.string({unit: "grapheme-ascii", maxLength: 40}),
  fc.string({unit: "binary", maxLength: 80}),
);
const nonEmptyName = name.filter((s) => s.length > 0);

const ipv4 = fc.ipV4();
/** IPv6 in canonical (RFC 5952) text, excluding the IPv4-mapped range the codec maps to IPv4. */
const ipv6 = fc
  .ipV6()
  .map((s) => new URL(`http://[${s}]`).hostname.slice(1, -1))
  .filter((s) => !/^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/.test(s));
export const host = fc.oneof({weight: 3, arbitrary: ipv4}, {weight: 1, arbitrary: ipv6});
export const address: fc.Arbitrary<Address> = fc.record({host, port: uint16});
const sourceAddress: fc.Arbitrary<Address> = fc.record({host, port: port1});

export const vsn: fc.Arbitrary<Vsn> = fc.tuple(
  fc.nat(255),
  fc.nat(255),
  fc.nat(255),
  fc.nat(255),
  fc.nat(255),
  fc.nat(255),
);
export const bytes = (maxLength: number) => fc.uint8Array({maxLength});
const meta = fc.oneof(bytes(40), bytes(512));

/** Optional ping/indirect-ping source fields, as the core would set them. */
const source = fc.record({source: fc.oneof(sourceAddress, address), sourceNode: nonEmptyName}, {requiredKeys: []});

export const ping: fc.Arbitrary<Message> = fc
  .tuple(uint32, name, source)
  .map(([seqNo, node, s]): Message => ({type: "ping", seqNo, node, ...s}));

export const message: fc.Arbitrary<Message> = fc.oneof(
  ping,
  fc
    .tuple(uint32, address, name, fc.boolean(), source)
    .map(([seqNo, target, node, nack, s]): Message => ({type: "indirectPing", seqNo, target, node, nack, ...s})),
  fc.record({type: fc.constant("ack" as const), seqNo: uint32, payload: bytes(300)}),
  fc.record({type: fc.constant("nack" as const), seqNo: uint32}),
  fc.record({type: fc.constant("suspect" as const), incarnation: uint32, node: name, from: name}),
  fc.record({type: fc.constant("dead" as const), incarnation: uint32, node: name, from: name}),
  fc.record({
    type: fc.constant("alive" as const),
    incarnation: uint32,
    node: name,
    addr: address,
    meta,
    vsn,
  }),
  fc.record({type: fc.constant("user" as const), payload: bytes(300)}),
);

export const pushNodeState: fc.Arbitrary<PushNodeState> = fc.record({
  name,
  addr: address,
  incarnation: uint32,
  meta,
  state: fc.constantFrom("alive", "suspect", "dead", "left"),
  vsn,
});

export const pushPull: fc.Arbitrary<PushPullMessage> = fc.record({
  type: fc.constant("pushPull" as const),
  join: fc.boolean(),
  states: fc.array(pushNodeState, {maxLength: 20}),
  userState: bytes(400),
});

export const streamMessage: fc.Arbitrary<StreamMessage> = fc.oneof(
  pushPull,
  ping as fc.Arbitrary<StreamMessage>,
  fc.record({type: fc.constant("ack" as const), seqNo: uint32, payload: bytes(300)}),
  fc.record({type: fc.constant("user" as const), payload: bytes(2000)}),
  fc.record({type: fc.constant("err" as const), error: name}),
);
