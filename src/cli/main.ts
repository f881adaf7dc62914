/*
 * The `lifeline` command line. bin/lifeline calls `main(process.argv.slice(2))`; tests call
 * `run(args, io)` in-process and get the exit code back.
 *
 *   lifeline agent   [--name N] [--bind HOST:PORT] [--join ADDR]... [--http HOST:PORT] ...
 *   lifeline members [--http HOST:PORT] [--json]
 *   lifeline join    [--http HOST:PORT] ADDR...
 *   lifeline leave   [--http HOST:PORT]
 *   lifeline keygen
 *   lifeline demo
 *   lifeline sim ...        (the simulator's CLI; bin/lifeline dispatches it)
 *
 * Exit codes: 0 success, 1 runtime failure (cannot bind, cannot reach the agent, join failed),
 * 2 bad usage (the one-line message names the flag and the rule).
 */

import {
  type Agent,
  type AgentInit,
  type AgentMember,
  createAgent,
  formatHostPort,
  InvalidInitError,
  parseHostPort,
} from "../agent/index.ts";
import {generateKeyBase64} from "../codec/index.ts";
import {CONFIG_FIELDS, InvalidConfigError, lanConfig} from "../core/index.ts";
import {BindError} from "../transport/index.ts";
import {type FlagSpec, formatFlagHelp, parseFlags, toKebab, UsageError} from "./flags.ts";

/** Where the CLI writes; injectable for tests. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM); the agent then leaves. */
  readonly onSignal?: (handler: (signal: string) => void) => () => void;
}

const DEFAULT_HTTP = "127.0.0.1:7947";

const CONFIG_DEFAULTS = lanConfig();

const AGENT_FLAGS: readonly FlagSpec[] = [
  {name: "name", kind: "string", value: "NAME", help: "node name, unique in the cluster (default: host name)"},
  {name: "bind", kind: "string", value: "HOST:PORT", help: "UDP+TCP address (default 127.0.0.1:7946; port 0 = any)"},
  {name: "advertise", kind: "string", value: "HOST:PORT", help: "address others reach us at (default: bind)"},
  {name: "join", kind: "list", value: "ADDR", help: "seed HOST:PORT or DNS name (repeatable; all A/AAAA tried)"},
  {name: "retry-join-max", kind: "int", help: "startup join attempts, 0 = until joined (default 0)"},
  {name: "retry-join-interval-ms", kind: "int", help: "first wait between join attempts, doubling (default 1000)"},
  {name: "http", kind: "string", value: "HOST:PORT", help: `HTTP API address (default ${DEFAULT_HTTP}; 0 disables)`},
  {name: "profile", kind: "string", value: "lan|wan|local", help: "config preset (default lan)"},
  {name: "tag", kind: "list", value: "KEY=VALUE", help: "a tag, carried in node meta as serf does (repeatable)"},
  {name: "encrypt", kind: "list", value: "BASE64KEY", help: "AES key (16/24/32 bytes; repeat: first is primary)"},
  {name: "disable-compression", kind: "bool", help: "do not LZW-compress outgoing packets and streams"},
  {name: "seed", kind: "int", help: "PRNG seed of the protocol (default random)"},
  {name: "quiet", kind: "bool", help: "do not log member state changes to stderr"},
  {
    name: "event-handler",
    kind: "list",
    value: "[FILTER=]CMD",
    help: "run CMD (sh -c) on events; FILTER: member-join,member-leave,member-failed,member-update,member-suspect,heartbeat-up,heartbeat-down or * (repeatable)",
  },
  {name: "event-handler-timeout-ms", kind: "int", help: "kill a handler's process group after this (default 30000)"},
  {
    name: "heartbeat-listen",
    kind: "string",
    value: "HOST:PORT",
    help: 'accept plain heartbeats ("name\\n" over TCP and UDP)',
  },
  {name: "heartbeat-threshold", kind: "string", value: "PHI", help: "phi at which a device is down (default 8)"},
  {name: "heartbeat-min-std-deviation-ms", kind: "int", help: "phi's floor of the standard deviation (default 100)"},
  {
    name: "heartbeat-acceptable-pause-ms",
    kind: "int",
    help: "silence tolerated on top of the mean interval (default 3000)",
  },
  {name: "heartbeat-max-sample-size", kind: "int", help: "phi's window of intervals (default 1000)"},
  {name: "heartbeat-first-estimate-ms", kind: "int", help: "expected interval before any is measured (default 1000)"},
  {name: "heartbeat-rate-per-second", kind: "int", help: "beats accepted per second per source host (default 50)"},
  {name: "heartbeat-devices-max", kind: "int", help: "devices tracked (default 1024)"},
  {
    name: "heartbeat-report-interval-ms",
    kind: "int",
    help: "how often devices are shared with the cluster (default 2000)",
  },
  {
    name: "heartbeat-share",
    kind: "bool",
    help: "share devices with the cluster (default true; =false in serf clusters)",
  },
  {name: "ring-vnodes", kind: "int", help: "hash ring positions per member (default 256)"},
  ...CONFIG_FIELDS.map(
    (field): FlagSpec => ({
      name: toKebab(field),
      kind: typeof CONFIG_DEFAULTS[field] === "boolean" ? "bool" : "int",
      help: `SwimConfig.${field} (lan default ${String(CONFIG_DEFAULTS[field])})`,
    }),
  ),
];

