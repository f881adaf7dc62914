import {describe, expect, it} from "vitest";
import {
  type FlagSpec,
  flagForField,
  flagValue,
  formatFlagHelp,
  parseFlags,
  parseTimeFlag,
  toKebab,
  usageErrorFor,
} from "../../../src/cli/flags.ts";
import {UsageError} from "../../../src/cli/usage-error.ts";
import {InvalidConfigError} from "../../../src/core/index.ts";

const SPECS: FlagSpec[] = [
  {name: "name", type: "string", path: "name", help: "a name"},
  {name: "count", type: "int", path: "count", help: "a count", default: 2},
  {name: "rate", type: "number", min: 0, max: 1, path: "rate", help: "a rate"},
  {name: "json", type: "bool", help: "JSON"},
  {name: "join", type: "list", path: "join", help: "seeds"},
  {name: "wait", type: "time", path: "waitMs", help: "how long"},
  {name: "mode", type: "string", choices: ["a", "b"], help: "a mode"},
  {name: "probe-interval-ms", type: "int", path: "config.probeIntervalMs", help: ""},
  {name: "probe-timeout-ms", type: "int", path: "config.probeTimeoutMs", help: ""},
  {name: "latency", type: "string", path: "latency", help: ""},
];

describe("parseFlags", () => {
  it("reads --flag value, --flag=value, booleans and repeatable lists", () => {
    const parsed = parseFlags(["--name", "a", "--count=3", "--json", "--join", "x:1", "--join=y:2"], SPECS);
    expect(Object.fromEntries(parsed.values)).toEqual({name: "a", count: 3, json: true, join: ["x:1", "y:2"]});
  });

  it("reads the single-dash -flag form the same way", () => {
    const parsed = parseFlags(["-name", "a", "-count=3", "-json", "-join", "x:1"], SPECS);
    expect(Object.fromEntries(parsed.values)).toEqual({name: "a", count: 3, json: true, join: ["x:1"]});
  });

  it("accepts negative integers and dash-led values after a value-taking flag", () => {
    expect(parseFlags(["--count", "-4"], SPECS).values.get("count")).toBe(-4);
    expect(parseFlags(["--name", "-json"], SPECS).values.get("name")).toBe("-json");
  });

  it("reads numbers, times and choices", () => {
    const parsed = parseFlags(["--rate", "0.25", "--wait", "30s", "--mode", "b"], SPECS);
    expect(Object.fromEntries(parsed.values)).toEqual({rate: 0.25, wait: 30_000, mode: "b"});
    expect(parseTimeFlag("--wait", "1500")).toBe(1500);
    expect(parseTimeFlag("--wait", "2m")).toBe(120_000);
  });

  it("takes --flag true|false for a boolean only in commands without positionals", () => {
    expect(parseFlags(["--json", "false"], SPECS).values.get("json")).toBe(false);
    expect(parseFlags(["--json=false"], SPECS).values.get("json")).toBe(false);
    const withPositionals = parseFlags(["--json", "false"], SPECS, {positionals: true});
    expect(withPositionals.values.get("json")).toBe(true);
    expect(withPositionals.positionals).toEqual(["false"]);
  });

  it.each([
    {args: ["--nope"], flag: "--nope", what: "an unknown flag"},
    {args: ["-nope"], flag: "--nope", what: "an unknown single-dash flag"},
    {args: ["--count", "1.5"], flag: "--count", what: "a non-integer"},
    {args: ["--count", "abc"], flag: "--count", what: "a non-number"},
    {args: ["--rate", "2"], flag: "--rate", what: "a number out of range"},
    {args: ["--wait", "soon"], flag: "--wait", what: "a bad time"},
    {args: ["--mode", "c"], flag: "--mode", what: "a value not among the choices"},
    {args: ["--count"], flag: "--count", what: "a missing value"},
    {args: ["--name", "--json"], flag: "--name", what: "a flag where a value should be"},
    {args: ["--json=yes"], flag: "--json", what: "a bad boolean"},
  ])("throws UsageError naming the flag for $what", ({args, flag}) => {
    expect(() => parseFlags(args, SPECS)).toThrow(UsageError);
    expect(() => parseFlags(args, SPECS)).toThrow(expect.objectContaining({flag, code: "ERR_USAGE"}));
    expect(() => parseFlags(args, SPECS)).toThrow(flag);
  });

  it("rejects a positional unless allowed", () => {
    expect(() => parseFlags(["stray"], SPECS)).toThrow(new UsageError('unexpected argument "stray"'));
  });

  it("collects positionals when allowed, after -- too, and notices --help and -h", () => {
    const parsed = parseFlags(["a:1", "--help", "b:2", "--", "--json"], SPECS, {positionals: true});
    expect(parsed.positionals).toEqual(["a:1", "b:2", "--json"]);
    expect(parsed.help).toBe(true);
    expect(parseFlags(["-h"], SPECS).help).toBe(true);
  });

  it("keeps the given flags in order with their raw text, and falls back to defaults", () => {
    const parsed = parseFlags(["-wait", "30s", "--json", "--name=x"], SPECS);
    expect(parsed.given).toEqual([
      {name: "--wait", raw: "30s"},
      {name: "--json", raw: undefined},
      {name: "--name", raw: "x"},
    ]);
    expect(flagValue(parsed, SPECS, "count")).toBe(2);
    expect(parsed.values.has("count")).toBe(false);
  });
});

describe("flag table help and error mapping", () => {
  it("renders one line per flag with its placeholder and default", () => {
    const help = formatFlagHelp(SPECS);
    expect(help).toContain("--count N");
    expect(help).toContain("a count (default 2)");
    expect(help).toContain("--wait TIME");
    expect(help.split("\n").some((line) => /^ {2}--json +JSON$/.test(line))).toBe(true);
  });

  it("finds the flag for a field, or for a field under its path", () => {
    expect(flagForField(SPECS, "config.probeIntervalMs")).toBe("--probe-interval-ms");
    expect(flagForField(SPECS, "latency.minMs")).toBe("--latency");
    expect(flagForField(SPECS, "unknown")).toBeUndefined();
  });

  it("turns an InvalidConfigError into a UsageError on its flag, sibling fields in the rule as flags", () => {
    const error = new InvalidConfigError("config.probeTimeoutMs", "must be less than probeIntervalMs");
    const usage = usageErrorFor(SPECS, error);
    expect(usage).toBeInstanceOf(UsageError);
    expect(usage?.message).toBe("invalid --probe-timeout-ms; must be less than --probe-interval-ms");
    expect(usage?.flag).toBe("--probe-timeout-ms");
    expect(usage?.cause).toBe(error);
    expect(usageErrorFor(SPECS, new InvalidConfigError("other", "x"))).toBeUndefined();
  });

  it("maps config field names to kebab-case flag names", () => {
    expect(toKebab("probeIntervalMs")).toBe("probe-interval-ms");
    expect(toKebab("disableTcpPings")).toBe("disable-tcp-pings");
  });
});

describe("UsageError", () => {
  it("has a stable code and, for one flag, the shape of a config error's message", () => {
    const error = UsageError.invalid("--nodes", "must be an integer");
    expect(error).toMatchObject({name: "UsageError", code: "ERR_USAGE", flag: "--nodes"});
    expect(error.message).toBe("invalid --nodes; must be an integer");
    expect(new UsageError("needs a KEY").flag).toBeUndefined();
  });
});
