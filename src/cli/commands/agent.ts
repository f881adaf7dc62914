/*
 * `lifeline agent`: runs an agent until SIGINT or SIGTERM, then leaves gracefully. Its flag table
 * says, for each flag, the AgentInit path it sets; the same table turns flags into an AgentInit
 * and blames a configuration error on the flag that set the field.
 */
import {
  type Agent,
  type AgentInit,
  type AgentMember,
  type AgentRuntimeHooks,
  createAgent,
  DEFAULT_PORT,
  formatHostPort,
} from "../../agent/index.ts";
import {InvalidConfigError, PROFILES} from "../../core/index.ts";
import {HANDLER_FILTERS_HELP, USER_COALESCE_DEFAULTS} from "../../hooks/index.ts";
import {PHI_ACCRUAL_DEFAULTS} from "../../phi/index.ts";
import {DEFAULT_VNODES} from "../../ring/index.ts";
import {isoTime} from "../../runtime/index.ts";
import {BindError} from "../../transport/index.ts";
import {agentInitFromSources, envFlags, envName, readConfigFile, type SourcedFlag} from "../agent-sources.ts";
import type {CliIo, Command} from "../command.ts";
import {swimConfigFlags} from "../config-flags.ts";
import {flagValue, type ParsedFlags, toKebab, usageErrorFor} from "../flags.ts";
import {DEFAULT_HTTP} from "../http-client.ts";
import {formatTags} from "../table.ts";
import {UsageError} from "../usage-error.ts";

/** A row of the agent's table: `convert` turns the flag's value into what `path` takes (undefined: unset). */
type AgentFlag = SourcedFlag;