const HTTP_FLAG: FlagSpec = {
  name: "http",
  kind: "string",
  value: "HOST:PORT",
  help: `agent HTTP API (default ${DEFAULT_HTTP})`,
};

const MEMBERS_FLAGS: readonly FlagSpec[] = [
  HTTP_FLAG,
  {name: "json", kind: "bool", help: "print a JSON array"},
  {name: "heartbeats", kind: "bool", help: "list plain-heartbeat devices (name, state, phi) instead of members"},
];

const RING_FLAGS: readonly FlagSpec[] = [
  HTTP_FLAG,
  {name: "n", kind: "int", help: "list the first N distinct owners (replicas), default 1"},
  {name: "json", kind: "bool", help: "print the JSON answer"},
];

const LEADER_FLAGS: readonly FlagSpec[] = [
  HTTP_FLAG,
  {name: "key", kind: "string", value: "KEY", help: "the role's ring key (default lifeline/leader)"},
  {name: "tag", kind: "list", value: "KEY=VALUE", help: "only members with this tag are candidates (repeatable)"},
];

const USAGE = `Usage: lifeline <command> [flags]

Commands:
  agent     run an agent (SWIM + Lifeguard, wire-compatible with serf/memberlist)
  members   list the members a running agent knows (--json for JSON)
  join      ask a running agent to join ADDR...
  leave     ask a running agent to leave the cluster gracefully
  ring      print which member owns KEY on the hash ring (ring KEY [--n N])
  leader    print the leader a running agent computes (--key K, --tag k=v)
  keygen    print a new base64 encryption key
  demo      start 5 agents on loopback, kill one, stop one, print detection times
  sim       run the deterministic cluster simulator (lifeline sim --help)

Run 'lifeline <command> --help' for the flags of a command.
`;

