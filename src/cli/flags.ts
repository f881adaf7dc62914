/*
 * A small command-line flag parser: `--name value`, `--name=value`, boolean `--name`, repeatable
 * list flags, and positionals. Unknown flags and bad values throw UsageError with a one-line
 * message naming the flag and the rule; the CLI prints it and exits 2.
 */

/** How a flag's value is read. */
export type FlagKind = "string" | "int" | "bool" | "list";

export interface FlagSpec {
  /** Without the leading dashes, kebab-case: "probe-interval-ms". */
  readonly name: string;
  readonly kind: FlagKind;
  /** One line for --help. */
  readonly help: string;
  /** Placeholder shown in --help, e.g. "HOST:PORT". */
  readonly value?: string;
}

/** Bad command-line usage; the message names the flag and the rule. */
export class UsageError extends Error {
  static override name = "UsageError";
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface ParsedFlags {
  readonly values: ReadonlyMap<string, string | number | boolean | string[]>;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

/** Parses `args` against `specs`. Throws UsageError. */
export function parseFlags(args: readonly string[], specs: readonly FlagSpec[], allowPositionals = false): ParsedFlags {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const values = new Map<string, string | number | boolean | string[]>();
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "-h" || arg === "--help") {
      help = true;
      continue;
    }
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      if (!allowPositionals) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq >= 0 ? body.slice(0, eq) : body;
    let raw: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`unknown flag --${name}`);
    if (spec.kind === "bool") {
      if (raw === undefined) {
        values.set(name, true);
        continue;
      }
      if (raw !== "true" && raw !== "false") throw new UsageError(`invalid --${name}; must be true or false`);
      values.set(name, raw === "true");
      continue;
    }
    if (raw === undefined) {
      const next = args[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) {
        throw new UsageError(`invalid --${name}; needs a value${spec.value ? ` (${spec.value})` : ""}`);
      }
      raw = next;
      i++;
    }
    switch (spec.kind) {
      case "string":
        values.set(name, raw);
        break;
      case "int": {
        if (!/^-?\d+$/.test(raw.trim()))
          throw new UsageError(`invalid --${name}; must be an integer, got ${JSON.stringify(raw)}`);
        const n = Number(raw);
        if (!Number.isSafeInteger(n)) throw new UsageError(`invalid --${name}; must be a safe integer`);
        values.set(name, n);
        break;
      }
      case "list": {
        const list = (values.get(name) as string[] | undefined) ?? [];
        list.push(raw);
        values.set(name, list);
        break;
      }
    }
  }
  return {values, positionals, help};
}

/** "probeIntervalMs" → "probe-interval-ms". */
export function toKebab(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Help lines for a flag table. */
export function formatFlagHelp(specs: readonly FlagSpec[]): string {
  const rows = specs.map((spec) => {
    const left = `--${spec.name}${spec.kind === "bool" ? "" : ` ${spec.value ?? (spec.kind === "int" ? "N" : "VALUE")}`}`;
    return [left, spec.help] as const;
  });
  const width = Math.min(36, Math.max(...rows.map(([left]) => left.length)) + 2);
  return rows.map(([left, help]) => `  ${left.padEnd(width)}${help}`).join("\n");
}
