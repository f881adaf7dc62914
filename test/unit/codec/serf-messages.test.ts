/*
 * Serf's messages: hand-derived bytes for small cases (go-msgpack forms, keys in byte order of the
 * field name) and round trips of every type. The live byte-exact check against serf is in
 * test/interop/serf-events-queries.test.ts.
 */
import {describe, expect, it} from "vitest";
import {
  DecodeError,
  decodeSerfConflictResponse,
  decodeSerfFilter,
  decodeSerfKeyRequest,
  decodeSerfKeyResponse,
  decodeSerfMessage,
  encodeSerfConflictResponse,
  encodeSerfFilter,
  encodeSerfKeyRequest,
  encodeSerfKeyResponse,
  encodeSerfMessage,
  type SerfMessage,
} from "../../../src/codec/index.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("serf messages", () => {
  it("writes a user event as serf does: type 3, keys CC, LTime, Name, Payload", () => {
    const bytes = encodeSerfMessage({
      type: "userEvent",
      lTime: 7,
      name: "go",
      payload: Uint8Array.of(0x76, 0x31),
      cc: false,
    });
    expect(hex(bytes)).toBe(
      `03 84 a2 4343 c2 a5 4c54696d65 07 a4 4e616d65 a2 676f a7 5061796c6f6164 a2 7631`.replace(/ /g, ""),
    );
  });

  it("writes a nil payload for an empty one, and a join intent with two keys", () => {
    const event = encodeSerfMessage({type: "userEvent", lTime: 0, name: "x", payload: new Uint8Array(0), cc: true});
    expect(hex(event).endsWith("a75061796c6f6164c0")).toBe(true);
    expect(hex(encodeSerfMessage({type: "join", lTime: 300, node: "n"}))).toBe("0182a54c54696d65cd012ca44e6f6465a16e");
  });

  const samples: SerfMessage[] = [
    {type: "leave", lTime: 5, node: "a", prune: true},
    {type: "join", lTime: 2 ** 40, node: "b"},
    {type: "userEvent", lTime: 1, name: "deploy", payload: Uint8Array.of(1, 2, 3), cc: true},
    {
      type: "query",
      lTime: 9,
      id: 0x7fff_0001,
      addr: Uint8Array.of(127, 0, 0, 1),
      port: 7946,
      sourceNode: "q",
      filters: [
        encodeSerfFilter({type: "node", nodes: ["x", "y"]}),
        encodeSerfFilter({type: "tag", tag: "role", expr: "^web"}),
      ],
      flags: 1,
      relayFactor: 2,
      timeoutNs: 3_200_000_000,
      name: "uptime",
      payload: new Uint8Array(0),
    },
    {type: "queryResponse", lTime: 9, id: 3, from: "r", flags: 0, payload: Uint8Array.of(9)},
    {type: "relay", destIp: Uint8Array.of(10, 0, 0, 1), destPort: 7946, destName: "q", inner: Uint8Array.of(5, 0x80)},
    {
      type: "pushPull",
      lTime: 4,
      statusLTimes: new Map([
        ["a", 1],
        ["b", 3],
      ]),
      leftMembers: ["c"],
      eventLTime: 8,
      events: [undefined, {lTime: 1, events: [{name: "e", payload: Uint8Array.of(1)}]}],
      queryLTime: 2,
    },
  ];

  for (const message of samples) {
    it(`round-trips a ${message.type}`, () => {
      const bytes = encodeSerfMessage(message);
      const decoded = decodeSerfMessage(bytes);
      expect(decoded).toEqual(message);
      expect(hex(encodeSerfMessage(decoded))).toBe(hex(bytes));
    });
  }

  it("round-trips filters and key requests and responses", () => {
    expect(decodeSerfFilter(encodeSerfFilter({type: "node", nodes: ["a"]}))).toEqual({type: "node", nodes: ["a"]});
    expect(decodeSerfFilter(encodeSerfFilter({type: "tag", tag: "t", expr: "e"}))).toEqual({
      type: "tag",
      tag: "t",
      expr: "e",
    });
    expect(decodeSerfKeyRequest(encodeSerfKeyRequest(Uint8Array.of(1, 2)))).toEqual(Uint8Array.of(1, 2));
    const response = {result: true, message: "m", keys: ["k"], primaryKey: "k"};
    expect(decodeSerfKeyResponse(encodeSerfKeyResponse(response))).toEqual(response);
  });

  it("round-trips a conflict response, and nil for an unknown member", () => {
    const member = {
      name: "n1",
      addr: Uint8Array.of(127, 0, 0, 1),
      port: 7946,
      tags: {role: "web", dc: "a"},
      status: 1,
      protocol: [1, 5, 2] as const,
      delegate: [2, 5, 4] as const,
    };
    expect(decodeSerfConflictResponse(encodeSerfConflictResponse(member))).toEqual({
      ...member,
      protocol: [1, 5, 2],
      delegate: [2, 5, 4],
    });
    expect(hex(encodeSerfConflictResponse(undefined))).toBe("06c0");
    expect(decodeSerfConflictResponse(Uint8Array.of(6, 0xc0))).toBeUndefined();
    for (const bad of [new Uint8Array(0), Uint8Array.of(8, 0xc0), Uint8Array.of(6, 0x81), Uint8Array.of(6, 0x81, 0xa4)])
      expect(() => decodeSerfConflictResponse(bad)).toThrow(DecodeError);
  });

  it("throws only DecodeError on garbage", () => {
    for (const bad of [
      new Uint8Array(0),
      Uint8Array.of(3),
      Uint8Array.of(3, 0x81),
      Uint8Array.of(42, 0x80),
      Uint8Array.of(4, 0xc1),
    ]) {
      expect(() => decodeSerfMessage(bad)).toThrow(DecodeError);
    }
  });
});