/** Runs the CLI and returns the exit code. Never calls process.exit. */
export async function run(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case undefined:
      case "help":
      case "-h":
      case "--help":
        io.stdout(USAGE);
        return command === undefined ? 2 : 0;
      case "agent":
        return await runAgent(rest, io);
      case "members":
        return await runMembers(rest, io);
      case "join":
        return await runJoin(rest, io);
      case "leave":
        return await runLeave(rest, io);
      case "ring":
        return await runRing(rest, io);
      case "leader":
        return await runLeader(rest, io);
      case "keygen": {
        const parsed = parseFlags(rest, []);
        if (parsed.help) {
          io.stdout(
            "Usage: lifeline keygen\n  Prints a fresh 32-byte key, standard base64, for --encrypt (and serf -encrypt).\n",
          );
          return 0;
        }
        io.stdout(`${generateKeyBase64()}\n`);
        return 0;
      }
      case "demo": {
        const parsed = parseFlags(rest, [
          {name: "nodes", kind: "int", help: "agents to start (3..9, default 5)"},
          {name: "quick", kind: "bool", help: "no pauses for watching"},
        ]);
        if (parsed.help) {
          io.stdout(
            "Usage: lifeline demo [--nodes N] [--quick]\n  Starts agents on loopback, SIGKILLs one, stops one gracefully, reports timings.\n",
          );
          return 0;
        }
        const nodes = (parsed.values.get("nodes") as number | undefined) ?? 5;
        if (nodes < 3 || nodes > 9) throw new UsageError("invalid --nodes; must be an integer between 3 and 9");
        const {runDemo} = await import("./demo.ts");
        return await runDemo({nodes, io, quick: parsed.values.get("quick") === true});
      }
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)} (try lifeline --help)`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`lifeline${command && !command.startsWith("-") ? ` ${command}` : ""}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** The bin entry point: runs the CLI and exits with its code. */
export async function main(args: readonly string[]): Promise<void> {
  // A closed pipe (`lifeline demo | head`) must not crash the CLI before it cleans up.
  process.stdout.on("error", () => {});
  process.stderr.on("error", () => {});
  let code: number;
  try {
    code = await run(args);
  } catch (error) {
    process.stderr.write(`lifeline: ${error instanceof Error ? error.message : String(error)}\n`);
    code = 1;
  }
  process.exit(code);
}

function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    onSignal: (handler) => {
      const onInt = (): void => handler("SIGINT");
      const onTerm = (): void => handler("SIGTERM");
      process.on("SIGINT", onInt);
      process.on("SIGTERM", onTerm);
      return () => {
        process.off("SIGINT", onInt);
        process.off("SIGTERM", onTerm);
      };
    },
  };
}

/** Turns parsed agent flags into an AgentInit. Throws UsageError naming the flag. */
export function agentInitFromFlags(values: ReadonlyMap<string, unknown>): AgentInit {
  const init: Record<string, unknown> = {};
  const str = (name: string): string | undefined => values.get(name) as string | undefined;
  if (str("name") !== undefined) init.name = str("name");
  init.bind = str("bind") ?? "127.0.0.1:7946";
  if (str("advertise") !== undefined) init.advertise = str("advertise");
  const join = values.get("join") as string[] | undefined;
  if (join) init.join = join;
  if (values.has("retry-join-max")) init.retryJoinMax = values.get("retry-join-max");
  if (values.has("retry-join-interval-ms")) init.retryJoinIntervalMs = values.get("retry-join-interval-ms");
  const http = str("http") ?? DEFAULT_HTTP;
  if (http !== "0" && http !== "") init.http = http;
  if (str("profile") !== undefined) {
    const profile = str("profile") as string;
    if (!["lan", "wan", "local"].includes(profile))
      throw new UsageError(`invalid --profile; must be one of lan, wan, local`);
    init.profile = profile;
  }
  const tags: Record<string, string> = {};
  for (const tag of (values.get("tag") as string[] | undefined) ?? []) {
    const eq = tag.indexOf("=");
    if (eq <= 0)
      throw new UsageError(`invalid --tag; must be KEY=VALUE with a non-empty KEY, got ${JSON.stringify(tag)}`);
    tags[tag.slice(0, eq)] = tag.slice(eq + 1);
  }
  init.tags = tags;
  const keys = values.get("encrypt") as string[] | undefined;
  if (keys) init.encrypt = keys;
  if (values.get("disable-compression") === true) init.compress = false;
  if (values.has("seed")) init.seed = values.get("seed");
  const handlers = values.get("event-handler") as string[] | undefined;
  if (handlers) init.eventHandlers = handlers;
  if (values.has("event-handler-timeout-ms")) init.eventHandlerTimeoutMs = values.get("event-handler-timeout-ms");
  if (str("heartbeat-listen") !== undefined) init.heartbeatListen = str("heartbeat-listen");
  if (values.has("ring-vnodes")) init.ringVnodes = values.get("ring-vnodes");
  const phi: Record<string, unknown> = {};
  const heartbeat: Record<string, unknown> = {};
  if (str("heartbeat-threshold") !== undefined) {
    const threshold = Number(str("heartbeat-threshold"));
    if (!Number.isFinite(threshold) || threshold <= 0)
      throw new UsageError("invalid --heartbeat-threshold; must be a number > 0");
    phi.threshold = threshold;
  }
  for (const [flag, field] of HEARTBEAT_PHI_FLAGS) if (values.has(flag)) phi[field] = values.get(flag);
  for (const [flag, field] of HEARTBEAT_FLAGS) if (values.has(flag)) heartbeat[field] = values.get(flag);
  if (values.has("heartbeat-share")) heartbeat.share = values.get("heartbeat-share");
  if (Object.keys(phi).length > 0) heartbeat.phi = phi;
  if (Object.keys(heartbeat).length > 0) init.heartbeat = heartbeat;
  for (const field of CONFIG_FIELDS) {
    const flag = toKebab(field);
    if (values.has(flag)) init[field] = values.get(flag);
  }
  return init as AgentInit;
}

