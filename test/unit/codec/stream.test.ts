import {createCipheriv} from "node:crypto";
import {describe, expect, it} from "vitest";
import {
  DecodeError,
  type DecodeErrorCode,
  decodeStream,
  encodeStream,
  Keyring,
  MAX_PUSH_STATE_BYTES,
} from "../../../src/codec/index.ts";
import type {PushPullMessage, StreamMessage} from "../../../src/core/index.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));

function codeOf(f: () => unknown): DecodeErrorCode | "none" {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return (e as DecodeError).code;
  }
  return "none";
}

const pushPull: PushPullMessage = {
  type: "pushPull",
  join: false,
  states: [
    {
      name: "a",
      addr: {host: "10.0.0.1", port: 7946},
      incarnation: 5,
      meta: hex("ff80"),
      state: "alive",
      vsn: [1, 5, 2, 2, 5, 5],
    },
    {
      name: "b",
      addr: {host: "2001:db8::2", port: 7947},
      incarnation: 9,
      meta: new Uint8Array(0),
      state: "left",
      vsn: [1, 5, 2, 2, 5, 5],
    },
  ],
  userState: hex("02 80"),
};

const examples: StreamMessage[] = [
  pushPull,
  {type: "ping", seqNo: 3, node: "b"},
  {type: "ack", seqNo: 3, payload: new Uint8Array(0)},
  {type: "user", payload: hex("0301")},
  {type: "err", error: "Encryption is configured but remote state is not encrypted"},
];

describe("decodeStream is incremental", () => {
  it("returns undefined for every strict prefix and the message with its size once complete", () => {
    const kr = Keyring.fromBase64([Buffer.alloc(16, 9).toString("base64")]);
    for (const opts of [{}, {compress: true}, {keyring: kr}, {keyring: kr, compress: true}]) {
      for (const m of examples) {
        const bytes = encodeStream(m, opts);
        for (let k = 0; k < bytes.length; k++) expect(decodeStream(bytes.subarray(0, k), opts)).toBeUndefined();
        expect(decodeStream(bytes, opts)).toEqual({message: m, consumed: bytes.length});
      }
    }
  });

  it("reports the bytes consumed when more data follows the message", () => {
    const bytes = encodeStream({type: "ping", seqNo: 1, node: "x"});
    const more = Uint8Array.from([...bytes, 0xde, 0xad]);
    expect(decodeStream(more)?.consumed).toBe(bytes.length);
  });

  it("frames a user message as 0x08 + {UserMsgLen} + raw bytes", () => {
    expect(Buffer.from(encodeStream({type: "user", payload: hex("0301")})).toString("hex")).toBe(
      `0881aa${Buffer.from("UserMsgLen").toString("hex")}020301`,
    );
  });

  it("frames an error as 0x0D + {Error}", () => {
    expect(Buffer.from(encodeStream({type: "err", error: "x"})).toString("hex")).toBe(
      `0d81a5${Buffer.from("Error").toString("hex")}a178`,
    );
  });
});

describe("decodeStream enforces memberlist's limits", () => {
  const header = (fields: string) => hex(`06 83 a4 4a6f696e c2 ${fields}`);
  const nodes = "a5 4e6f646573";
  const usl = "ac 5573657253746174654c656e";

  it("rejects a negative Nodes count (Go would panic) and absurd counts", () => {
    expect(codeOf(() => decodeStream(header(`${nodes} ff ${usl} 00`)))).toBe("badField");
    expect(codeOf(() => decodeStream(header(`${nodes} ce 7fffffff ${usl} 00`)))).toBe("tooLarge");
  });

  it("rejects user state longer than 20 MiB and encrypted frames over 20 MiB", () => {
    expect(codeOf(() => decodeStream(header(`${nodes} 00 ${usl} ce 02000000`)))).toBe("tooLarge");
    const kr = Keyring.fromBase64([Buffer.alloc(32, 1).toString("base64")]);
    const big = Uint8Array.from([0x0a, 0x01, 0x40, 0x00, 0x01]);
    expect(MAX_PUSH_STATE_BYTES).toBe(20 * 1024 * 1024);
    expect(codeOf(() => decodeStream(big, {keyring: kr}))).toBe("tooLarge");
  });

  it("rejects at once a compressed stream declaring a buffer longer than the stream limit", () => {
    // 09 {Algo: 0, Buf: str32 of 0x7fffffff bytes} — failing now beats buffering 40 MiB first.
    const head = hex(`09 82 a4 416c676f 00 a3 427566 db 7fffffff`);
    expect(codeOf(() => decodeStream(head))).toBe("tooLarge");
  });

  it("rejects unknown stream types and datagram-only types", () => {
    expect(codeOf(() => decodeStream(hex("0e 80")))).toBe("unknownType");
    expect(codeOf(() => decodeStream(hex("04 80")))).toBe("unknownType");
    expect(codeOf(() => decodeStream(hex("07 00")))).toBe("unknownType");
  });

  it("rejects an empty encrypted plaintext (Go would panic reading plain[0])", () => {
    const kr = Keyring.fromBase64([Buffer.alloc(32, 1).toString("base64")]);
    const ok = encodeStream({type: "ping", seqNo: 1, node: "x"}, {keyring: kr});
    expect(decodeStream(ok, {keyring: kr})?.message.type).toBe("ping");
    // A correctly authenticated frame whose plaintext is empty.
    const key = kr.primary;
    const nonce = Buffer.alloc(12, 7);
    const head = Buffer.from([0x0a, 0, 0, 0, 29]);
    const cipher = createCipheriv("aes-256-gcm", key, nonce);
    cipher.setAAD(head);
    cipher.final();
    const frame = Buffer.concat([head, Buffer.from([1]), nonce, cipher.getAuthTag()]);
    expect(codeOf(() => decodeStream(frame, {keyring: kr}))).toBe("truncated");
  });

  it("needs every pushed node state before completing", () => {
    const full = encodeStream(pushPull);
    expect(decodeStream(full.subarray(0, full.length - 3))).toBeUndefined();
  });
});
