/*
 * Serf's messages above memberlist (docs/memberlist-wire.md §13): the payload of a memberlist
 * user message is one serf type byte and a go-msgpack struct. This file holds every type serf
 * 0.9 sends — leave and join intents, push-pull user state, user events, queries and their
 * responses, the conflict response, key requests and responses, and relays — plus query filters.
 *
 *   user message payload:  [serf type] [msgpack struct]            (types 0–8)
 *   relay:                 [9] [msgpack relayHeader] [serf type] [msgpack struct]
 *   filter:                [0 node | 1 tag] [msgpack []string | {Tag, Expr}]
 *   key request payload:   [7] [msgpack {Key []byte}]
 *   key response payload:  [8] [msgpack {Keys, Message, PrimaryKey, Result}]
 *
 * Encoding goes through go-value.ts (go-msgpack's exact forms, struct keys sorted); decoding
 * matches keys by name and skips unknown ones, as Go does, and throws only DecodeError.
 */
import {DecodeError} from "./errors.ts";
import {encodeGoValue, type GoValue, go} from "./go-value.ts";
import {MsgpackReader} from "./msgpack-reader.ts";

/** Serf's message type bytes (serf/messages.go). */
export const SerfMessageType = {
  leave: 0,
  join: 1,
  pushPull: 2,
  userEvent: 3,
  query: 4,
  queryResponse: 5,
  conflictResponse: 6,
  keyRequest: 7,
  keyResponse: 8,
  relay: 9,
} as const;

/** Query flags. */
export const QUERY_FLAG_ACK = 1;
export const QUERY_FLAG_NO_BROADCAST = 2;

export interface SerfLeave {
  readonly type: "leave";
  readonly lTime: number;
  readonly node: string;
  readonly prune: boolean;
}

export interface SerfJoin {
  readonly type: "join";
  readonly lTime: number;
  readonly node: string;
}

/** The events of one Lamport time in serf's event buffer. */
export interface SerfEventsAt {
  readonly lTime: number;
  readonly events: readonly {readonly name: string; readonly payload: Uint8Array}[];
}

export interface SerfPushPull {
  readonly type: "pushPull";
  readonly lTime: number;
  readonly statusLTimes: ReadonlyMap<string, number>;
  readonly leftMembers: readonly string[];
  readonly eventLTime: number;
  /** Serf sends its whole ring buffer: unused slots are nil and come back as undefined. */
  readonly events: readonly (SerfEventsAt | undefined)[];
  readonly queryLTime: number;
}

export interface SerfUserEvent {
  readonly type: "userEvent";
  readonly lTime: number;
  readonly name: string;
  readonly payload: Uint8Array;
  /** "Can coalesce". */
  readonly cc: boolean;
}

export interface SerfQuery {
  readonly type: "query";
  readonly lTime: number;
  readonly id: number;
  /** Where responses go: the querier's IP bytes (4 or 16) and port. */
  readonly addr: Uint8Array;
  readonly port: number;
  readonly sourceNode: string;
  readonly filters: readonly Uint8Array[];
  readonly flags: number;
  readonly relayFactor: number;
  /** Go time.Duration: nanoseconds. */
  readonly timeoutNs: number;
  readonly name: string;
  readonly payload: Uint8Array;
}

export interface SerfQueryResponse {
  readonly type: "queryResponse";
  readonly lTime: number;
  readonly id: number;
  readonly from: string;
  readonly flags: number;
  readonly payload: Uint8Array;
}

/** A message to forward to `destAddr`: serf's relay of query responses. */
export interface SerfRelay {
  readonly type: "relay";
  readonly destIp: Uint8Array;
  readonly destPort: number;
  readonly destName: string;
  /** The serf message to forward, type byte included. */
  readonly inner: Uint8Array;
}

/** A member as serf's conflict response describes it (serf.Member). */
export interface SerfMemberInfo {
  readonly name: string;
  readonly addr: Uint8Array;
  readonly port: number;
  readonly tags: Readonly<Record<string, string>>;
  /** serf.MemberStatus: 0 none, 1 alive, 2 leaving, 3 left, 4 failed. */
  readonly status: number;
  readonly protocol: readonly [min: number, max: number, cur: number];
  readonly delegate: readonly [min: number, max: number, cur: number];
}

export type SerfMessage =
  | SerfLeave
  | SerfJoin
  | SerfPushPull
  | SerfUserEvent
  | SerfQuery
  | SerfQueryResponse
  | SerfRelay;

