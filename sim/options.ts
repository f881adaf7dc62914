/*
 * SimOptions: everything that shapes a simulated run, as one plain object (the VOPR's
 * PacketSimulatorOptions, turmoil's config). `resolveSimOptions` fills the defaults documented on
 * each field, checks every rule, and throws InvalidConfigError naming the field and the rule.
 */
import {LABEL_MAX_BYTES} from "../src/codec/index.ts";
import {
  InvalidConfigError,
  type ProfileName,
  profileConfig,
  resolveConfig,
  type SwimConfig,
} from "../src/core/index.ts";

/** A user-supplied option set; every field but `nodes` has a default. */
export interface SimInit {
  /** Cluster size, 1..100000. */
  readonly nodes: number;
  /** The one seed everything derives from (32-bit unsigned). Default 1. */
  readonly seed?: number;
  /** Core preset the config starts from. Default "swift", as the agent. */
  readonly profile?: ProfileName;
  /** Core config fields over the preset. */
  readonly config?: Partial<SwimConfig>;
  /** One-way latency: `minMs` plus an exponential jitter of mean `jitterMeanMs`. Default {minMs: 1, jitterMeanMs: 1}. */
  readonly latency?: {readonly minMs: number; readonly jitterMeanMs: number};
  /** Uniform datagram loss on every link, [0, 1). Default 0. */
  readonly lossRate?: number;
  /** Probability that a datagram arrives twice, [0, 1]. Default 0. */
  readonly duplicateRate?: number;
  /** Probability that a datagram gets an extra uniform [0, reorderMs) delay, [0, 1]. Default 0. */
  readonly reorderRate?: number;
  /** Reordering window. Default 20. */
  readonly reorderMs?: number;
  /** The first `seedNodes` nodes are the seeds everyone joins through. Default 1. */
  readonly seedNodes?: number;
  /** Nodes other than the first start at uniform random times in [0, joinSpreadMs]. Default 1000. */
  readonly joinSpreadMs?: number;
  /**
   * How the cluster starts. "join" (default): node 0 at t = 0, the others over joinSpreadMs,
   * each joining through the seeds (memberlist's join storm). "converged": every node starts at
   * t = 0 already knowing every member of its label alive at incarnation 1 (the core's `restore`
   * input: nothing gossiped), to study steady state, failures and partitions at scale without
   * the storm. Not with `serf` (serf's own member state is not restored).
   */
  readonly start?: SimStart;
  /** Datagram framing: LZW compression (when smaller) and CRC, as memberlist can. Default both false. */
  readonly compress?: boolean;
  readonly crc?: boolean;
  /** Base64 AES keys: encrypt every datagram and stream with this keyring (the first is primary). */
  readonly keys?: readonly string[];
  /**
   * Cluster label of every node (src/codec/label.ts): prefixed to every datagram and stream,
   * authenticated with `keys`. At most 255 UTF-8 bytes. Default "" (unlabelled, 0.2.2 bytes).
   */
  readonly label?: string;
  /**
   * Per-node labels: label → selector of the nodes carrying it instead of `label` (selectors as in
   * scenarios, without @groups: "0%-50%", "n3", "random:2", "!SEL", lists). Each node joins
   * through the first `seedNodes` nodes of its own label, so `{"blue": "0%-50%", "red":
   * "50%-100%"}` runs two clusters side by side that must never merge. Default: none.
   */
  readonly labels?: Readonly<Record<string, string | readonly string[]>>;
  /** Run the safety checker (n² × 13 bytes of memory). Default: on up to 3,000 nodes. */
  readonly safety?: boolean;
  /**
   * Answer repeated gossip parts from a decode memo (src/codec/gossip-memo.ts). Decoding is a
   * pure function of the bytes, so a run is the same with or without it (same traceHash), only
   * slower without. Default true.
   */
  readonly decodeMemo?: boolean;
  /** Period of the cluster-size and load samples. Default 1000 ms. */
  readonly sampleIntervalMs?: number;
  /**
   * Run serf's layer (src/serf) on every node (sim/serf-nodes.ts): user events, queries and serf's
   * push-pull state ride the simulated gossip and streams. Scenarios with `events` or `queries`
   * turn it on. Default false (the nodes speak plain memberlist, as before).
   */
  readonly serf?: boolean;
  /**
   * Run serf's Vivaldi network coordinates on every node (sim/coordinates.ts): acks carry the
   * node's coordinate and every direct probe moves it. Default false (empty acks, as memberlist
   * without serf; the bytes of runs without it are unchanged).
   */
  readonly coordinates?: boolean;
  /** Called with one line per event when set (slow; for debugging small runs). */
  readonly trace?: (line: string) => void;
}

/** How a simulated cluster starts (SimInit.start). */
export type SimStart = "join" | "converged";

/** Resolved options: every field set and checked. */
export interface SimOptions {
  readonly nodes: number;
  readonly seed: number;
  readonly profile: ProfileName;
  readonly config: SwimConfig;
  readonly latency: {readonly minMs: number; readonly jitterMeanMs: number};
  readonly lossRate: number;
  readonly duplicateRate: number;
  readonly reorderRate: number;
  readonly reorderMs: number;
  readonly seedNodes: number;
  readonly joinSpreadMs: number;
  readonly start: SimStart;
  readonly compress: boolean;
  readonly crc: boolean;
  readonly keys: readonly string[];
  readonly label: string;
  readonly labels: Readonly<Record<string, string | readonly string[]>>;
  readonly safety: boolean;
  readonly decodeMemo: boolean;
  readonly sampleIntervalMs: number;
  readonly serf: boolean;
  readonly coordinates: boolean;
  readonly trace: ((line: string) => void) | undefined;
}

