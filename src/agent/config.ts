/*
 * The agent's options: AgentInit (what a user passes to createAgent, every SwimConfig field
 * included), AgentConfig (the resolved, validated, frozen settings) and the rules between them.
 * Every rule failure is an InvalidConfigError naming the field; nothing is bound or started here.
 */
import {hostname} from "node:os";
import {encodeTags, Keyring, LABEL_MAX_BYTES} from "../codec/index.ts";
import {
  InvalidConfigError,
  META_MAX_SIZE,
  type ProfileName,
  profileConfig,
  resolveConfig,
  type SwimConfig,
} from "../core/index.ts";
import {type HeartbeatRegistryInit, resolveHeartbeatRegistryConfig} from "../heartbeat/index.ts";
import {type EventHandlerSpec, parseEventHandler, USER_COALESCE_DEFAULTS} from "../hooks/index.ts";
import {DEFAULT_VNODES} from "../ring/index.ts";
import {type HostPort, parseHostPort} from "./address.ts";

/** memberlist's and serf's default port, for UDP and TCP. */
export const DEFAULT_PORT = 7946;

/**
 * User-supplied agent options. Every SwimConfig field may be given directly (e.g.
 * `probeIntervalMs`); they override the chosen profile.
 */
export interface AgentInit extends Partial<SwimConfig> {
  /** Node name, unique in the cluster. Default: the host name. */
  readonly name?: string;
  /** "HOST:PORT" to bind UDP and TCP on (port 0: any free port). Default "127.0.0.1:7946". */
  readonly bind?: string;
  /** "HOST[:PORT]" others reach us at. Default: the bind address (a local IP when bound to 0.0.0.0/::). */
  readonly advertise?: string;
  /** Seeds joined at start ("HOST:PORT" or a DNS name; default port = our bound port). */
  readonly join?: readonly string[];
  /** Attempts of the startup join before giving up (0 = keep trying). Default 0. */
  readonly retryJoinMax?: number;
  /** First wait between startup join attempts; doubles each time up to 32×. Default 1000. */
  readonly retryJoinIntervalMs?: number;
  /** Our tags, carried in node meta as serf does (visible in `serf members`). */
  readonly tags?: Readonly<Record<string, string>>;
  /** Base config preset. Default "swift" (memberlist's bytes, faster detection; "lan" is memberlist-exact). */
  readonly profile?: ProfileName;
  /** Base64 AES keys (16, 24 or 32 bytes), primary first; encrypts every packet and stream. */
  readonly encrypt?: string | readonly string[];
  /** LZW-compress outgoing packets (when smaller) and streams, as serf does. Default true. */
  readonly compress?: boolean;
  /**
   * Cluster label, 1–255 bytes of UTF-8 (memberlist ≥ 0.3's `Label`): every packet and stream
   * carries it (and, with `encrypt`, authenticates it); traffic without it or with another label
   * is dropped. Agents with different labels never merge. Memberlist 0.2.2 (Debian's serf) has no
   * labels, so a labelled cluster cannot contain serf agents. Default: unlabelled.
   */
  readonly label?: string;
  /** Serve the HTTP API on "HOST:PORT" (port 0: any). Default: no HTTP server. */
  readonly http?: string;
  /**
   * Every HTTP request but `GET /v1/health` must carry `Authorization: Bearer <httpToken>`.
   * Required when `http` binds a non-loopback address, unless `httpInsecure`. Never logged.
   */
  readonly httpToken?: string;
  /** Serve a non-loopback HTTP API without a token (anyone who reaches it may make the agent leave). */
  readonly httpInsecure?: boolean;
  /** Seed of the core's PRNG (reproducible probe order). Default: random. */
  readonly seed?: number;
  /** Largest incoming stream in bytes. Default 20 MiB + 64 KiB. */
  readonly maxStreamBytes?: number;
  /** Concurrent incoming streams. Default 128. */
  readonly maxIncomingStreams?: number;
  /**
   * Commands run on events, each "[FILTER=]COMMAND" (serf's form; FILTER is a comma list of
   * member-join, member-leave, member-failed, member-update, member-suspect, heartbeat-up,
   * heartbeat-down, user, user:NAME, query, query:NAME, or *). A query handler's stdout is the
   * query's response. See src/hooks/event-handler.ts.
   */
  readonly eventHandlers?: readonly string[];
  /** A handler still running after this long is killed with its process group. Default 30000. */
  readonly eventHandlerTimeoutMs?: number;
  /**
   * User events with the coalesce flag are held for handlers at most this long, and only the
   * latest LTime per name runs (serf's UserCoalescePeriod). Default 3000 (serf agent's); 0 turns
   * coalescing off. Integer 0..3600000. The "user:event" agent event is never coalesced.
   */
  readonly userCoalescePeriodMs?: number;
  /**
   * Held user events run once no user event came for this long (serf's UserQuiescentPeriod).
   * Default 1000 (serf agent's); 0 turns coalescing off. Integer 0..3600000.
   */
  readonly userQuiescentPeriodMs?: number;
  /** Accept plain heartbeats ("name\n" over TCP and UDP) on "HOST:PORT". Default: not listening. */
  readonly heartbeatListen?: string;
  /** Phi-accrual and flood-control settings for plain heartbeats. */
  readonly heartbeat?: HeartbeatRegistryInit & {
    /** How often devices are re-judged. Default 200. */
    readonly evaluateIntervalMs?: number;
    /** How often devices heard here are reported to the cluster. Default 2000. */
    readonly reportIntervalMs?: number;
    /** Share devices with the cluster as user messages (serf logs a warning per copy). Default true. */
    readonly share?: boolean;
  };
  /** Positions per member on the hash ring. Default 256. */
  readonly ringVnodes?: number;
  /**
   * Node's default process metrics (RSS, CPU, event-loop lag, GC) in `agent.metrics` and at
   * `/metrics`. Default true; set false when merging `agent.metrics` into a registry that already
   * collects them.
   */
  readonly processMetrics?: boolean;
  /**
   * When another process claims our name from another address, ask the cluster (serf's
   * `_serf_conflict` vote) and stop if the majority knows the name at the other address, as serf
   * does. Default true; false only reports the conflict.
   */
  readonly nameConflictResolution?: boolean;
  /**
   * Keeps the keyring in this file (serf's -keyring-file format: a JSON array of base64 keys,
   * primary first), loaded at start and rewritten on every key change. When the file exists it
   * wins over `encrypt` (whose keys are then installed as secondaries if missing); when it does
   * not, it is created from `encrypt`.
   */
  readonly keyringFile?: string;
  /** Largest user event, name + payload (serf's UserEventSizeLimit; at most 9216). Default 512. */
  readonly userEventSizeLimit?: number;
  /** Largest encoded query (serf's QuerySizeLimit; at most 1400, one datagram). Default 1024. */
  readonly querySizeLimit?: number;
  /** Largest encoded query response (serf's QueryResponseSizeLimit). Default 1024. */
  readonly queryResponseSizeLimit?: number;
  /**
   * Turn network coordinates off (serf's DisableCoordinates): our acks carry no coordinate, peers'
   * are ignored, and `coordinate()`, `coordinateOf()`, `rtt()` and `GET /v1/coordinates` refuse.
   * Default false: like serf, every direct probe moves our Vivaldi coordinate (src/coordinate).
   */
  readonly disableCoordinates?: boolean;
}