/** A query filter: only these nodes, or only members whose tag matches a regular expression. */
export type SerfFilter =
  | {readonly type: "node"; readonly nodes: readonly string[]}
  | {readonly type: "tag"; readonly tag: string; readonly expr: string};

/** The answer of one member to a key query. */
export interface SerfKeyResponse {
  readonly result: boolean;
  readonly message: string;
  readonly keys: readonly string[];
  readonly primaryKey: string;
}

// ---------------------------------------------------------------- encoding

const nilIfEmpty = (bytes: Uint8Array): Uint8Array | null => (bytes.length === 0 ? null : bytes);

function messageValue(message: Exclude<SerfMessage, SerfRelay>): GoValue {
  switch (message.type) {
    case "leave":
      return go.struct({LTime: go.uint(message.lTime), Node: go.str(message.node), Prune: go.bool(message.prune)});
    case "join":
      return go.struct({LTime: go.uint(message.lTime), Node: go.str(message.node)});
    case "pushPull":
      return go.struct({
        LTime: go.uint(message.lTime),
        StatusLTimes: go.map([...message.statusLTimes].map(([name, t]) => [name, go.uint(t)] as const)),
        LeftMembers: go.slice(message.leftMembers.map(go.str)),
        EventLTime: go.uint(message.eventLTime),
        Events: go.slice(
          message.events.map((slot) =>
            slot === undefined
              ? go.nil
              : go.struct({
                  LTime: go.uint(slot.lTime),
                  Events: go.slice(
                    slot.events.map((e) => go.struct({Name: go.str(e.name), Payload: go.bytes(nilIfEmpty(e.payload))})),
                  ),
                }),
          ),
        ),
        QueryLTime: go.uint(message.queryLTime),
      });
    case "userEvent":
      return go.struct({
        LTime: go.uint(message.lTime),
        Name: go.str(message.name),
        Payload: go.bytes(nilIfEmpty(message.payload)),
        CC: go.bool(message.cc),
      });
    case "query":
      return go.struct({
        LTime: go.uint(message.lTime),
        ID: go.uint(message.id),
        Addr: go.bytes(message.addr),
        Port: go.uint(message.port),
        SourceNode: go.str(message.sourceNode),
        Filters: go.slice(message.filters.length === 0 ? null : message.filters.map((f) => go.bytes(f))),
        Flags: go.uint(message.flags),
        RelayFactor: go.uint(message.relayFactor),
        Timeout: go.int(message.timeoutNs),
        Name: go.str(message.name),
        Payload: go.bytes(nilIfEmpty(message.payload)),
      });
    case "queryResponse":
      return go.struct({
        LTime: go.uint(message.lTime),
        ID: go.uint(message.id),
        From: go.str(message.from),
        Flags: go.uint(message.flags),
        Payload: go.bytes(nilIfEmpty(message.payload)),
      });
  }
}

/** The user-message payload (without memberlist's 0x08) of a serf message. */
export function encodeSerfMessage(message: SerfMessage): Uint8Array {
  if (message.type === "relay") {
    const header = go.struct({
      DestAddr: go.struct({IP: go.bytes(message.destIp), Port: go.int(message.destPort), Zone: go.str("")}),
      DestName: go.str(message.destName),
    });
    const head = encodeGoValue([SerfMessageType.relay], header, "serf relay header");
    const out = new Uint8Array(head.length + message.inner.length);
    out.set(head, 0);
    out.set(message.inner, head.length);
    return out;
  }
  return encodeGoValue([SerfMessageType[message.type]], messageValue(message), `serf ${message.type}`);
}

/** One query filter as serf encodes it. */
export function encodeSerfFilter(filter: SerfFilter): Uint8Array {
  return filter.type === "node"
    ? encodeGoValue([0], go.slice(filter.nodes.map(go.str)), "serf node filter")
    : encodeGoValue([1], go.struct({Tag: go.str(filter.tag), Expr: go.str(filter.expr)}), "serf tag filter");
}

/** A key query's payload: `[7][{Key}]`. */
export function encodeSerfKeyRequest(key: Uint8Array): Uint8Array {
  return encodeGoValue([SerfMessageType.keyRequest], go.struct({Key: go.bytes(nilIfEmpty(key))}), "serf key request");
}

