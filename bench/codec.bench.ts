/*
 * Codec throughput: encode and decode rates for a ping, an ack carrying serf's
 * coordinate payload, an alive, and a full ~1400-byte compound (the UDP budget), plus the
 * compressed+CRC and encrypted packet paths and a push-pull stream of 100 states.
 *
 * The "msgpackr Packr" cases encode the same messages with msgpackr configured as spec §4.4 says
 * (Go accepts its bin and str8 forms, but they are not the bytes Go writes); they keep the choice of
 * the hand-written writer (src/codec/msgpack-writer.ts) justified by numbers as well as by
 * byte-exactness against the golden serf captures.
 *
 * The "@msgpack/msgpack" cases decode the same bytes with `new Decoder({rawStrings: true})` and a
 * minimal mapping to core messages; they are the alternative spec §4.4 suggests, kept here so the
 * choice of the hand-written reader (src/codec/msgpack-reader.ts) stays justified by numbers.
 *
 * Run: npx vitest bench --run bench/codec.bench.ts
 */
import {cpus} from "node:os";
import {Decoder} from "@msgpack/msgpack";
import {Packr} from "msgpackr";
import {bench, describe} from "vitest";
import {
  bytesToHost,
  decodeMessage,
  decodePacket,
  decodeStream,
  encodedSize,
  encodeMessage,
  encodePacket,
  encodeStream,
  encodeTags,
  Keyring,
  splitCompound,
} from "../src/codec/index.ts";
import type {Address, Message, PushPullMessage, Vsn} from "../src/core/index.ts";

console.log(`machine: ${cpus()[0]?.model ?? "?"} × ${cpus().length}, node ${process.version}`);

const VSN: Vsn = [1, 5, 2, 2, 5, 5];
const addr = (i: number): Address => ({host: `10.0.${(i >> 8) & 255}.${i & 255}`, port: 7946});
const meta = encodeTags({role: "web", dc: "eu-west-1"});
// Serf's ack payload: 0x01 + a msgpack coordinate (8-dim Vec), ~130 bytes, taken from a capture.
const coordinate = Uint8Array.from(
  Buffer.from(
    "0184aa41646a7573746d656e74cb3f002e3645cd99c6a54572726f72cb3ff6f8d7e32549b8a6486569676874cb3ee4f8b588e368f1a356656398cb3f100c219644965ecbbf1e46716ec6dbb8cb3f1b4b61572add8acbbee3073e47d92059cb3f00000000000000cb3f00000000000000cb3f00000000000000cb3f00000000000000cb3f00000000000000",
    "hex",
  ),
);

const ping: Message = {type: "ping", seqNo: 123456, node: "node-0042", source: addr(7), sourceNode: "node-0007"};
const ack: Message = {type: "ack", seqNo: 123456, payload: coordinate};
const alive: Message = {type: "alive", incarnation: 17, node: "node-0042", addr: addr(42), meta, vsn: VSN};

// ~1400 bytes: a ping plus as many gossip messages as fit, like memberlist's piggybacking.
const compound: Message[] = [ping];
{
  let size = 2 + 2 + encodedSize(ping);
  for (let i = 0; ; i++) {
    const m: Message =
      i % 3 === 0
        ? {type: "alive", incarnation: i + 1, node: `node-${1000 + i}`, addr: addr(i), meta, vsn: VSN}
        : {type: "suspect", incarnation: i + 1, node: `node-${1000 + i}`, from: "node-0007"};
    const n = encodedSize(m) + 2;
    if (size + n > 1400) break;
    compound.push(m);
    size += n;
  }
}
const keyring = Keyring.fromBase64([Buffer.alloc(32, 3).toString("base64")]);
const pushPull: PushPullMessage = {
  type: "pushPull",
  join: false,
  userState: new Uint8Array(0),
  states: Array.from({length: 100}, (_, i) => ({
    name: `node-${i}`,
    addr: addr(i),
    incarnation: i + 1,
    meta,
    state: "alive" as const,
    vsn: VSN,
  })),
};

const pingBytes = encodeMessage(ping);
const ackBytes = encodeMessage(ack);
const aliveBytes = encodeMessage(alive);
const compoundBytes = encodePacket(compound);
const compressedBytes = encodePacket(compound, {compress: true, crc: true});
const encryptedBytes = encodePacket(compound, {keyring});
const pushPullBytes = encodeStream(pushPull);
console.log(
  `sizes: ping ${pingBytes.length} B, ack ${ackBytes.length} B, alive ${aliveBytes.length} B, compound ${compoundBytes.length} B (${compound.length} parts), compressed+crc ${compressedBytes.length} B, encrypted ${encryptedBytes.length} B, push-pull(100) ${pushPullBytes.length} B`,
);

