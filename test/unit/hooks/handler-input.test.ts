import {describe, expect, it} from "vitest";
import {
  formatHandlerInput,
  formatPayloadInput,
  handlerEnvironment,
  withoutEventVariables,
} from "../../../src/hooks/handler-input.ts";

const self = {name: "web-1", tags: {role: "web", "dc-name": "east"}};
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("handlerEnvironment", () => {
  it("gives a user event Lifeline's and serf's variables: event, name, LTime, self and tags", () => {
    expect(handlerEnvironment({event: "user", name: "deploy", lTime: 42}, self)).toEqual({
      LIFELINE_EVENT: "user",
      LIFELINE_SELF_NAME: "web-1",
      LIFELINE_SELF_TAGS: "dc-name=east,role=web",
      LIFELINE_TAG_ROLE: "web",
      LIFELINE_TAG_DC_NAME: "east",
      LIFELINE_USER_EVENT: "deploy",
      LIFELINE_USER_LTIME: "42",
      SERF_EVENT: "user",
      SERF_SELF_NAME: "web-1",
      SERF_SELF_ROLE: "web",
      SERF_TAG_ROLE: "web",
      SERF_TAG_DC_NAME: "east",
      SERF_USER_EVENT: "deploy",
      SERF_USER_LTIME: "42",
    });
  });

  it("gives a query its name, LTime and the querying member, and serf's names", () => {
    const env = handlerEnvironment({event: "query", name: "uptime", lTime: 7, from: "s1"}, {name: "l1", tags: {}});
    expect(env).toMatchObject({
      LIFELINE_EVENT: "query",
      LIFELINE_QUERY_NAME: "uptime",
      LIFELINE_QUERY_LTIME: "7",
      LIFELINE_QUERY_FROM: "s1",
      SERF_EVENT: "query",
      SERF_QUERY_NAME: "uptime",
      SERF_QUERY_LTIME: "7",
      SERF_SELF_ROLE: "",
    });
    expect(env.LIFELINE_USER_EVENT).toBeUndefined();
  });

  it("gives member events Lifeline's variables only (their stdin is not serf's)", () => {
    const env = handlerEnvironment({event: "member-failed"}, self);
    expect(Object.keys(env).filter((k) => k.startsWith("SERF_"))).toEqual([]);
    expect(env.LIFELINE_EVENT).toBe("member-failed");
  });

  it("cannot be tricked by control characters in an event name", () => {
    const env = handlerEnvironment({event: "user", name: "a\nb\u0000c", lTime: 1}, self);
    expect(env.LIFELINE_USER_EVENT).toBe("a b c");
  });
});

describe("withoutEventVariables", () => {
  it("drops inherited per-event variables and keeps the rest, SERF_RPC_ADDR included", () => {
    expect(
      withoutEventVariables({
        PATH: "/bin",
        LIFELINE_EVENT: "x",
        LIFELINE_ANYTHING: "x",
        SERF_EVENT: "user",
        SERF_USER_EVENT: "x",
        SERF_QUERY_NAME: "x",
        SERF_TAG_ROLE: "x",
        SERF_SELF_NAME: "x",
        SERF_RPC_ADDR: "127.0.0.1:7373",
      }),
    ).toEqual({PATH: "/bin", SERF_RPC_ADDR: "127.0.0.1:7373"});
  });
});

describe("formatPayloadInput", () => {
  const rows = [
    {title: "adds the newline a shell's read needs", payload: "v1", stdin: "v1\n"},
    {title: "keeps a payload that ends in a newline", payload: "v1\n", stdin: "v1\n"},
    {title: "leaves an empty payload empty", payload: "", stdin: ""},
    {title: "passes inner newlines and tabs unchanged", payload: "a\tb\nc", stdin: "a\tb\nc\n"},
  ];
  for (const row of rows) {
    it(row.title, () => {
      expect(text(formatPayloadInput(new TextEncoder().encode(row.payload)))).toBe(row.stdin);
    });
  }
});

describe("formatHandlerInput", () => {
  it("writes name, addr, state and sorted tags separated by tabs, one line per member", () => {
    const out = formatHandlerInput([
      {name: "web-2", addr: "10.0.0.2:7946", state: "failed", tags: {role: "web", dc: "a"}},
      {name: "db-1", addr: "[::1]:7946", state: "alive", tags: {}},
    ]);
    expect(out).toBe("web-2\t10.0.0.2:7946\tfailed\tdc=a,role=web\ndb-1\t[::1]:7946\talive\t\n");
  });

  it("cannot be tricked into extra lines by control characters in names or tags", () => {
    const out = formatHandlerInput([{name: "evil\nfake\t1.2.3.4", addr: "a", state: "alive", tags: {k: "v\nx"}}]);
    expect(out.split("\n")).toHaveLength(2);
    expect(out.split("\t")).toHaveLength(4);
  });
});