/** A key query's response payload: `[8][{Keys, Message, PrimaryKey, Result}]`. */
export function encodeSerfKeyResponse(response: SerfKeyResponse): Uint8Array {
  return encodeGoValue(
    [SerfMessageType.keyResponse],
    go.struct({
      Result: go.bool(response.result),
      Message: go.str(response.message),
      Keys: go.slice(response.keys.length === 0 ? null : response.keys.map(go.str)),
      PrimaryKey: go.str(response.primaryKey),
    }),
    "serf key response",
  );
}

/** A conflict query's response payload: `[6][serf.Member]`, or `[6][nil]` for an unknown member. */
export function encodeSerfConflictResponse(member: SerfMemberInfo | undefined): Uint8Array {
  if (member === undefined) return encodeGoValue([SerfMessageType.conflictResponse], go.nil, "serf conflict response");
  const tags = Object.entries(member.tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return encodeGoValue(
    [SerfMessageType.conflictResponse],
    go.struct({
      Name: go.str(member.name),
      Addr: go.bytes(member.addr),
      Port: go.uint(member.port),
      Tags: go.map(tags.map(([k, v]) => [k, go.str(v)] as const)),
      Status: go.int(member.status),
      ProtocolMin: go.uint(member.protocol[0]),
      ProtocolMax: go.uint(member.protocol[1]),
      ProtocolCur: go.uint(member.protocol[2]),
      DelegateMin: go.uint(member.delegate[0]),
      DelegateMax: go.uint(member.delegate[1]),
      DelegateCur: go.uint(member.delegate[2]),
    }),
    "serf conflict response",
  );
}

// ---------------------------------------------------------------- decoding

const LTIME_MAX = Number.MAX_SAFE_INTEGER;

/** Reads a struct: `fields[key]` reads the value of each known key; unknown keys are skipped. */
function readStruct(r: MsgpackReader, what: string, fields: Record<string, () => void>): void {
  for (let n = r.mapHeader(what); n > 0; n--) {
    const key = r.key();
    const read = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (read) read();
    else r.skip();
  }
}

function readStrings(r: MsgpackReader, what: string): string[] {
  if (r.nil()) return [];
  const out: string[] = [];
  for (let n = r.arrayHeader(what); n > 0; n--) out.push(r.string(`${what}[]`));
  return out;
}

function copy(bytes: Uint8Array): Uint8Array {
  return bytes.slice();
}

function guard<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw new DecodeError("badField", `${what}: ${String(error)}`, {cause: error});
  }
}

function decodeEventsAt(r: MsgpackReader): SerfEventsAt | undefined {
  if (r.nil()) return undefined;
  let lTime = 0;
  const events: {name: string; payload: Uint8Array}[] = [];
  readStruct(r, "userEvents", {
    LTime: () => {
      lTime = r.uint("userEvents.LTime", LTIME_MAX);
    },
    Events: () => {
      if (r.nil()) return;
      for (let n = r.arrayHeader("userEvents.Events"); n > 0; n--) {
        let name = "";
        let payload: Uint8Array = new Uint8Array(0);
        readStruct(r, "userEvent", {
          Name: () => {
            name = r.string("userEvent.Name");
          },
          Payload: () => {
            payload = copy(r.bytes("userEvent.Payload"));
          },
        });
        events.push({name, payload});
      }
    },
  });
  return {lTime, events};
}