/** Flags for the heartbeat detector's phi settings: flag → PhiAccrualConfig field. */
const HEARTBEAT_PHI_FLAGS: readonly (readonly [string, string])[] = [
  ["heartbeat-min-std-deviation-ms", "minStdDeviationMs"],
  ["heartbeat-acceptable-pause-ms", "acceptableHeartbeatPauseMs"],
  ["heartbeat-max-sample-size", "maxSampleSize"],
  ["heartbeat-first-estimate-ms", "firstHeartbeatEstimateMs"],
];

/** Flags for the heartbeat service: flag → AgentInit.heartbeat field. */
const HEARTBEAT_FLAGS: readonly (readonly [string, string])[] = [
  ["heartbeat-rate-per-second", "ratePerSecond"],
  ["heartbeat-devices-max", "devicesMax"],
  ["heartbeat-report-interval-ms", "reportIntervalMs"],
];

/** Maps an agent/config error field to the flag that sets it. */
function flagForField(field: string): string {
  const map: Record<string, string> = {
    tags: "tag",
    addrs: "join",
    retryJoinMax: "retry-join-max",
    eventHandlers: "event-handler",
    "heartbeat.phi.threshold": "heartbeat-threshold",
  };
  for (const [flag, name] of HEARTBEAT_PHI_FLAGS) map[`heartbeat.phi.${name}`] = flag;
  for (const [flag, name] of HEARTBEAT_FLAGS) map[`heartbeat.${name}`] = flag;
  return `--${map[field] ?? toKebab(field)}`;
}

function agentUsage(): string {
  return `Usage: lifeline agent [flags]

Runs an agent until SIGINT or SIGTERM, then leaves gracefully. Logs member state changes to
stderr, one line each. Set DEBUG=lifeline:* for protocol logs.

Flags:
${formatFlagHelp(AGENT_FLAGS)}
`;
}

