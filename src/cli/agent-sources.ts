/*
 * Where `lifeline agent` takes its options from, and in which order: flags > LIFELINE_*
 * environment variables > `--config` files (later files win) > defaults. A config file is a JSON
 * object keyed by createAgent option names; an environment variable is a flag's name in upper snake
 * case behind LIFELINE_ (LIFELINE_PROBE_INTERVAL_MS for --probe-interval-ms; list flags take a comma
 * list). Every bad input is a UsageError that names its source: the file and key, or the variable.
 */
import {readFileSync} from "node:fs";
import {AGENT_INIT_KEYS, type AgentInit, resolveAgentConfig} from "../agent/index.ts";
import {CONFIG_FIELDS, InvalidConfigError} from "../core/index.ts";
import {type FlagSpec, type FlagValue, type ParsedFlags, parseFlags} from "./flags.ts";
import {UsageError} from "./usage-error.ts";

/** A flag row that sets an AgentInit path, converting its value first when `convert` says so. */
export interface SourcedFlag extends FlagSpec {
  readonly convert?: (value: FlagValue) => unknown;
}

/** The environment variable of a flag: LIFELINE_ + the flag name in upper snake case. */
export function envName(flag: string): string {
  return `LIFELINE_${flag.toUpperCase().replace(/-/g, "_")}`;
}

/** A config file's options, with the file they came from. */
export interface ConfigFile {
  readonly path: string;
  readonly init: AgentInit;
}

/** Reads one config file: a JSON object of known createAgent options (their values are checked when merged). */
export function readConfigFile(
  path: string,
  read: (path: string) => string = (p) => readFileSync(p, "utf8"),
): ConfigFile {
  let text: string;
  try {
    text = read(path);
  } catch (error) {
    throw new UsageError(
      `${path}: cannot read the config file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`${path}: must be a JSON object of createAgent options, e.g. {"name": "web-1"}`);
  }
  const known = new Set<string>([...AGENT_INIT_KEYS, ...CONFIG_FIELDS]);
  for (const key of Object.keys(value)) {
    if (!known.has(key)) {
      const near = [...known].find((k) => k.toLowerCase() === key.toLowerCase());
      throw new UsageError(
        `${path}: unknown key ${JSON.stringify(key)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ""}; known keys are ${[...known].join(", ")}`,
      );
    }
  }
  return {path, init: fileHttp(value as Record<string, unknown>) as AgentInit};
}

/**
 * Checks the options as merged so far (defaults and the files up to this one): the first file after
 * which a rule breaks is named, so a value that is only wrong beside another file's is still blamed
 * on a file, not on a flag.
 */
function checkMerged(path: string, init: Record<string, unknown>): void {
  const {http, ...rest} = init;
  try {
    resolveAgentConfig((http === HTTP_OFF ? rest : init) as AgentInit);
  } catch (error) {
    if (error instanceof InvalidConfigError) {
      throw new UsageError(`${path}: invalid ${error.field}; ${error.rule}`, {cause: error});
    }
    throw error;
  }
}

/** `"http": "0"` or `false` in a file turns the HTTP API off, as `--http 0` does. */
function fileHttp(init: Record<string, unknown>): Record<string, unknown> {
  if (init.http !== "0" && init.http !== false) return init;
  const {http: _off, ...rest} = init;
  return {...rest, http: HTTP_OFF};
}

/** Marks "HTTP off" through the merge; removed before the init reaches createAgent. */
const HTTP_OFF = Symbol("http off");

/** The flags set through LIFELINE_* variables, parsed by the same table as the command line. */
export function envFlags(
  env: Readonly<Record<string, string | undefined>>,
  table: readonly SourcedFlag[],
): ParsedFlags {
  const args: string[] = [];
  for (const spec of table) {
    if (spec.path === undefined) continue;
    const value = env[envName(spec.name)];
    if (value === undefined || value === "") continue;
    const parts =
      spec.type === "list"
        ? value
            .split(",")
            .map((p) => p.trim())
            .filter((p) => p !== "")
        : [value];
    for (const part of parts) args.push(`--${spec.name}=${part}`);
  }
  try {
    return parseFlags(args, table);
  } catch (error) {
    if (error instanceof UsageError && error.flag !== undefined) {
      throw new UsageError(`${envName(error.flag.replace(/^-+/, ""))}: ${error.message}`, {cause: error});
    }
    throw error;
  }
}

/** Builds the AgentInit: defaults, then files in order, then the environment, then the flags given. */
export function agentInitFromSources(
  table: readonly SourcedFlag[],
  flags: ParsedFlags,
  sources: {readonly files?: readonly ConfigFile[]; readonly env?: ParsedFlags} = {},
): AgentInit {
  let init: Record<string, unknown> = {};
  for (const spec of table) {
    if (spec.path !== undefined && spec.default !== undefined) applyFlag(init, spec, spec.default);
  }
  for (const file of sources.files ?? []) {
    init = merge(init, file.init as Record<string, unknown>);
    checkMerged(file.path, init);
  }
  for (const parsed of [sources.env, flags]) {
    if (parsed === undefined) continue;
    const layer: Record<string, unknown> = {};
    for (const spec of table) {
      const value = spec.path === undefined ? undefined : parsed.values.get(spec.name);
      if (value !== undefined) applyFlag(layer, spec, value);
    }
    init = merge(init, layer);
  }
  if (init.http === HTTP_OFF) delete init.http;
  return init as AgentInit;
}

function applyFlag(target: Record<string, unknown>, spec: SourcedFlag, given: FlagValue): void {
  const value = spec.convert ? spec.convert(given) : given;
  // A flag whose conversion says "unset" (`--http 0`) turns its option off over lower sources.
  setPath(target, spec.path as string, value === undefined && spec.path === "http" ? HTTP_OFF : value);
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  if (value === undefined) return;
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

/** `over` on top of `base`: nested plain objects (heartbeat, tags) merge key by key; anything else replaces. */
function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {...base};
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? merge(prev, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
