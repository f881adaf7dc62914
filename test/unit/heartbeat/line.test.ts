import {describe, expect, it} from "vitest";
import {decodeHeartbeatName, isValidDeviceName, LineSplitter} from "../../../src/heartbeat/line.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("decodeHeartbeatName", () => {
  const rows = [
    {title: "accepts a plain name", input: bytes("cam-3"), expected: {name: "cam-3"}},
    {title: "strips a trailing carriage return", input: bytes("cam-3\r"), expected: {name: "cam-3"}},
    {title: "trims surrounding spaces", input: bytes("  cam-3 "), expected: {name: "cam-3"}},
    {title: "accepts UTF-8 names", input: bytes("capteur-é-漢"), expected: {name: "capteur-é-漢"}},
    {title: "drops an empty line", input: bytes(""), expected: {drop: "empty"}},
    {title: "drops a line of spaces", input: bytes("   \r"), expected: {drop: "empty"}},
    {title: "drops bytes that are not UTF-8", input: Uint8Array.of(0x63, 0xff, 0xfe), expected: {drop: "notUtf8"}},
    {title: "drops a name with a control character", input: bytes("ca\u0007m"), expected: {drop: "badName"}},
    {title: "drops a name over 128 bytes", input: bytes("x".repeat(129)), expected: {drop: "tooLong"}},
  ];
  for (const row of rows) {
    it(row.title, () => {
      expect(decodeHeartbeatName(row.input)).toEqual(row.expected);
    });
  }

  it("rejects lone surrogates that JSON could smuggle in", () => {
    expect(isValidDeviceName("a\ud800b")).toBe(false);
    expect(isValidDeviceName("a😀b")).toBe(true);
  });
});

describe("LineSplitter", () => {
  const text = (lines: (Uint8Array | "tooLong")[]) =>
    lines.map((l) => (l === "tooLong" ? l : new TextDecoder().decode(l)));

  it("splits lines across chunk boundaries", () => {
    const splitter = new LineSplitter(32);
    expect(text(splitter.push(bytes("a\nb")))).toEqual(["a"]);
    expect(text(splitter.push(bytes("c\n\nd")))).toEqual(["bc", ""]);
    expect(text(splitter.end())).toEqual(["d"]);
  });

  it("skips a too-long line to its newline, reports it once, and never holds more than the limit", () => {
    const splitter = new LineSplitter(16);
    const out: (Uint8Array | "tooLong")[] = [];
    for (let i = 0; i < 1000; i++) {
      out.push(...splitter.push(bytes("x".repeat(100))));
      expect(splitter.pendingBytes).toBeLessThanOrEqual(16);
    }
    out.push(...splitter.push(bytes("\nok\n")));
    expect(text(out)).toEqual(["tooLong", "ok"]);
  });

  it("drops an unfinished too-long line at the end of the stream", () => {
    const splitter = new LineSplitter(4);
    expect(text(splitter.push(bytes("abcdefgh")))).toEqual(["tooLong"]);
    expect(splitter.end()).toEqual([]);
  });
});
