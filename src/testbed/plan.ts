/*
 * The testbed's names and addresses, as pure functions of a run id and a node index. Nothing here
 * touches the system; network.ts creates what this file names.
 *
 *   namespace lltb-<run>-hub   br0 198.18.255.254/16 (fd00:198:18::fffe/64)
 *                               ├── vn0 ══ veth ══ eth0 in lltb-<run>-n0   198.18.0.1/16 (fd00:198:18::1/64)
 *                               ├── vn1 ══ veth ══ eth0 in lltb-<run>-n1   198.18.0.2/16
 *                               └── …
 *
 * Every address comes from 198.18.0.0/15, the range RFC 2544 sets aside for benchmarks, or from
 * the ULA fd00:198:18::/64; nothing is created in the root namespace, no namespace has a route
 * out, so traffic never leaves the namespaces of the run. The hub's own address is where the
 * runner (which runs inside the hub) reads the agents' HTTP API.
 */

/** Every testbed namespace starts with this; `lifeline testbed --cleanup` removes exactly these. */
export const TESTBED_PREFIX = "lltb-";
/** The gossip port (UDP and TCP) of every agent; the only port faults act on. */
export const GOSSIP_PORT = 7946;
/** The HTTP API port of every agent (never affected by faults). */
export const HTTP_PORT = 8946;
/** Largest cluster the address plan (one /16) and the name scheme allow. */
export const MAX_TESTBED_NODES = 1_000;

/** The names and addresses of one run. */
export interface TestbedPlan {
  readonly runId: string;
  readonly nodes: number;
  readonly ipv6: boolean;
  readonly hub: string;
}

/** A fresh run id: short, lowercase, unique per process and call. */
export function createRunId(pid: number, random: () => number): string {
  return `${pid.toString(36)}${Math.floor(random() * 36 ** 4)
    .toString(36)
    .padStart(4, "0")}`;
}

/** The plan of run `runId` with `nodes` agents. */
export function createPlan(runId: string, nodes: number, ipv6: boolean): TestbedPlan {
  return {runId, nodes, ipv6, hub: `${TESTBED_PREFIX}${runId}-hub`};
}

/** Namespace of agent `i`. */
export function nodeNamespace(plan: TestbedPlan, i: number): string {
  return `${TESTBED_PREFIX}${plan.runId}-n${i}`;
}

/** The veth end of agent `i` inside the hub (names are per namespace: no clash with other runs). */
export function hubPort(i: number): string {
  return `vn${i}`;
}

/** Agent `i`'s IPv4 address: 198.18.0.1, 198.18.0.2, … (host i + 1 of 198.18.0.0/16). */
export function nodeIpv4(i: number): string {
  const host = i + 1;
  return `198.18.${host >> 8}.${host & 255}`;
}

/** Agent `i`'s IPv6 address in the ULA fd00:198:18::/64. */
export function nodeIpv6(i: number): string {
  return `fd00:198:18::${(i + 1).toString(16)}`;
}

export const HUB_IPV4 = "198.18.255.254";
export const HUB_IPV6 = "fd00:198:18::fffe";

/** The address agent `i` gossips on, in the run's family. */
export function nodeHost(plan: TestbedPlan, i: number): string {
  return plan.ipv6 ? nodeIpv6(i) : nodeIpv4(i);
}

/** "HOST:PORT", with brackets around an IPv6 host. */
export function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
