/*
 * The serf half of the side-by-side benchmark: starts one `serf agent` per member on loopback
 * with the given memberlist profile, and reads each agent's member list over a persistent RPC
 * connection. Statuses are normalised to the benchmark's vocabulary: alive, failed, left
 * (serf's "leaving" counts as alive; serf does not expose memberlist's suspect state).
 */
import {execFileSync} from "node:child_process";
import {spawnAgent} from "./agent-procs.mjs";
import {SerfRpc} from "./serf-rpc.mjs";

/** `serf version`'s first line, or undefined when the binary is missing. */
export function serfVersion() {
  try {
    return execFileSync("serf", ["version"], {encoding: "utf8"}).split("\n")[0];
  } catch {
    return undefined;
  }
}

function normalise(status) {
  if (status === "alive" || status === "leaving") return "alive";
  return status;
}

/**
 * Starts `serf agent` on `ports` = [gossip, rpc] (free, from freePort); `join` is "host:port" or
 * undefined; `extraArgs` are more agent flags, `onLine` sees every output line. Returns at once
 * with an agent handle; `view()` answers once the RPC is up.
 */
export async function startSerfAgent({name, host, ports, profile, join, extraArgs = [], onLine}) {
  const [port, rpcPort] = ports;
  const args = [
    "agent",
    `-node=${name}`,
    `-bind=${host}:${port}`,
    `-rpc-addr=${host}:${rpcPort}`,
    `-profile=${profile}`,
    "-log-level=info",
  ];
  if (join) args.push(`-join=${join}`);
  args.push(...extraArgs);
  const proc = spawnAgent(`serf ${name}`, "serf", args, onLine);
  let rpc;
  return {
    name,
    pid: proc.pid,
    addr: `${host}:${port}`,
    proc,
    /** Map name → normalised status, or undefined while the RPC is not reachable yet. */
    async view() {
      if (proc.exited) return undefined;
      try {
        if (!rpc || rpc.closed) rpc = await new SerfRpc(host, rpcPort).open();
        const members = await rpc.members();
        return new Map(members.map((m) => [m.name, normalise(m.status)]));
      } catch {
        rpc?.close();
        rpc = undefined;
        return undefined;
      }
    },
    /** Joins `addr` through the RPC (the agent must be answering). */
    async join(addr) {
      if (!rpc || rpc.closed) rpc = await new SerfRpc(host, rpcPort).open();
      const answered = await rpc.join([addr]);
      if (answered < 1) throw new Error(`serf ${name} could not join ${addr}`);
    },
    close() {
      rpc?.close();
    },
  };
}
