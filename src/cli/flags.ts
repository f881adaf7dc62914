/*
 * The flag table machinery. Each command declares its flags once — name, type, the config path
 * the flag sets, default, help — and that one table parses the arguments (on node:util's
 * parseArgs), renders `--help`, and maps a configuration error's field back to the flag to blame.
 *
 * One syntax for every command: `--flag value` and `--flag=value`; the single-dash `-flag` form
 * too (the agent's parser took it, as serf and consul do); a boolean is `--flag` or
 * `--flag=true|false`, and in commands without positional arguments also `--flag true|false` (as
 * the simulator took); `-h` / `--help`; `--` ends the flags. A value-taking flag followed by
 * another `--flag` has no value (write `--flag=--x` for a value that starts with `--`).
 */
import {parseArgs} from "node:util";
import type {InvalidConfigError} from "../core/index.ts";
import {UsageError} from "./usage-error.ts";

/** How a flag's value is read: `list` repeats, `time` is ms or `30s` / `2m` / `500ms` / `1h`. */
export type FlagType = "string" | "int" | "number" | "bool" | "list" | "time";

/** A parsed value: a string, a number (int, number, time), a boolean, or a list's strings. */
export type FlagValue = string | number | boolean | readonly string[];

/** One row of a command's flag table. */
export interface FlagSpec {
  /** Without the dashes, kebab-case: "probe-interval-ms". */
  readonly name: string;
  readonly type: FlagType;
  /** One line for --help. */
  readonly help: string;
  /** Placeholder shown in --help, e.g. "HOST:PORT" (default by type: N, TIME, VALUE). */
  readonly value?: string;
  /**
   * The option the flag sets, dot-separated in the layer's own naming (`heartbeat.phi.threshold`,
   * `config.probeIntervalMs`); an InvalidConfigError whose field is this path, or lies under it,
   * is blamed on this flag.
   */
  readonly path?: string;
  /** The value when the flag is absent; shown in --help. */
  readonly default?: FlagValue;
  /** Numeric bounds (int, number, time), inclusive. */
  readonly min?: number;
  readonly max?: number;
  /** The allowed strings (string, list). */
  readonly choices?: readonly string[];
}

/** The flags and positionals of one command line. */
export interface ParsedFlags {
  /** Only the flags given, in the table's types. */
  readonly values: ReadonlyMap<string, FlagValue>;
  readonly positionals: readonly string[];
  readonly help: boolean;
  /** The flags given, in order, each as `--name` and its raw text (for a `reproduce with:` line). */
  readonly given: readonly {readonly name: string; readonly raw: string | undefined}[];
}

export interface ParseOptions {
  /** Accept positional arguments (otherwise one is a UsageError). */
  readonly positionals?: boolean;
}

/** The value of `name`: as given, else the table's default. */
export function flagValue(parsed: ParsedFlags, table: readonly FlagSpec[], name: string): FlagValue | undefined {
  return parsed.values.get(name) ?? table.find((spec) => spec.name === name)?.default;
}

