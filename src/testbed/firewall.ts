/*
 * Faults on real packets: every agent namespace has two iptables chains that see only gossip
 * traffic (UDP and TCP with source or destination port GOSSIP_PORT; the HTTP API is never
 * touched), and the testbed rewrites them whole, atomically, with one `iptables-restore --noflush`
 * per change:
 *
 *   INPUT  ─(gossip)─▶ LL-IN:  -s <cut source> -j DROP …            partitions, flaps (directed)
 *                              -m statistic --mode random --probability P -j DROP   loss on arrival
 *   OUTPUT ─(gossip)─▶ LL-OUT: -m statistic --mode random --probability P -j DROP   loss on departure
 *
 * Every drop rule exists once per protocol (UDP, TCP), so the counters tell lost and blocked
 * datagrams (UDP) apart from stream segments; `countDrops` reads them (`iptables-save -c`) before
 * each rewrite and at the end, which is where the report's network.lost and network.blocked come
 * from.
 *
 * A cut from A to B is a drop in B's LL-IN of every source in A, so a one-way partition is one
 * directed rule set and a symmetric one two. The run's uniform loss (scenario `lossRate`) is one
 * statistic rule on arrival at every node, so each datagram is lost once with that probability, as
 * on a simulated link; a node's ingress loss is a second, independent rule. This kernel has no
 * netem, so latency cannot be added (the links are sub-millisecond).
 */
import {GOSSIP_PORT} from "./plan.ts";

/** The desired rules of one agent namespace. */
export interface NodeFirewall {
  /** Addresses whose gossip is dropped on arrival (partitions, flaps). */
  readonly cutFrom: readonly string[];
  /** Drop probabilities on arrival, each its own independent rule (0 entries are left out). */
  readonly lossIn: readonly number[];
  /** Drop probability on departure. */
  readonly lossOut: number;
}

/** `iptables-restore` or `ip6tables-restore`, by family. */
export function restoreCommand(ipv6: boolean): string {
  return ipv6 ? "ip6tables-restore" : "iptables-restore";
}

/** `iptables-save` or `ip6tables-save`, by family. */
export function saveCommand(ipv6: boolean): string {
  return ipv6 ? "ip6tables-save" : "iptables-save";
}

/** Datagrams (UDP packets) dropped by the testbed's rules. */
export interface DropCounts {
  /** By a random-loss rule. */
  lost: number;
  /** By a cut (partition, flap). */
  blocked: number;
}

/** Adds the UDP drop counters of an `iptables-save -c` dump of one namespace to `into`. */
export function countDrops(dump: string, into: DropCounts): void {
  for (const line of dump.split("\n")) {
    const m = /^\[(\d+):\d+\] -A LL-(?:IN|OUT) (.*)-j DROP/.exec(line);
    if (!m || !/-p udp\b/.test(m[2] as string)) continue;
    const packets = Number(m[1]);
    if ((m[2] as string).includes("statistic")) into.lost += packets;
    else into.blocked += packets;
  }
}

const PROTOCOLS = ["udp", "tcp"] as const;
const GOSSIP = PROTOCOLS.map((proto) => `-p ${proto} -m multiport --ports ${GOSSIP_PORT}`);

/** The chains and the jumps to them, created once per namespace. */
export function firewallSetup(): string {
  const lines = ["*filter", ":LL-IN - [0:0]", ":LL-OUT - [0:0]"];
  for (const match of GOSSIP) lines.push(`-A INPUT ${match} -j LL-IN`, `-A OUTPUT ${match} -j LL-OUT`);
  lines.push("COMMIT", "");
  return lines.join("\n");
}

function probability(rate: number): string {
  return rate.toFixed(6);
}

/** The `iptables-restore --noflush` input that replaces both chains with `fw`. */
export function renderFirewall(fw: NodeFirewall): string {
  // Declaring a user chain in a --noflush restore flushes it: the chain is replaced as a whole.
  const lines = ["*filter", ":LL-IN - [0:0]", ":LL-OUT - [0:0]"];
  for (const proto of PROTOCOLS) {
    for (const source of fw.cutFrom) lines.push(`-A LL-IN -p ${proto} -s ${source} -j DROP`);
  }
  for (const rate of fw.lossIn) {
    if (rate <= 0) continue;
    for (const proto of PROTOCOLS) {
      lines.push(`-A LL-IN -p ${proto} -m statistic --mode random --probability ${probability(rate)} -j DROP`);
    }
  }
  if (fw.lossOut > 0) {
    for (const proto of PROTOCOLS) {
      lines.push(`-A LL-OUT -p ${proto} -m statistic --mode random --probability ${probability(fw.lossOut)} -j DROP`);
    }
  }
  lines.push("COMMIT", "");
  return lines.join("\n");
}
