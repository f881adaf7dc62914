/*
 * Creating and removing a run's namespaces (plan.ts names them). Creation builds the hub with its
 * bridge, then per agent a namespace, a veth pair whose hub end joins the bridge, the agent's
 * address and its loopback, and the agent's firewall chains (firewall.ts). Everything lives in
 * the run's namespaces, so deleting them removes every interface and rule with them; processes
 * still inside are killed first. Removal is synchronous so it can run in an `exit` handler.
 */
import {run, runSync, TestbedError} from "./commands.ts";
import {firewallSetup, restoreCommand} from "./firewall.ts";
import {
  HUB_IPV4,
  HUB_IPV6,
  hubPort,
  nodeIpv4,
  nodeIpv6,
  nodeNamespace,
  TESTBED_PREFIX,
  type TestbedPlan,
} from "./plan.ts";

/** Every namespace name of the plan, hub first. */
export function planNamespaces(plan: TestbedPlan): string[] {
  const out = [plan.hub];
  for (let i = 0; i < plan.nodes; i++) out.push(nodeNamespace(plan, i));
  return out;
}

/** Creates the plan's namespaces, bridge, veth pairs, addresses and firewall chains. */
export async function createNetwork(plan: TestbedPlan): Promise<void> {
  const hub = plan.hub;
  await run("ip", ["netns", "add", hub]);
  const hubBatch = ["link set lo up", "link add br0 type bridge", `addr add ${HUB_IPV4}/16 dev br0`];
  if (plan.ipv6) hubBatch.push(`addr add ${HUB_IPV6}/64 dev br0 nodad`);
  hubBatch.push("link set br0 up");
  await run("ip", ["-n", hub, "-batch", "-"], `${hubBatch.join("\n")}\n`);
  const one = async (i: number): Promise<void> => {
    const ns = nodeNamespace(plan, i);
    await run("ip", ["netns", "add", ns]);
    await run("ip", ["-n", hub, "link", "add", hubPort(i), "type", "veth", "peer", "name", "eth0", "netns", ns]);
    await run("ip", ["-n", hub, "link", "set", hubPort(i), "master", "br0", "up"]);
    const batch = ["link set lo up", `addr add ${nodeIpv4(i)}/16 dev eth0`];
    if (plan.ipv6) batch.push(`addr add ${nodeIpv6(i)}/64 dev eth0 nodad`);
    batch.push("link set eth0 up");
    await run("ip", ["-n", ns, "-batch", "-"], `${batch.join("\n")}\n`);
    await run("ip", ["netns", "exec", ns, restoreCommand(plan.ipv6), "--noflush"], firewallSetup());
  };
  // A few at a time: the machine may be small, and `ip` is quick.
  for (let i = 0; i < plan.nodes; i += 4) {
    const batch: Promise<void>[] = [];
    for (let k = i; k < Math.min(plan.nodes, i + 4); k++) batch.push(one(k));
    await Promise.all(batch);
  }
}

/** Namespaces of testbed runs on this machine (all runs, or one run id). */
export function listTestbedNamespaces(runId?: string): string[] {
  const prefix = runId === undefined ? TESTBED_PREFIX : `${TESTBED_PREFIX}${runId}-`;
  return (runSync("ip", ["netns", "list"]) ?? "")
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((name) => name.startsWith(prefix));
}

/** Kills every process inside `namespaces` and deletes them (synchronous; tolerates what is gone). */
export function removeNamespaces(namespaces: readonly string[]): void {
  for (const ns of namespaces) {
    for (const pid of (runSync("ip", ["netns", "pids", ns]) ?? "").split("\n").filter(Boolean)) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  for (const ns of namespaces) runSync("ip", ["netns", "del", ns]);
}

/** Removes run `runId` (or every testbed run); returns what was removed. Throws when something stays. */
export function removeRun(runId?: string): string[] {
  const found = listTestbedNamespaces(runId);
  removeNamespaces(found);
  const left = listTestbedNamespaces(runId);
  if (left.length > 0) throw new TestbedError(`could not remove namespaces ${left.join(", ")}`);
  return found;
}