/** Parses `args` against `table`. Throws UsageError naming the flag. */
export function parseFlags(
  args: readonly string[],
  table: readonly FlagSpec[],
  options: ParseOptions = {},
): ParsedFlags {
  const byName = new Map(table.map((spec) => [spec.name, spec]));
  const {tokens} = parseArgs({
    args: normalizeDashes(args, byName),
    options: {
      help: {type: "boolean", short: "h"},
      ...Object.fromEntries(table.map((spec) => [spec.name, {type: spec.type === "bool" ? "boolean" : "string"}])),
    },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values = new Map<string, FlagValue>();
  const positionals: string[] = [];
  const given: {name: string; raw: string | undefined}[] = [];
  let help = false;
  let consumed = -1;
  for (const [i, token] of tokens.entries()) {
    if (token.kind === "option-terminator") continue;
    if (token.kind === "positional") {
      if (token.index === consumed) continue;
      if (options.positionals !== true) throw new UsageError(`unexpected argument ${JSON.stringify(token.value)}`);
      positionals.push(token.value);
      continue;
    }
    if (token.name === "help") {
      help = true;
      continue;
    }
    const spec = byName.get(token.name);
    const flag = `--${token.name}`;
    if (spec === undefined) throw new UsageError(`unknown flag ${flag}`, {flag});
    let raw = token.value;
    if (spec.type === "bool" && raw === undefined && options.positionals !== true) {
      const next = tokens[i + 1];
      if (next?.kind === "positional" && next.index === token.index + 1 && /^(true|false)$/.test(next.value)) {
        raw = next.value;
        consumed = next.index;
      }
    }
    if (spec.type !== "bool" && (raw === undefined || (!token.inlineValue && raw.startsWith("--") && raw.length > 2))) {
      throw UsageError.invalid(flag, `needs a value${spec.value ? ` (${spec.value})` : ""}`);
    }
    const value = readValue(spec, raw);
    if (spec.type === "list")
      values.set(spec.name, [...((values.get(spec.name) as string[] | undefined) ?? []), value as string]);
    else values.set(spec.name, value);
    given.push({name: flag, raw});
  }
  return {values, positionals, help, given};
}

/** Rewrites `-flag` to `--flag` (values of value-taking flags are left alone); `-h` stays. */
function normalizeDashes(args: readonly string[], byName: ReadonlyMap<string, FlagSpec>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    let arg = args[i] as string;
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    if (arg.length >= 2 && arg[0] === "-" && arg[1] !== "-" && isLetter(arg[1] as string) && arg !== "-h")
      arg = `-${arg}`;
    out.push(arg);
    if (!arg.startsWith("--") || arg.includes("=")) continue;
    const spec = byName.get(arg.slice(2));
    if (spec !== undefined && spec.type !== "bool" && i + 1 < args.length) out.push(args[++i] as string);
  }
  return out;
}

function isLetter(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
}

function readValue(spec: FlagSpec, raw: string | undefined): FlagValue {
  const flag = `--${spec.name}`;
  switch (spec.type) {
    case "bool":
      if (raw === undefined) return true;
      if (raw !== "true" && raw !== "false") throw UsageError.invalid(flag, "must be true or false");
      return raw === "true";
    case "int":
    case "number":
      return parseNumberFlag(flag, raw as string, {integer: spec.type === "int", min: spec.min, max: spec.max});
    case "time":
      return parseTimeFlag(flag, raw as string, spec.min, spec.max);
    default:
      if (spec.choices !== undefined && !spec.choices.includes(raw as string)) {
        throw UsageError.invalid(flag, `must be one of ${spec.choices.join(", ")}`);
      }
      return raw as string;
  }
}

/** Reads a number flag's text. Throws UsageError naming `flag`. */
export function parseNumberFlag(
  flag: string,
  text: string,
  bounds: {readonly integer?: boolean; readonly min?: number | undefined; readonly max?: number | undefined} = {},
): number {
  const integer = bounds.integer === true;
  const what = integer ? "an integer" : "a number";
  const {min, max} = bounds;
  const range =
    min !== undefined && max !== undefined
      ? ` between ${min} and ${max}`
      : min !== undefined
        ? ` ≥ ${min}`
        : max !== undefined
          ? ` ≤ ${max}`
          : "";
  const trimmed = text.trim();
  const n = Number(trimmed);
  const ok =
    trimmed !== "" &&
    (integer ? /^-?\d+$/.test(trimmed) && Number.isSafeInteger(n) : Number.isFinite(n)) &&
    (min === undefined || n >= min) &&
    (max === undefined || n <= max);
  if (!ok) throw UsageError.invalid(flag, `must be ${what}${range}, got ${JSON.stringify(text)}`);
  return n;
}

/** Reads "1500", "1500ms", "30s", "2m" or "1h" as milliseconds. Throws UsageError naming `flag`. */
export function parseTimeFlag(flag: string, text: string, min?: number, max?: number): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw UsageError.invalid(flag, `must be a time like 1500, 1500ms, 30s or 2m, got ${JSON.stringify(text)}`);
  const unit = m[2] ?? "ms";
  const factor = unit === "ms" ? 1 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000;
  const ms = Math.round(Number(m[1]) * factor);
  if ((min !== undefined && ms < min) || (max !== undefined && ms > max)) {
    const range = max === undefined ? `≥ ${min} ms` : `between ${min ?? 0} and ${max} ms`;
    throw UsageError.invalid(flag, `must be a time ${range}, got ${JSON.stringify(text)}`);
  }
  return ms;
}

/** "probeIntervalMs" → "probe-interval-ms". */
export function toKebab(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The flag (with dashes) whose path is `field` or holds it (`latency` holds `latency.minMs`). */
export function flagForField(table: readonly FlagSpec[], field: string): string | undefined {
  const spec =
    table.find((s) => s.path === field) ?? table.find((s) => s.path !== undefined && field.startsWith(`${s.path}.`));
  return spec === undefined ? undefined : `--${spec.name}`;
}

/**
 * A configuration error in flag terms: `invalid --FLAG; RULE`, with the sibling option names the
 * rule mentions (`must be less than probeIntervalMs`) written as their flags too. Undefined when
 * no flag sets the field.
 */
export function usageErrorFor(table: readonly FlagSpec[], error: InvalidConfigError): UsageError | undefined {
  const flag = flagForField(table, error.field);
  if (flag === undefined) return undefined;
  const scope = error.field.includes(".") ? error.field.slice(0, error.field.lastIndexOf(".") + 1) : "";
  const rule = error.rule.replace(/\b[a-z]+(?:[A-Z][a-z]*)+\b/g, (word) => {
    const sibling = table.find((s) => s.path === `${scope}${word}`);
    return sibling === undefined ? word : `--${sibling.name}`;
  });
  return UsageError.invalid(flag, rule, {cause: error});
}

/** Help lines for a flag table: the flag, its placeholder, the help and the default. */
export function formatFlagHelp(table: readonly FlagSpec[]): string {
  const rows = table.map((spec) => {
    const placeholder =
      spec.type === "bool"
        ? ""
        : ` ${spec.value ?? (spec.type === "int" || spec.type === "number" ? "N" : spec.type === "time" ? "TIME" : "VALUE")}`;
    const value = spec.type === "time" && typeof spec.default === "number" ? `${spec.default}ms` : String(spec.default);
    const shown = spec.default === undefined || spec.default === false ? "" : ` (default ${value})`;
    return [`--${spec.name}${placeholder}`, `${spec.help}${shown}`] as const;
  });
  const width = Math.min(36, Math.max(0, ...rows.map(([left]) => left.length)) + 2);
  return rows
    .map(([left, help]) =>
      left.length + 2 > width ? `  ${left}\n  ${" ".repeat(width)}${help}` : `  ${left.padEnd(width)}${help}`,
    )
    .join("\n");
}