/** Every key an AgentInit may have besides the SwimConfig fields (for config files that must refuse unknown keys). */
export const AGENT_INIT_KEYS: readonly string[] = [
  "name",
  "bind",
  "advertise",
  "join",
  "retryJoinMax",
  "retryJoinIntervalMs",
  "tags",
  "profile",
  "encrypt",
  "compress",
  "label",
  "http",
  "httpToken",
  "httpInsecure",
  "seed",
  "maxStreamBytes",
  "maxIncomingStreams",
  "eventHandlers",
  "eventHandlerTimeoutMs",
  "userCoalescePeriodMs",
  "userQuiescentPeriodMs",
  "heartbeatListen",
  "heartbeat",
  "ringVnodes",
  "processMetrics",
  "nameConflictResolution",
  "keyringFile",
  "userEventSizeLimit",
  "querySizeLimit",
  "queryResponseSizeLimit",
  "disableCoordinates",
] satisfies readonly (keyof AgentInit)[];

/** The agent's resolved settings. */
export interface AgentConfig {
  readonly name: string;
  readonly bind: HostPort;
  readonly advertise: HostPort | undefined;
  readonly join: readonly HostPort[];
  readonly retryJoinMax: number;
  readonly retryJoinIntervalMs: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly profile: ProfileName;
  readonly swim: SwimConfig;
  readonly keyring: Keyring | undefined;
  readonly compress: boolean;
  /** The cluster label, or undefined when unlabelled. */
  readonly label: string | undefined;
  readonly http: HostPort | undefined;
  readonly httpToken: string | undefined;
  readonly seed: number | undefined;
  readonly maxStreamBytes: number | undefined;
  readonly maxIncomingStreams: number | undefined;
  readonly eventHandlers: readonly EventHandlerSpec[];
  readonly eventHandlerTimeoutMs: number;
  /** User-event coalescing for handlers, in ms (0: off). */
  readonly userCoalesce: {readonly coalescePeriodMs: number; readonly quiescentPeriodMs: number};
  readonly heartbeatListen: HostPort | undefined;
  readonly heartbeat: NonNullable<AgentInit["heartbeat"]>;
  readonly ringVnodes: number;
  readonly processMetrics: boolean;
  readonly nameConflictResolution: boolean;
  readonly keyringFile: string | undefined;
  /** Network coordinates off (serf's DisableCoordinates). */
  readonly disableCoordinates: boolean;
  readonly serfLimits: {
    readonly userEventSizeLimit: number;
    readonly querySizeLimit: number;
    readonly queryResponseSizeLimit: number;
  };
}

