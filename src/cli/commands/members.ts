/* `lifeline members`: the members (or, with --heartbeats, the plain-heartbeat devices) a running agent knows. */
import {type AgentMember, formatHostPort} from "../../agent/index.ts";
import type {CliIo, Command} from "../command.ts";
import type {FlagSpec} from "../flags.ts";
import {type ApiTarget, CLIENT_FLAGS, clientCommand, errorText, httpBase, request} from "../http-client.ts";
import {formatTable, formatTags} from "../table.ts";

const FLAGS: readonly FlagSpec[] = [
  ...CLIENT_FLAGS,
  {name: "json", type: "bool", help: "print a JSON array"},
  {name: "heartbeats", type: "bool", help: "list plain-heartbeat devices (name, state, phi) instead of members"},
];

export const membersCommand: Command = {
  name: "members",
  synopsis: "[flags]",
  description: "  Lists the members the agent knows, sorted by name.",
  flags: FLAGS,
  async run(parsed, io) {
    const base = httpBase(parsed, io);
    const json = parsed.values.get("json") === true;
    if (parsed.values.get("heartbeats") === true) return runHeartbeats(base, json, io);
    return clientCommand("members", io, async () => {
      const {status, body} = await request(base, "/v1/members");
      if (status !== 200 || !Array.isArray(body)) {
        io.stderr(`lifeline members: ${errorText(body)}\n`);
        return 1;
      }
      const members = body as AgentMember[];
      if (json) io.stdout(`${JSON.stringify(members, null, 2)}\n`);
      else io.stdout(formatMemberTable(members));
      return 0;
    });
  },
};

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

/** One plain-heartbeat device as GET /v1/heartbeats returns it. */
interface DeviceRow {
  readonly name: string;
  readonly state: string;
  readonly phi: number | null;
  readonly lastBeatAgoMs: number | null;
  readonly addr: string | null;
  readonly sources: readonly string[];
}

async function runHeartbeats(base: ApiTarget, json: boolean, io: CliIo): Promise<number> {
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