async function runAgent(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(args, AGENT_FLAGS);
  if (parsed.help) {
    io.stdout(agentUsage());
    return 0;
  }
  const init = agentInitFromFlags(parsed.values);
  let agent: Agent;
  try {
    agent = await createAgent(init);
  } catch (error) {
    if (error instanceof InvalidConfigError || error instanceof InvalidInitError) {
      const rule = error.message
        .replace(/^invalid [^;]+; /, "")
        .replace(/\b[a-z]+(?:[A-Z][a-z]*)+\b/g, (word) =>
          CONFIG_FIELDS.includes(word as never) ? `--${toKebab(word)}` : word,
        );
      throw new UsageError(`invalid ${flagForField(error.field)}; ${rule}`);
    }
    if (error instanceof BindError) {
      io.stderr(`lifeline agent: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const quiet = parsed.values.get("quiet") === true;
  const line = (text: string): void => io.stderr(`${new Date().toISOString()} ${text}\n`);
  const describe = (m: AgentMember): string =>
    `${m.name} ${formatHostPort({host: m.addr, port: m.port})} incarnation ${m.incarnation}`;
  if (!quiet) {
    agent.on("member:up", (m) => line(`member up ${describe(m)}`));
    agent.on("member:suspect", (m) => line(`member suspect ${describe(m)}`));
    agent.on("member:alive", (m) => line(`member alive ${describe(m)} (suspicion refuted)`));
    agent.on("member:down", (m, reason) => line(`member ${reason === "left" ? "left" : "failed"} ${describe(m)}`));
    agent.on("member:updated", (m) => line(`member updated ${describe(m)} tags ${formatTags(m.tags)}`));
    agent.on("refuted", (r) => line(`refuted an accusation by ${r.accusedBy} (incarnation ${r.incarnation})`));
    agent.on("join:attempt", (r) =>
      line(
        r.answered > 0
          ? `joined (${r.answered} seed(s) answered)`
          : `join attempt ${r.attempt} failed: ${r.errors.join("; ")}`,
      ),
    );
    agent.on("heartbeat:up", (d) => line(`heartbeat up ${d.name} from ${d.addr ?? d.sources.join(",")}`));
    agent.on("heartbeat:down", (d) => line(`heartbeat down ${d.name} phi ${d.phi ?? "inf"}`));
  }
  agent.on("handler:log", (text) => line(text));
  const http = agent.httpAddress;
  line(
    `agent ${agent.name} listening on ${formatHostPort(agent.address)} advertise ${formatHostPort(agent.advertiseAddress)}` +
      ` http ${http ? formatHostPort(http) : "off"} profile ${agent.config.profile}` +
      `${agent.config.keyring ? " encrypted" : ""}` +
      `${agent.heartbeatAddress ? ` heartbeats ${formatHostPort(agent.heartbeatAddress)}` : ""}` +
      `${agent.config.eventHandlers.length > 0 ? ` event-handlers ${agent.config.eventHandlers.length}` : ""}`,
  );
  return await new Promise<number>((resolve) => {
    let stopping = false;
    const unsubscribe = io.onSignal?.((signal) => {
      if (stopping) {
        line(`${signal} again: stopping without waiting`);
        void agent.stop().then(() => resolve(1));
        return;
      }
      stopping = true;
      line(`${signal}: leaving the cluster`);
      void agent
        .leave()
        .catch(() => undefined)
        .then(() => agent.stop())
        .then(() => {
          line("left; stopped");
          unsubscribe?.();
          resolve(0);
        });
    });
    if (agent.config.join.length > 0 && agent.config.retryJoinMax > 0) {
      // Like serf's -retry-max: give up (and exit 1) when no seed answered in time.
      void agent.joined.then((joined) => {
        if (joined || stopping || agent.state !== "running") return;
        stopping = true;
        line(
          `could not join any of ${agent.config.join.length} seed(s) in ${agent.config.retryJoinMax} attempt(s); stopping`,
        );
        void agent.stop().then(() => {
          unsubscribe?.();
          resolve(1);
        });
      });
    }
    agent.once("left", () => {
      // Left through the HTTP API: stop and exit.
      if (stopping) return;
      stopping = true;
      line("left the cluster (requested over HTTP); stopping");
      setTimeout(() => {
        void agent.stop().then(() => {
          unsubscribe?.();
          resolve(0);
        });
      }, 200);
    });
  });
}

function formatTags(tags: Readonly<Record<string, string>>): string {
  const entries = Object.entries(tags);
  return entries.length === 0 ? "-" : entries.map(([k, v]) => `${k}=${v}`).join(",");
}

function httpBase(values: ReadonlyMap<string, unknown>): string {
  const text = (values.get("http") as string | undefined) ?? DEFAULT_HTTP;
  try {
    const hostPort = parseHostPort(text, "http");
    return `http://${formatHostPort(hostPort)}`;
  } catch (error) {
    throw new UsageError(`invalid --http; ${(error as Error).message.replace(/^invalid [^;]+; /, "")}`);
  }
}

async function request(
  base: string,
  path: string,
  init?: {method: string; body?: unknown},
): Promise<{status: number; body: unknown}> {
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method: init?.method ?? "GET",
      ...(init?.body !== undefined
        ? {body: JSON.stringify(init.body), headers: {"content-type": "application/json"}}
        : {}),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = (error as {cause?: {code?: string}}).cause?.code ?? (error as Error).message;
    throw new AgentUnreachable(
      `cannot reach the agent at ${base} (${cause}); is \`lifeline agent\` running with --http?`,
    );
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON; keep the text
  }
  return {status: response.status, body};
}

class AgentUnreachable extends Error {}

async function clientCommand(name: string, io: CliIo, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof AgentUnreachable) {
      io.stderr(`lifeline ${name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

function errorText(body: unknown): string {
  return typeof body === "object" && body !== null && "error" in body
    ? String((body as {error: unknown}).error)
    : String(body);
}

async function runMembers(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(args, MEMBERS_FLAGS);
  if (parsed.help) {
    io.stdout(`Usage: lifeline members [flags]\n\nFlags:\n${formatFlagHelp(MEMBERS_FLAGS)}\n`);
    return 0;
  }
  const base = httpBase(parsed.values);
  if (parsed.values.get("heartbeats") === true) return runHeartbeats(base, parsed.values.get("json") === true, io);
  return clientCommand("members", io, async () => {
    const {status, body} = await request(base, "/v1/members");
    if (status !== 200 || !Array.isArray(body)) {
      io.stderr(`lifeline members: ${errorText(body)}\n`);
      return 1;
    }
    const members = body as AgentMember[];
    if (parsed.values.get("json") === true) io.stdout(`${JSON.stringify(members, null, 2)}\n`);
    else io.stdout(formatMemberTable(members));
    return 0;
  });
}

/** A fixed-width member table (name, address, state, incarnation, tags), sorted by name. */
export function formatMemberTable(members: readonly AgentMember[]): string {
  const rows = [...members]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((m) => [
      m.name,
      formatHostPort({host: m.addr, port: m.port}),
      m.state,
      String(m.incarnation),
      formatTags(m.tags),
    ]);
  return formatTable(["NAME", "ADDRESS", "STATE", "INCARNATION", "TAGS"], rows);
}

async function runJoin(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(args, [HTTP_FLAG], true);
  if (parsed.help) {
    io.stdout(
      `Usage: lifeline join [--http HOST:PORT] ADDR...\n  Asks the agent to join the cluster through ADDR (HOST:PORT or DNS name).\n`,
    );
    return 0;
  }
  if (parsed.positionals.length === 0) throw new UsageError("needs at least one ADDR (HOST:PORT or DNS name)");
  const base = httpBase(parsed.values);
  return clientCommand("join", io, async () => {
    const {status, body} = await request(base, "/v1/join", {method: "POST", body: {addrs: parsed.positionals}});
    if (status === 400) throw new UsageError(errorText(body));
    if (status !== 200) {
      io.stderr(`lifeline join: ${errorText(body)}\n`);
      return 1;
    }
    io.stdout(`joined: ${(body as {joined: number}).joined} address(es) answered\n`);
    return 0;
  });
}

async function runLeave(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(args, [HTTP_FLAG]);
  if (parsed.help) {
    io.stdout(`Usage: lifeline leave [--http HOST:PORT]\n  Asks the agent to leave gracefully; it then stops.\n`);
    return 0;
  }
  const base = httpBase(parsed.values);
  return clientCommand("leave", io, async () => {
    const {status, body} = await request(base, "/v1/leave", {method: "POST"});
    if (status !== 200) {
      io.stderr(`lifeline leave: ${errorText(body)}\n`);
      return 1;
    }
    io.stdout("left the cluster\n");
    return 0;
  });
}

/** One plain-heartbeat device as GET /v1/heartbeats returns it. */
interface DeviceRow {
  readonly name: string;
  readonly state: string;
  readonly phi: number | null;
  readonly lastBeatAgoMs: number | null;
  readonly addr: string | null;
  readonly sources: readonly string[];
}

async function runHeartbeats(base: string, json: boolean, io: CliIo): Promise<number> {
  return clientCommand("members", io, async () => {
    const {status, body} = await request(base, "/v1/heartbeats");
    if (status !== 200 || !Array.isArray(body)) {
      io.stderr(`lifeline members: ${errorText(body)}\n`);
      return 1;
    }
    const devices = body as DeviceRow[];
    if (json) {
      io.stdout(`${JSON.stringify(devices, null, 2)}\n`);
      return 0;
    }
    const rows = devices.map((d) => [
      d.name,
      d.state,
      d.phi === null ? "inf" : d.phi.toFixed(2),
      d.lastBeatAgoMs === null ? "-" : `${d.lastBeatAgoMs}ms`,
      d.addr ?? "-",
      d.sources.join(",") || "-",
    ]);
    io.stdout(formatTable(["DEVICE", "STATE", "PHI", "LAST BEAT", "ADDRESS", "HEARD BY"], rows));
    return 0;
  });
}

/** Left-aligned columns two spaces apart, each as wide as its widest cell; the last is not padded. */
function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const format = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] as number)))
      .join("  ")
      .trimEnd();
  return `${[format(header), ...rows.map(format)].join("\n")}\n`;
}

async function runRing(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(args, RING_FLAGS, true);
  if (parsed.help) {
    io.stdout(
      `Usage: lifeline ring KEY [flags]\n  Prints the member that owns KEY on the agent's hash ring (and the next N-1 with --n).\n\nFlags:\n${formatFlagHelp(RING_FLAGS)}\n`,
    );
    return 0;
  }
  if (parsed.positionals.length !== 1) throw new UsageError("needs exactly one KEY");
  const key = parsed.positionals[0] as string;
  const n = (parsed.values.get("n") as number | undefined) ?? 1;
  if (n < 1 || n > 1000) throw new UsageError("invalid --n; must be an integer between 1 and 1000");
  const base = httpBase(parsed.values);
  return clientCommand("ring", io, async () => {
    const {status, body} = await request(base, `/v1/ring?key=${encodeURIComponent(key)}&n=${n}`);
    if (status !== 200) {
      io.stderr(`lifeline ring: ${errorText(body)}\n`);
      return 1;
    }
    const answer = body as {owner: string | null; owners: string[]};
    if (parsed.values.get("json") === true) io.stdout(`${JSON.stringify(body, null, 2)}\n`);
    else if (answer.owner === null) {
      io.stderr("lifeline ring: the ring is empty\n");
      return 1;
    } else io.stdout(`${answer.owners.join("\n")}\n`);
    return 0;
  });
}