// ---- the msgpackr alternative for encoding (spec §4.4's settings): Go struct -> map, bytes as Buffers ----
const packr = new Packr({useRecords: false, variableMapSize: true, encodeUndefinedAsNil: true});
const ipBytes = (a: Address) => Buffer.from(a.host.split(".").map(Number));
function packrEncode(m: Message): Uint8Array {
  let type: number;
  let body: Record<string, unknown>;
  switch (m.type) {
    case "ping":
      type = 0;
      body = {Node: m.node, SeqNo: m.seqNo};
      if (m.source)
        Object.assign(body, {SourceAddr: ipBytes(m.source), SourceNode: m.sourceNode, SourcePort: m.source.port});
      break;
    case "ack":
      type = 2;
      body = {Payload: m.payload.length > 0 ? Buffer.from(m.payload) : null, SeqNo: m.seqNo};
      break;
    case "alive":
      type = 4;
      body = {
        Addr: ipBytes(m.addr),
        Incarnation: m.incarnation,
        Meta: Buffer.from(m.meta),
        Node: m.node,
        Port: m.addr.port,
        Vsn: Buffer.from(m.vsn),
      };
      break;
    default:
      throw new Error("unsupported in this bench");
  }
  const packed = packr.pack(body);
  const out = new Uint8Array(packed.length + 1);
  out[0] = type;
  out.set(packed, 1);
  return out;
}

// ---- the @msgpack/msgpack alternative: generic decode, then map and validate ----
const generic = new Decoder({rawStrings: true});
const text = new TextDecoder();
type Raw = Record<string, unknown>;
const str = (v: unknown) => (v instanceof Uint8Array ? text.decode(v) : "");
const u32 = (v: unknown) => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error("bad uint32");
  return v;
};
function genericDecode(bytes: Uint8Array): Message {
  const body = generic.decode(bytes.subarray(1)) as Raw;
  switch (bytes[0]) {
    case 0: {
      const m: Message = {type: "ping", seqNo: u32(body.SeqNo), node: str(body.Node)};
      const sa = body.SourceAddr;
      return sa instanceof Uint8Array && sa.length > 0
        ? {...m, source: {host: bytesToHost(sa) ?? "", port: u32(body.SourcePort)}, sourceNode: str(body.SourceNode)}
        : m;
    }
    case 2:
      return {
        type: "ack",
        seqNo: u32(body.SeqNo),
        payload: (body.Payload as Uint8Array | null)?.slice() ?? new Uint8Array(),
      };
    case 3:
      return {type: "suspect", incarnation: u32(body.Incarnation), node: str(body.Node), from: str(body.From)};
    case 4: {
      const v = body.Vsn as Uint8Array;
      if (v.length !== 6) throw new Error("bad vsn");
      return {
        type: "alive",
        incarnation: u32(body.Incarnation),
        node: str(body.Node),
        addr: {host: bytesToHost(body.Addr as Uint8Array) ?? "", port: u32(body.Port)},
        meta: (body.Meta as Uint8Array).slice(),
        vsn: [v[0], v[1], v[2], v[3], v[4], v[5]] as unknown as Vsn,
      };
    }
    default:
      throw new Error("unsupported in this bench");
  }
}
function genericDecodeCompound(bytes: Uint8Array): Message[] {
  const {spans} = splitCompound(bytes, 1, bytes.length);
  const out: Message[] = [];
  for (let i = 0; i < spans.length; i += 2) out.push(genericDecode(bytes.subarray(spans[i], spans[i + 1])));
  return out;
}

describe("encode", () => {
  bench("encodedSize(ping)", () => {
    encodedSize(ping);
  });
  bench("encodeMessage(ping)", () => {
    encodeMessage(ping);
  });
  bench("encodeMessage(ack + serf coordinate)", () => {
    encodeMessage(ack);
  });
  bench("msgpackr Packr: ping", () => {
    packrEncode(ping);
  });
  bench("msgpackr Packr: ack", () => {
    packrEncode(ack);
  });
  bench("msgpackr Packr: alive", () => {
    packrEncode(alive);
  });
  bench("encodeMessage(alive)", () => {
    encodeMessage(alive);
  });
  bench("encodePacket(compound ~1400 B)", () => {
    encodePacket(compound);
  });
  bench("encodePacket(compound, compress + crc)", () => {
    encodePacket(compound, {compress: true, crc: true});
  });
  bench("encodePacket(compound, AES-256-GCM)", () => {
    encodePacket(compound, {keyring});
  });
  bench("encodeStream(push-pull, 100 states)", () => {
    encodeStream(pushPull);
  });
});

describe("decode", () => {
  bench("decodeMessage(ping)", () => {
    decodeMessage(pingBytes);
  });
  bench("@msgpack/msgpack rawStrings: ping", () => {
    genericDecode(pingBytes);
  });
  bench("decodeMessage(ack + serf coordinate)", () => {
    decodeMessage(ackBytes);
  });
  bench("@msgpack/msgpack rawStrings: ack", () => {
    genericDecode(ackBytes);
  });
  bench("decodeMessage(alive)", () => {
    decodeMessage(aliveBytes);
  });
  bench("@msgpack/msgpack rawStrings: alive", () => {
    genericDecode(aliveBytes);
  });
  bench("decodePacket(compound ~1400 B)", () => {
    decodePacket(compoundBytes);
  });
  bench("@msgpack/msgpack rawStrings: compound", () => {
    genericDecodeCompound(compoundBytes);
  });
  bench("decodePacket(compound, compressed + crc)", () => {
    decodePacket(compressedBytes);
  });
  bench("decodePacket(compound, AES-256-GCM)", () => {
    decodePacket(encryptedBytes, {keyring});
  });
  bench("decodeStream(push-pull, 100 states)", () => {
    decodeStream(pushPullBytes);
  });
});