export const AGENT_FLAGS: readonly AgentFlag[] = [
  {
    name: "config",
    type: "list",
    value: "FILE",
    help: 'JSON file of createAgent options, e.g. {"name": "web-1"} (repeatable; later files win)',
  },
  {
    name: "name",
    type: "string",
    value: "NAME",
    path: "name",
    help: "node name, unique in the cluster (default: host name)",
  },
  {
    name: "bind",
    type: "string",
    value: "HOST:PORT",
    path: "bind",
    help: `UDP+TCP address (default 127.0.0.1:${DEFAULT_PORT}; port 0 = any)`,
  },
  {
    name: "advertise",
    type: "string",
    value: "HOST:PORT",
    path: "advertise",
    help: "address others reach us at (default: bind)",
  },
  {
    name: "join",
    type: "list",
    value: "ADDR",
    path: "join",
    help: "seed HOST:PORT or DNS name (repeatable; all A/AAAA tried)",
  },
  {
    name: "retry-join-max",
    type: "int",
    path: "retryJoinMax",
    help: "startup join attempts, 0 = until joined (default 0)",
  },
  {
    name: "retry-join-interval-ms",
    type: "int",
    path: "retryJoinIntervalMs",
    help: "first wait between join attempts, doubling (default 1000)",
  },
  {
    name: "http",
    type: "string",
    value: "HOST:PORT",
    path: "http",
    default: DEFAULT_HTTP,
    help: "HTTP API address (0 disables)",
    convert: (value) => (value === "0" || value === "" ? undefined : value),
  },
  {
    name: "http-token",
    type: "string",
    value: "TOKEN",
    path: "httpToken",
    help: "require Authorization: Bearer TOKEN on every API request but /v1/health",
  },
  {
    name: "http-insecure",
    type: "bool",
    path: "httpInsecure",
    help: "allow a non-loopback --http without a token",
  },
  {
    name: "profile",
    type: "string",
    value: Object.keys(PROFILES).join("|"),
    path: "profile",
    choices: Object.keys(PROFILES),
    help: "config preset (default swift; lan = memberlist-exact timing)",
  },
  {
    name: "tag",
    type: "list",
    value: "KEY=VALUE",
    path: "tags",
    help: "a tag, carried in node meta as serf does (repeatable)",
    convert: (value) => tagsFromFlags(value as readonly string[]),
  },
  {
    name: "encrypt",
    type: "list",
    value: "BASE64KEY",
    path: "encrypt",
    help: "AES key (16/24/32 bytes; repeat: first is primary)",
  },
  {
    name: "label",
    type: "string",
    value: "LABEL",
    path: "label",
    help: "cluster label (1-255 bytes): traffic without it or with another is dropped",
  },
  {
    name: "disable-compression",
    type: "bool",
    path: "compress",
    help: "do not LZW-compress outgoing packets and streams",
    convert: (value) => (value === true ? false : undefined),
  },
  {
    name: "disable-coordinates",
    type: "bool",
    path: "disableCoordinates",
    help: "do not compute network coordinates (serf's -disable-coordinates; `lifeline rtt` then fails)",
    convert: (value) => (value === true ? true : undefined),
  },
  {name: "seed", type: "int", path: "seed", help: "PRNG seed of the protocol (default random)"},
  {name: "quiet", type: "bool", help: "do not log member state changes to stderr"},
  {
    name: "event-handler",
    type: "list",
    value: "[FILTER=]CMD",
    path: "eventHandlers",
    help: `run CMD (sh -c) on events; FILTER: comma list of ${HANDLER_FILTERS_HELP} (repeatable)`,
  },
  {
    name: "event-handler-timeout-ms",
    type: "int",
    path: "eventHandlerTimeoutMs",
    help: "kill a handler's process group after this (default 30000)",
  },
  {
    name: "user-coalesce-period-ms",
    type: "int",
    path: "userCoalescePeriodMs",
    help: `hold coalescible user events for handlers at most this long (default ${USER_COALESCE_DEFAULTS.coalescePeriodMs}; 0 = off)`,
  },
  {
    name: "user-quiescent-period-ms",
    type: "int",
    path: "userQuiescentPeriodMs",
    help: `run held user events after this long without one (default ${USER_COALESCE_DEFAULTS.quiescentPeriodMs}; 0 = off)`,
  },
  {
    name: "heartbeat-listen",
    type: "string",
    value: "HOST:PORT",
    path: "heartbeatListen",
    help: 'accept plain heartbeats ("name\\n" over TCP and UDP)',
  },
  {
    name: "heartbeat-threshold",
    type: "number",
    value: "PHI",
    path: "heartbeat.phi.threshold",
    help: `phi at which a device is down (default ${PHI_ACCRUAL_DEFAULTS.threshold})`,
  },
  {
    name: "heartbeat-min-std-deviation-ms",
    type: "int",
    path: "heartbeat.phi.minStdDeviationMs",
    help: `phi's floor of the standard deviation (default ${PHI_ACCRUAL_DEFAULTS.minStdDeviationMs})`,
  },
  {
    name: "heartbeat-acceptable-pause-ms",
    type: "int",
    path: "heartbeat.phi.acceptableHeartbeatPauseMs",
    help: `silence tolerated on top of the mean interval (default ${PHI_ACCRUAL_DEFAULTS.acceptableHeartbeatPauseMs})`,
  },
  {
    name: "heartbeat-max-sample-size",
    type: "int",
    path: "heartbeat.phi.maxSampleSize",
    help: `phi's window of intervals (default ${PHI_ACCRUAL_DEFAULTS.maxSampleSize})`,
  },
  {
    name: "heartbeat-first-estimate-ms",
    type: "int",
    path: "heartbeat.phi.firstHeartbeatEstimateMs",
    help: `expected interval before any is measured (default ${PHI_ACCRUAL_DEFAULTS.firstHeartbeatEstimateMs})`,
  },
  {
    name: "heartbeat-rate-per-second",
    type: "int",
    path: "heartbeat.ratePerSecond",
    help: "beats accepted per second per source host (default 50)",
  },
  {name: "heartbeat-max-devices", type: "int", path: "heartbeat.maxDevices", help: "devices tracked (default 1024)"},
  {
    name: "heartbeat-report-interval-ms",
    type: "int",
    path: "heartbeat.reportIntervalMs",
    help: "how often devices are shared with the cluster (default 2000)",
  },
  {
    name: "heartbeat-share",
    type: "bool",
    path: "heartbeat.share",
    help: "share devices with the cluster (default true; =false in serf clusters)",
  },
  {
    name: "ring-vnodes",
    type: "int",
    path: "ringVnodes",
    help: `hash ring positions per member (default ${DEFAULT_VNODES})`,
  },
  ...swimConfigFlags(""),
];

function tagsFromFlags(list: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const tag of list) {
    const eq = tag.indexOf("=");
    if (eq <= 0)
      throw UsageError.invalid("--tag", `must be KEY=VALUE with a non-empty KEY, got ${JSON.stringify(tag)}`);
    tags[tag.slice(0, eq)] = tag.slice(eq + 1);
  }
  return tags;
}

