import {describe, expect, it} from "vitest";
import {type FlagSpec, parseFlags, toKebab, UsageError} from "../../../src/cli/flags.ts";

const SPECS: FlagSpec[] = [
  {name: "name", kind: "string", help: ""},
  {name: "count", kind: "int", help: ""},
  {name: "json", kind: "bool", help: ""},
  {name: "join", kind: "list", help: ""},
];

describe("parseFlags", () => {
  it("reads --flag value, --flag=value, booleans and repeatable lists", () => {
    const parsed = parseFlags(["--name", "a", "--count=3", "--json", "--join", "x:1", "--join=y:2"], SPECS);
    expect(Object.fromEntries(parsed.values)).toEqual({name: "a", count: 3, json: true, join: ["x:1", "y:2"]});
  });

  it("accepts negative integers as values", () => {
    expect(parseFlags(["--count", "-4"], SPECS).values.get("count")).toBe(-4);
  });

  it.each([
    {args: ["--nope"], flag: "--nope", what: "an unknown flag"},
    {args: ["--count", "1.5"], flag: "--count", what: "a non-integer"},
    {args: ["--count"], flag: "--count", what: "a missing value"},
    {args: ["--json=yes"], flag: "--json", what: "a bad boolean"},
    {args: ["stray"], flag: "stray", what: "an unexpected positional"},
  ])("throws UsageError naming the flag for $what", ({args, flag}) => {
    expect(() => parseFlags(args, SPECS)).toThrow(UsageError);
    expect(() => parseFlags(args, SPECS)).toThrow(flag);
  });

  it("collects positionals when allowed and notices --help", () => {
    const parsed = parseFlags(["a:1", "--help", "b:2"], SPECS, true);
    expect(parsed.positionals).toEqual(["a:1", "b:2"]);
    expect(parsed.help).toBe(true);
  });

  it("maps config field names to kebab-case flag names", () => {
    expect(toKebab("probeIntervalMs")).toBe("probe-interval-ms");
    expect(toKebab("disableTcpPings")).toBe("disable-tcp-pings");
  });
});
