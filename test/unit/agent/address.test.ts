import {describe, expect, it} from "vitest";
import {formatHostPort, parseHostPort, resolveHost} from "../../../src/agent/index.ts";

describe("parseHostPort", () => {
  it.each([
    {text: "127.0.0.1:7946", host: "127.0.0.1", port: 7946},
    {text: "[::1]:8000", host: "::1", port: 8000},
    {text: "::1", host: "::1", port: 7946},
    {text: "[fe80::1]", host: "fe80::1", port: 7946},
    {text: "seed.example:0", host: "seed.example", port: 0},
    {text: "seed.example", host: "seed.example", port: 7946},
  ])("parses $text", ({text, host, port}) => {
    expect(parseHostPort(text, "join", 7946)).toEqual({host, port});
  });

  it.each(["", ":80", "host:", "host:65536", "host:8x", "[::1", "[::1]x", "a b:1"])(
    "rejects %j with InvalidConfigError naming the field",
    (text) => {
      expect(() => parseHostPort(text, "bind", 7946)).toThrow(
        expect.objectContaining({name: "InvalidConfigError", field: "bind"}),
      );
    },
  );

  it.each([false, 7946, null, undefined, {host: "x"}])("rejects the non-string %j naming the field", (value) => {
    expect(() => parseHostPort(value as unknown as string, "http", 7947)).toThrow(
      expect.objectContaining({name: "InvalidConfigError", field: "http"}),
    );
  });

  it("requires the port when there is no default", () => {
    expect(() => parseHostPort("10.0.0.1", "http")).toThrow(/port is required/);
  });

  it("formats IPv6 with brackets", () => {
    expect(formatHostPort({host: "::1", port: 1})).toBe("[::1]:1");
    expect(formatHostPort({host: "10.0.0.1", port: 2})).toBe("10.0.0.1:2");
  });

  it("resolves an IP literal to itself without DNS", async () => {
    expect(await resolveHost({host: "10.1.2.3", port: 5})).toEqual([{host: "10.1.2.3", port: 5}]);
  });
});