/** Resolves and validates an AgentInit. Throws InvalidConfigError naming the field. */
export function resolveAgentConfig(init: AgentInit = {}): AgentConfig {
  const name = init.name ?? hostname();
  if (typeof name !== "string" || name.length === 0 || name.length > 255) {
    throw new InvalidConfigError("name", "must be a non-empty string of at most 255 characters");
  }
  const bind = parseHostPort(init.bind ?? `127.0.0.1:${DEFAULT_PORT}`, "bind", DEFAULT_PORT);
  const advertise = init.advertise === undefined ? undefined : parseHostPort(init.advertise, "advertise", -1);
  const join = (init.join ?? []).map((seed) => parseHostPort(seed, "join", -1));
  const retryJoinMax = init.retryJoinMax ?? 0;
  if (!Number.isInteger(retryJoinMax) || retryJoinMax < 0) {
    throw new InvalidConfigError("retryJoinMax", "must be an integer ≥ 0 (0 = keep trying)");
  }
  const retryJoinIntervalMs = init.retryJoinIntervalMs ?? 1_000;
  if (!Number.isInteger(retryJoinIntervalMs) || retryJoinIntervalMs < 1 || retryJoinIntervalMs > 3_600_000) {
    throw new InvalidConfigError("retryJoinIntervalMs", "must be an integer between 1 and 3600000");
  }
  const tags = {...(init.tags ?? {})};
  for (const [key, value] of Object.entries(tags)) {
    if (typeof value !== "string")
      throw new InvalidConfigError("tags", `value of ${JSON.stringify(key)} must be a string`);
  }
  checkTags(tags);
  const profile = init.profile ?? "swift";
  const base = profileConfig(profile);
  const overrides: Record<string, unknown> = {};
  for (const field of Object.keys(base)) {
    const value = (init as Record<string, unknown>)[field];
    if (value !== undefined) overrides[field] = value;
  }
  const swim = resolveConfig(overrides as Partial<SwimConfig>, base);
  let keyring: Keyring | undefined;
  if (init.encrypt !== undefined) {
    const keys = typeof init.encrypt === "string" ? [init.encrypt] : [...init.encrypt];
    try {
      keyring = Keyring.fromBase64(keys);
    } catch (error) {
      throw new InvalidConfigError(
        "encrypt",
        `must be base64 of a 16, 24 or 32-byte key (${(error as Error).message})`,
        {
          cause: error,
        },
      );
    }
  }
  const label = init.label;
  if (
    label !== undefined &&
    (typeof label !== "string" || label.length === 0 || Buffer.byteLength(label, "utf8") > LABEL_MAX_BYTES)
  ) {
    throw new InvalidConfigError("label", `must be a string of 1 to ${LABEL_MAX_BYTES} bytes of UTF-8`);
  }
  const http = init.http === undefined ? undefined : parseHostPort(init.http, "http");
  const httpToken = init.httpToken;
  if (httpToken !== undefined && (typeof httpToken !== "string" || !/^[\x21-\x7e]{1,1024}$/.test(httpToken))) {
    throw new InvalidConfigError("httpToken", "must be 1 to 1024 visible ASCII characters (no spaces)");
  }
  if (init.httpInsecure !== undefined && typeof init.httpInsecure !== "boolean") {
    throw new InvalidConfigError("httpInsecure", "must be a boolean");
  }
  if (http !== undefined && httpToken === undefined && init.httpInsecure !== true && !isLoopbackHost(http.host)) {
    throw new InvalidConfigError(
      "http",
      `binds ${http.host}, which is not loopback, without a token: set httpToken (--http-token) or httpInsecure (--http-insecure)`,
    );
  }
  const eventHandlers = (init.eventHandlers ?? []).map((text) => {
    try {
      return parseEventHandler(text);
    } catch (error) {
      throw error instanceof InvalidConfigError ? error.withField("eventHandlers") : error;
    }
  });
  const eventHandlerTimeoutMs = init.eventHandlerTimeoutMs ?? 30_000;
  if (!Number.isInteger(eventHandlerTimeoutMs) || eventHandlerTimeoutMs < 1 || eventHandlerTimeoutMs > 86_400_000) {
    throw new InvalidConfigError("eventHandlerTimeoutMs", "must be an integer between 1 and 86400000");
  }
  const period = (field: "userCoalescePeriodMs" | "userQuiescentPeriodMs", fallback: number): number => {
    const value = init[field] ?? fallback;
    if (!Number.isInteger(value) || value < 0 || value > 3_600_000)
      throw new InvalidConfigError(field, "must be an integer between 0 and 3600000 (0 turns coalescing off)");
    return value;
  };
  const userCoalesce = Object.freeze({
    coalescePeriodMs: period("userCoalescePeriodMs", USER_COALESCE_DEFAULTS.coalescePeriodMs),
    quiescentPeriodMs: period("userQuiescentPeriodMs", USER_COALESCE_DEFAULTS.quiescentPeriodMs),
  });
  const heartbeatListen =
    init.heartbeatListen === undefined ? undefined : parseHostPort(init.heartbeatListen, "heartbeatListen");
  const heartbeat = {...(init.heartbeat ?? {})};
  try {
    resolveHeartbeatRegistryConfig(heartbeat);
    for (const [field, min, max] of [
      ["evaluateIntervalMs", 10, 60_000],
      ["reportIntervalMs", 100, 600_000],
    ] as const) {
      const value = heartbeat[field];
      if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
        throw new InvalidConfigError(field, `must be an integer between ${min} and ${max}`);
      }
    }
  } catch (error) {
    throw error instanceof InvalidConfigError ? error.under("heartbeat") : error;
  }
  const ringVnodes = init.ringVnodes ?? DEFAULT_VNODES;
  if (!Number.isInteger(ringVnodes) || ringVnodes < 1 || ringVnodes > 4096) {
    throw new InvalidConfigError("ringVnodes", "must be an integer between 1 and 4096");
  }
  const keyringFile = init.keyringFile;
  if (keyringFile !== undefined && (typeof keyringFile !== "string" || keyringFile.length === 0))
    throw new InvalidConfigError("keyringFile", "must be a file path");
  const limit = (
    field: "userEventSizeLimit" | "querySizeLimit" | "queryResponseSizeLimit",
    fallback: number,
    max: number,
  ): number => {
    const value = init[field] ?? fallback;
    if (!Number.isInteger(value) || value < 64 || value > max)
      throw new InvalidConfigError(field, `must be an integer between 64 and ${max}`);
    return value;
  };
  const serfLimits = {
    userEventSizeLimit: limit("userEventSizeLimit", 512, 9 * 1024),
    querySizeLimit: limit("querySizeLimit", 1024, 1400),
    queryResponseSizeLimit: limit("queryResponseSizeLimit", 1024, 1400),
  };
  const processMetrics = init.processMetrics ?? true;
  if (typeof processMetrics !== "boolean") throw new InvalidConfigError("processMetrics", "must be true or false");
  const nameConflictResolution = init.nameConflictResolution ?? true;
  if (typeof nameConflictResolution !== "boolean")
    throw new InvalidConfigError("nameConflictResolution", "must be true or false");
  const disableCoordinates = init.disableCoordinates ?? false;
  if (typeof disableCoordinates !== "boolean") {
    throw new InvalidConfigError("disableCoordinates", "must be true or false");
  }
  return Object.freeze({
    name,
    bind,
    advertise,
    join,
    retryJoinMax,
    retryJoinIntervalMs,
    tags,
    profile,
    swim,
    keyring,
    compress: init.compress ?? true,
    label,
    http,
    httpToken,
    seed: init.seed,
    maxStreamBytes: init.maxStreamBytes,
    maxIncomingStreams: init.maxIncomingStreams,
    eventHandlers,
    eventHandlerTimeoutMs,
    userCoalesce,
    heartbeatListen,
    heartbeat,
    ringVnodes,
    processMetrics,
    nameConflictResolution,
    keyringFile,
    disableCoordinates,
    serfLimits,
  });
}

/** Encodes tags as serf does; throws InvalidConfigError("tags") when they do not fit in node meta. */
export function checkTags(tags: Record<string, string>): Uint8Array {
  let meta: Uint8Array;
  try {
    meta = encodeTags(tags);
  } catch (error) {
    throw new InvalidConfigError("tags", (error as Error).message, {cause: error});
  }
  if (meta.length > META_MAX_SIZE)
    throw new InvalidConfigError("tags", `must encode to at most ${META_MAX_SIZE} bytes`);
  return meta;
}

/** 127.0.0.0/8, ::1 and localhost: addresses only this host can reach. */
function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