async function runLeader(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(args, LEADER_FLAGS);
  if (parsed.help) {
    io.stdout(
      `Usage: lifeline leader [flags]\n  Prints the leader the agent computes: the ring owner of KEY among up members with the tags.\n  Deterministic, not consensus: agents agree once their member lists agree.\n\nFlags:\n${formatFlagHelp(LEADER_FLAGS)}\n`,
    );
    return 0;
  }
  const query = new URLSearchParams();
  const key = parsed.values.get("key") as string | undefined;
  if (key !== undefined) query.set("key", key);
  for (const tag of (parsed.values.get("tag") as string[] | undefined) ?? []) {
    if (tag.indexOf("=") <= 0)
      throw new UsageError(`invalid --tag; must be KEY=VALUE with a non-empty KEY, got ${JSON.stringify(tag)}`);
    query.append("tag", tag);
  }
  const base = httpBase(parsed.values);
  return clientCommand("leader", io, async () => {
    const {status, body} = await request(base, `/v1/leader?${query}`);
    if (status !== 200) {
      io.stderr(`lifeline leader: ${errorText(body)}\n`);
      return 1;
    }
    const leader = (body as {leader: string | null}).leader;
    if (leader === null) {
      io.stderr("lifeline leader: no candidate\n");
      return 1;
    }
    io.stdout(`${leader}\n`);
    return 0;
  });
}