/** Turns parsed agent flags into an AgentInit, each value at its table path. Throws UsageError naming the flag. */
/** The AgentInit of a command line: its flags over LIFELINE_* variables over its --config files over defaults. */
export function agentInitFromFlags(
  parsed: ParsedFlags,
  env: Readonly<Record<string, string | undefined>> = {},
  read?: (path: string) => string,
): AgentInit {
  const files = ((flagValue(parsed, AGENT_FLAGS, "config") as readonly string[] | undefined) ?? []).map((path) =>
    readConfigFile(path, read),
  );
  return agentInitFromSources(AGENT_FLAGS, parsed, {files, env: envFlags(env, AGENT_FLAGS)});
}

export const agentCommand: Command = {
  name: "agent",
  synopsis: "[flags]",
  description:
    "Runs an agent until SIGINT or SIGTERM, then leaves gracefully. Logs member state changes to\n" +
    "stderr, one line each. Set DEBUG=lifeline:* for protocol logs.",
  flags: AGENT_FLAGS,
  footer:
    "Precedence: flags > environment > config files > defaults. Every flag that sets an option can\n" +
    "also come from LIFELINE_<FLAG> (e.g. LIFELINE_PROBE_INTERVAL_MS=500, LIFELINE_JOIN=a:7946,b:7946;\n" +
    'list flags take a comma list). Config files use createAgent\'s option names: {"probeIntervalMs": 500}.',
  run: (parsed, io) => runAgent(parsed, io),
};

/**
 * Runs one agent from its flags until it stops; `hooks` go to createAgent, and `started` is
 * called once it runs, with the log-line writer (the testbed agent's control channel).
 */
export async function runAgent(
  parsed: ParsedFlags,
  io: CliIo,
  hooks: AgentRuntimeHooks = {},
  started?: (agent: Agent, line: (text: string) => void) => void,
): Promise<number> {
  const init = agentInitFromFlags(parsed, io.env ?? process.env);
  let agent: Agent;
  try {
    agent = await createAgent(init, hooks);
  } catch (error) {
    if (error instanceof InvalidConfigError) {
      const usage =
        usageErrorFor(AGENT_FLAGS, error) ??
        UsageError.invalid(`--${toKebab(error.field)}`, error.rule, {cause: error});
      // A value that came from the environment, not the command line, is blamed on its variable.
      const flag = usage.flag?.replace(/^-+/, "");
      const variable = flag === undefined ? undefined : envName(flag);
      if (
        flag !== undefined &&
        !parsed.values.has(flag) &&
        variable &&
        (io.env ?? process.env)[variable] !== undefined
      ) {
        throw new UsageError(`${variable}: ${error.rule}`, {cause: error});
      }
      throw usage;
    }
    if (error instanceof BindError) {
      io.stderr(`lifeline agent: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const line = (text: string): void => io.stderr(`${isoTime()} ${text}\n`);
  if (parsed.values.get("quiet") !== true) logMemberEvents(agent, line);
  agent.on("handler:log", (text) => line(text));
  const http = agent.httpAddress;
  line(
    `agent ${agent.name} listening on ${formatHostPort(agent.address)} advertise ${formatHostPort(agent.advertiseAddress)}` +
      ` http ${http ? formatHostPort(http) : "off"} profile ${agent.config.profile}` +
      `${agent.config.keyring ? " encrypted" : ""}` +
      `${agent.config.label !== undefined ? ` label ${JSON.stringify(agent.config.label)}` : ""}` +
      `${agent.heartbeatAddress ? ` heartbeats ${formatHostPort(agent.heartbeatAddress)}` : ""}` +
      `${agent.config.eventHandlers.length > 0 ? ` event-handlers ${agent.config.eventHandlers.length}` : ""}`,
  );
  started?.(agent, line);
  return await untilStopped(agent, io, line);
}

function logMemberEvents(agent: Agent, line: (text: string) => void): void {
  const describe = (m: AgentMember): string =>
    `${m.name} ${formatHostPort({host: m.addr, port: m.port})} incarnation ${m.incarnation}`;
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

/** Resolves with the exit code once the agent stopped: on a signal, a failed startup join, or a leave over HTTP. */
function untilStopped(agent: Agent, io: CliIo, line: (text: string) => void): Promise<number> {
  return new Promise<number>((resolve) => {
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