/** Throws unless `value` is a number in [min, max] (and an integer when asked). */
export function checkNumber(field: string, value: unknown, min: number, max: number, integer = false): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidConfigError(field, `must be ${integer ? "an integer" : "a number"} between ${min} and ${max}`);
  }
  if (integer && !Number.isInteger(value)) throw new InvalidConfigError(field, `must be an integer`);
  return value;
}

/** Every SimInit field name; scenarios accept the same ones (all but `trace`). */
export const SIM_FIELD_NAMES: readonly (keyof SimInit)[] = [
  "nodes",
  "seed",
  "profile",
  "config",
  "latency",
  "lossRate",
  "duplicateRate",
  "reorderRate",
  "reorderMs",
  "seedNodes",
  "joinSpreadMs",
  "start",
  "compress",
  "crc",
  "keys",
  "label",
  "labels",
  "safety",
  "decodeMemo",
  "sampleIntervalMs",
  "serf",
  "coordinates",
  "trace",
];

const SIM_FIELDS: ReadonlySet<string> = new Set(SIM_FIELD_NAMES);

/** Applies defaults and checks every rule; the core config goes through the core's resolveConfig. */
export function resolveSimOptions(init: SimInit): SimOptions {
  if (typeof init !== "object" || init === null) throw new InvalidConfigError("options", "must be an object");
  for (const key of Object.keys(init)) {
    if (!SIM_FIELDS.has(key)) throw new InvalidConfigError(key, `is not a simulator option`);
  }
  const nodes = checkNumber("nodes", init.nodes, 1, 100_000, true);
  const seed = checkNumber("seed", init.seed ?? 1, 0, 0xffff_ffff, true);
  const profile = init.profile ?? "swift";
  const base = profileConfig(profile);
  let config: SwimConfig;
  try {
    config = resolveConfig(init.config ?? {}, base);
  } catch (error) {
    throw error instanceof InvalidConfigError ? error.under("config") : error;
  }
  const latency = init.latency ?? {minMs: 1, jitterMeanMs: 1};
  if (typeof latency !== "object" || latency === null) throw new InvalidConfigError("latency", "must be an object");
  checkNumber("latency.minMs", latency.minMs, 0, 600_000);
  checkNumber("latency.jitterMeanMs", latency.jitterMeanMs, 0, 600_000);
  const keys = init.keys ?? [];
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== "string")) {
    throw new InvalidConfigError("keys", "must be an array of base64 strings");
  }
  const label = init.label ?? "";
  checkLabel("label", label, true);
  const labels = init.labels ?? {};
  if (typeof labels !== "object" || labels === null || Array.isArray(labels)) {
    throw new InvalidConfigError("labels", "must be an object of label: selector");
  }
  for (const [name, selector] of Object.entries(labels)) {
    checkLabel(`labels.${name}`, name, false);
    if (typeof selector !== "string" && !Array.isArray(selector)) {
      throw new InvalidConfigError(`labels.${name}`, "must be a selector string or an array of them");
    }
  }
  for (const field of ["compress", "crc", "safety", "decodeMemo", "serf", "coordinates"] as const) {
    const v = init[field];
    if (v !== undefined && typeof v !== "boolean") throw new InvalidConfigError(field, "must be a boolean");
  }
  const start = init.start ?? "join";
  if (start !== "join" && start !== "converged") throw new InvalidConfigError("start", `must be "join" or "converged"`);
  if (start === "converged" && init.serf === true) {
    throw new InvalidConfigError(
      "start",
      `"converged" cannot be combined with serf (serf's member state is not restored)`,
    );
  }
  if (init.trace !== undefined && typeof init.trace !== "function") {
    throw new InvalidConfigError("trace", "must be a function");
  }
  return {
    nodes,
    seed,
    profile,
    config,
    latency: {minMs: latency.minMs, jitterMeanMs: latency.jitterMeanMs},
    lossRate: checkNumber("lossRate", init.lossRate ?? 0, 0, 0.999),
    duplicateRate: checkNumber("duplicateRate", init.duplicateRate ?? 0, 0, 1),
    reorderRate: checkNumber("reorderRate", init.reorderRate ?? 0, 0, 1),
    reorderMs: checkNumber("reorderMs", init.reorderMs ?? 20, 0, 600_000),
    seedNodes: checkNumber("seedNodes", init.seedNodes ?? 1, 1, nodes, true),
    joinSpreadMs: checkNumber("joinSpreadMs", init.joinSpreadMs ?? 1_000, 0, 86_400_000),
    start,
    compress: init.compress ?? false,
    crc: init.crc ?? false,
    keys,
    label,
    labels,
    safety: init.safety ?? nodes <= 3_000,
    decodeMemo: init.decodeMemo ?? true,
    sampleIntervalMs: checkNumber("sampleIntervalMs", init.sampleIntervalMs ?? 1_000, 1, 86_400_000, true),
    serf: init.serf ?? false,
    coordinates: init.coordinates ?? false,
    trace: init.trace,
  };
}

/** Throws unless `label` is a string of at most 255 UTF-8 bytes (and not empty unless `emptyOk`). */
function checkLabel(field: string, label: unknown, emptyOk: boolean): void {
  if (
    typeof label !== "string" ||
    (!emptyOk && label.length === 0) ||
    Buffer.byteLength(label, "utf8") > LABEL_MAX_BYTES
  ) {
    throw new InvalidConfigError(field, `must be a label of ${emptyOk ? 0 : 1} to ${LABEL_MAX_BYTES} bytes of UTF-8`);
  }
}