function decodeBody(type: number, r: MsgpackReader): SerfMessage {
  switch (type) {
    case SerfMessageType.leave:
    case SerfMessageType.join: {
      let lTime = 0;
      let node = "";
      let prune = false;
      readStruct(r, "serf intent", {
        LTime: () => {
          lTime = r.uint("LTime", LTIME_MAX);
        },
        Node: () => {
          node = r.string("Node");
        },
        Prune: () => {
          prune = r.bool("Prune");
        },
      });
      return type === SerfMessageType.leave ? {type: "leave", lTime, node, prune} : {type: "join", lTime, node};
    }
    case SerfMessageType.pushPull: {
      let lTime = 0;
      let eventLTime = 0;
      let queryLTime = 0;
      const statusLTimes = new Map<string, number>();
      let leftMembers: string[] = [];
      const events: (SerfEventsAt | undefined)[] = [];
      readStruct(r, "messagePushPull", {
        LTime: () => {
          lTime = r.uint("LTime", LTIME_MAX);
        },
        EventLTime: () => {
          eventLTime = r.uint("EventLTime", LTIME_MAX);
        },
        QueryLTime: () => {
          queryLTime = r.uint("QueryLTime", LTIME_MAX);
        },
        StatusLTimes: () => {
          if (r.nil()) return;
          for (let n = r.mapHeader("StatusLTimes"); n > 0; n--) {
            const name = r.string("StatusLTimes key");
            statusLTimes.set(name, r.uint("StatusLTimes value", LTIME_MAX));
          }
        },
        LeftMembers: () => {
          leftMembers = readStrings(r, "LeftMembers");
        },
        Events: () => {
          if (r.nil()) return;
          for (let n = r.arrayHeader("Events"); n > 0; n--) events.push(decodeEventsAt(r));
        },
      });
      return {type: "pushPull", lTime, statusLTimes, leftMembers, eventLTime, events, queryLTime};
    }
    case SerfMessageType.userEvent: {
      let lTime = 0;
      let name = "";
      let payload: Uint8Array = new Uint8Array(0);
      let cc = false;
      readStruct(r, "messageUserEvent", {
        LTime: () => {
          lTime = r.uint("LTime", LTIME_MAX);
        },
        Name: () => {
          name = r.string("Name");
        },
        Payload: () => {
          payload = copy(r.bytes("Payload"));
        },
        CC: () => {
          cc = r.bool("CC");
        },
      });
      return {type: "userEvent", lTime, name, payload, cc};
    }
    case SerfMessageType.query: {
      const q = {
        lTime: 0,
        id: 0,
        addr: new Uint8Array(0) as Uint8Array,
        port: 0,
        sourceNode: "",
        filters: [] as Uint8Array[],
        flags: 0,
        relayFactor: 0,
        timeoutNs: 0,
        name: "",
        payload: new Uint8Array(0) as Uint8Array,
      };
      readStruct(r, "messageQuery", {
        LTime: () => {
          q.lTime = r.uint("LTime", LTIME_MAX);
        },
        ID: () => {
          q.id = r.uint("ID", 0xffff_ffff);
        },
        Addr: () => {
          q.addr = copy(r.bytes("Addr"));
        },
        Port: () => {
          q.port = r.uint("Port", 0xffff);
        },
        SourceNode: () => {
          q.sourceNode = r.string("SourceNode");
        },
        Filters: () => {
          if (r.nil()) return;
          for (let n = r.arrayHeader("Filters"); n > 0; n--) q.filters.push(copy(r.bytes("Filters[]")));
        },
        Flags: () => {
          q.flags = r.uint("Flags", 0xffff_ffff);
        },
        RelayFactor: () => {
          q.relayFactor = r.uint("RelayFactor", 0xff);
        },
        Timeout: () => {
          q.timeoutNs = r.int("Timeout");
        },
        Name: () => {
          q.name = r.string("Name");
        },
        Payload: () => {
          q.payload = copy(r.bytes("Payload"));
        },
      });
      return {type: "query", ...q};
    }
    case SerfMessageType.queryResponse: {
      const q = {lTime: 0, id: 0, from: "", flags: 0, payload: new Uint8Array(0) as Uint8Array};
      readStruct(r, "messageQueryResponse", {
        LTime: () => {
          q.lTime = r.uint("LTime", LTIME_MAX);
        },
        ID: () => {
          q.id = r.uint("ID", 0xffff_ffff);
        },
        From: () => {
          q.from = r.string("From");
        },
        Flags: () => {
          q.flags = r.uint("Flags", 0xffff_ffff);
        },
        Payload: () => {
          q.payload = copy(r.bytes("Payload"));
        },
      });
      return {type: "queryResponse", ...q};
    }
    case SerfMessageType.relay: {
      let destIp: Uint8Array = new Uint8Array(0);
      let destPort = 0;
      let destName = "";
      readStruct(r, "relayHeader", {
        DestAddr: () => {
          readStruct(r, "DestAddr", {
            IP: () => {
              destIp = copy(r.bytes("DestAddr.IP"));
            },
            Port: () => {
              destPort = r.uint("DestAddr.Port", 0xffff);
            },
          });
        },
        DestName: () => {
          destName = r.string("DestName");
        },
      });
      if (r.remaining() === 0) throw new DecodeError("truncated", "relay: no message after the header");
      return {type: "relay", destIp, destPort, destName, inner: copy(r.take(r.remaining()))};
    }
    default:
      throw new DecodeError("unknownType", `serf message type ${type}`);
  }
}

/** Decodes a serf message from a user-message payload. Throws DecodeError. */
export function decodeSerfMessage(payload: Uint8Array): SerfMessage {
  if (payload.length === 0) throw new DecodeError("truncated", "empty serf message");
  const type = payload[0] as number;
  return guard("serf message", () => decodeBody(type, new MsgpackReader(payload, 1, payload.length)));
}

/** Decodes one query filter. Throws DecodeError. */
export function decodeSerfFilter(bytes: Uint8Array): SerfFilter {
  if (bytes.length === 0) throw new DecodeError("truncated", "empty serf filter");
  return guard("serf filter", () => {
    const r = new MsgpackReader(bytes, 1, bytes.length);
    if (bytes[0] === 0) return {type: "node", nodes: readStrings(r, "filterNode")};
    if (bytes[0] === 1) {
      let tag = "";
      let expr = "";
      readStruct(r, "filterTag", {
        Tag: () => {
          tag = r.string("Tag");
        },
        Expr: () => {
          expr = r.string("Expr");
        },
      });
      return {type: "tag", tag, expr};
    }
    throw new DecodeError("unknownType", `serf filter type ${bytes[0]}`);
  });
}

/** Decodes a key query's payload `[7][{Key}]` into the raw key. Throws DecodeError. */
export function decodeSerfKeyRequest(payload: Uint8Array): Uint8Array {
  if (payload.length === 0 || payload[0] !== SerfMessageType.keyRequest)
    throw new DecodeError("unknownType", "not a serf key request");
  return guard("serf key request", () => {
    const r = new MsgpackReader(payload, 1, payload.length);
    let key: Uint8Array = new Uint8Array(0);
    readStruct(r, "keyRequest", {
      Key: () => {
        key = copy(r.bytes("Key"));
      },
    });
    return key;
  });
}

/** Decodes a key query's response payload. Throws DecodeError. */
export function decodeSerfKeyResponse(payload: Uint8Array): SerfKeyResponse {
  if (payload.length === 0 || payload[0] !== SerfMessageType.keyResponse)
    throw new DecodeError("unknownType", "not a serf key response");
  return guard("serf key response", () => {
    const r = new MsgpackReader(payload, 1, payload.length);
    const out = {result: false, message: "", keys: [] as string[], primaryKey: ""};
    readStruct(r, "nodeKeyResponse", {
      Result: () => {
        out.result = r.bool("Result");
      },
      Message: () => {
        out.message = r.string("Message");
      },
      Keys: () => {
        out.keys = readStrings(r, "Keys");
      },
      PrimaryKey: () => {
        out.primaryKey = r.string("PrimaryKey");
      },
    });
    return out;
  });
}

/**
 * Decodes a conflict query's response `[6][serf.Member]`: the member the responder knows by the
 * name asked about, or undefined for `[6][nil]` (it knows none). Throws DecodeError.
 */
export function decodeSerfConflictResponse(payload: Uint8Array): SerfMemberInfo | undefined {
  if (payload.length === 0 || payload[0] !== SerfMessageType.conflictResponse)
    throw new DecodeError("unknownType", "not a serf conflict response");
  return guard("serf conflict response", () => {
    const r = new MsgpackReader(payload, 1, payload.length);
    if (r.nil()) return undefined;
    let name = "";
    let addr: Uint8Array = new Uint8Array(0);
    let port = 0;
    let status = 0;
    const tags: Record<string, string> = {};
    const protocol: [number, number, number] = [0, 0, 0];
    const delegate: [number, number, number] = [0, 0, 0];
    const version = (into: [number, number, number], at: 0 | 1 | 2, field: string) => () => {
      into[at] = r.uint(field, 255);
    };
    readStruct(r, "member", {
      Name: () => {
        name = r.string("Name");
      },
      Addr: () => {
        addr = r.nil() ? new Uint8Array(0) : copy(r.bytes("Addr"));
      },
      Port: () => {
        port = r.uint("Port", 65_535);
      },
      Tags: () => {
        if (r.nil()) return;
        for (let n = r.mapHeader("Tags"); n > 0; n--) {
          const key = r.string("Tags key");
          tags[key] = r.string(`Tags.${key}`);
        }
      },
      Status: () => {
        status = r.int("Status");
      },
      ProtocolMin: version(protocol, 0, "ProtocolMin"),
      ProtocolMax: version(protocol, 1, "ProtocolMax"),
      ProtocolCur: version(protocol, 2, "ProtocolCur"),
      DelegateMin: version(delegate, 0, "DelegateMin"),
      DelegateMax: version(delegate, 1, "DelegateMax"),
      DelegateCur: version(delegate, 2, "DelegateCur"),
    });
    return {name, addr, port, tags, status, protocol, delegate};
  });
}
