/*
 * SwimConfig: every tunable of the protocol core, with memberlist's names (units last) so that
 * operators can map them, and the three presets memberlist ships (DefaultLANConfig,
 * DefaultWANConfig, DefaultLocalConfig in config.go; values in docs/memberlist-wire.md §7.11). `resolveConfig`
 * merges a partial init over a preset, validates field ranges and cross-field rules, and
 * returns a frozen object; on error nothing is returned and an InvalidConfigError names the
 * field and the rule.
 */
import {InvalidConfigError} from "./errors.ts";

export interface SwimConfig {
  /** Time between probes of one member each. Scaled by the awareness score: interval × (score + 1). LAN 1000. */
  readonly probeIntervalMs: number;
  /** Time to wait for a direct ack before asking `indirectChecks` members to probe for us. Must be < probeIntervalMs. LAN 500. */
  readonly probeTimeoutMs: number;
  /** Members asked to ping a silent target on our behalf (SWIM §3.1 k). 0 disables indirect probes. LAN 3. */
  readonly indirectChecks: number;
  /** Each broadcast is sent at most retransmitMult × ceil(log10(n + 1)) times. LAN 4. */
  readonly retransmitMult: number;
  /**
   * Minimum suspicion timeout = suspicionMult × max(1, log10(max(1, n))) × probeIntervalMs.
   * Lifeguard expects suspicionMult − 2 independent confirmations. LAN 4.
   */
  readonly suspicionMult: number;
  /** Maximum suspicion timeout = suspicionMaxTimeoutMult × minimum. A fresh suspicion starts here. LAN 6. */
  readonly suspicionMaxTimeoutMult: number;
  /**
   * Independent confirmations (Lifeguard's k) that bring a suspicion's timeout from its maximum down
   * to its minimum; 0 when the table holds fewer than k + 2 members. memberlist ties it to
   * suspicionMult − 2, and so does resolveConfig when suspicionMult is set without it. LAN 2.
   */
  readonly suspicionConfirmations: number;
  /**
   * Probe a member as soon as another member's suspicion of it reaches us (Lifeline only; the bytes
   * stay memberlist's): the independent confirmations of a real failure, or the acks that keep a
   * healthy member's suspicion from being confirmed, come within one probe instead of a probe
   * round. One such probe waits at a time, after the probe in flight. LAN false.
   */
  readonly suspectProbes: boolean;
  /**
   * Expect no more confirmations than the live members could send (alive or suspect, less the
   * suspect and the first accuser), so that dead members still in the table do not keep a
   * suspicion from ever reaching its minimum (Lifeline only). memberlist counts every member in
   * the table, dead ones too. LAN false.
   */
  readonly liveConfirmations: boolean;
  /**
   * A probe whose TCP fallback ping is refused — the target's host answered that nothing listens
   * at the member's address, so its process is gone — fails at once instead of waiting out the
   * probe interval for indirect acks (Lifeline only). Loss, a paused or a slow process never
   * refuse a connection, so only a real crash is suspected sooner; the refusal proves our own
   * link works, so it does not count against our local health. LAN false.
   */
  readonly refusedProbeFails: boolean;
  /**
   * A suspicion timeout or probe deadline that fires more than this late means our own process
   * was stalled (a GC pause, a blocked event loop): what queued up meanwhile — the refutation,
   * the ack — has not been read yet, so the verdict waits this long once more (Lifeline only).
   * 0 decides at once, as memberlist does. LAN 0.
   */
  readonly lateTimerGraceMs: number;
  /**
   * The suspicionMult of a member that refuted a suspicion within the last maximum suspicion
   * timeout: it has shown it is slow, not dead, so its next suspicions get this (longer) minimum
   * (Lifeline only). 0 keeps suspicionMult for everyone, as memberlist does. LAN 0.
   */
  readonly refutedSuspicionMult: number;
  /**
   * A joining node does not re-gossip the members it learns from its join push-pull (Lifeline
   * only): the member that answered already knows them, and without it every joiner re-sends the
   * whole cluster, n² messages in a join storm. It catches up with up to four push-pulls to
   * random members (2, 4, 8, 16 probe intervals later, while each brings news), merged quietly
   * too; what it learns by gossip, periodic push-pulls or healing is re-gossiped as memberlist
   * does. LAN false.
   */
  readonly quietJoin: boolean;
  /**
   * Percent of a packet's piggyback bytes that queued user broadcasts (serf's events and
   * queries) may take before membership updates do (Lifeline only). memberlist fills a packet
   * with membership updates first and gives user broadcasts what is left, so during a join storm
   * they wait until the storm's queue drains (memberlist#299). 0 keeps memberlist's order. LAN 0.
   */
  readonly userGossipSharePct: number;
  /** Time between gossip rounds (only sent when broadcasts are queued). LAN 200. */
  readonly gossipIntervalMs: number;
  /** Members gossiped to per round. LAN 3. */
  readonly gossipNodes: number;
  /** Dead members keep receiving gossip this long, so they can learn they were declared dead and refute. LAN 30000. */
  readonly gossipToTheDeadMs: number;
  /** Base period of full-state push-pull with one random member; scaled up above 32 members. 0 disables. LAN 30000. */
  readonly pushPullIntervalMs: number;
  /** Local health score is clamped to [0, awarenessMaxMultiplier − 1]. 1 disables Lifeguard awareness. LAN 8. */
  readonly awarenessMaxMultiplier: number;
  /** Byte budget of one datagram before encryption (memberlist's UDPBufferSize). LAN 1400. */
  readonly maxPacketBytes: number;
  /** Deadline of a whole stream exchange (push-pull, join). LAN 10000. */
  readonly tcpTimeoutMs: number;
  /** Do not run a TCP fallback ping when UDP probes fail. LAN false. */
  readonly disableTcpPings: boolean;
  /** A dead (not left) member may change address after this long dead; 0 means never (memberlist's default). */
  readonly deadNodeReclaimMs: number;
  /**
   * Healing: every reconnectIntervalMs the node push-pulls with one dead or left member it still
   * remembers and, when it knows no other live member, with its seeds. This is what merges a
   * healed partition without an operator. 0 disables. LAN 30000 (serf's ReconnectInterval).
   */
  readonly reconnectIntervalMs: number;
  /** Failed members are remembered for re-contact this long after they were declared dead. LAN 24 h (serf's ReconnectTimeout). */
  readonly reconnectTimeoutMs: number;
  /** `leave` waits at most this long for the leave broadcast to be transmitted. LAN 5000 (serf's BroadcastTimeout). */
  readonly leaveTimeoutMs: number;
  /** Upper bound on members in the table (alive, suspect, dead and left); entries beyond it are refused. LAN 100000. */
  readonly maxMembers: number;
}

/** memberlist's DefaultLANConfig: a LAN with sub-millisecond RTTs. */
export function lanConfig(): SwimConfig {
  return {
    probeIntervalMs: 1_000,
    probeTimeoutMs: 500,
    indirectChecks: 3,
    retransmitMult: 4,
    suspicionMult: 4,
    suspicionMaxTimeoutMult: 6,
    suspicionConfirmations: 2,
    suspectProbes: false,
    liveConfirmations: false,
    refusedProbeFails: false,
    lateTimerGraceMs: 0,
    refutedSuspicionMult: 0,
    quietJoin: false,
    userGossipSharePct: 0,
    gossipIntervalMs: 200,
    gossipNodes: 3,
    gossipToTheDeadMs: 30_000,
    pushPullIntervalMs: 30_000,
    awarenessMaxMultiplier: 8,
    maxPacketBytes: 1_400,
    tcpTimeoutMs: 10_000,
    disableTcpPings: false,
    deadNodeReclaimMs: 0,
    reconnectIntervalMs: 30_000,
    reconnectTimeoutMs: 24 * 3_600_000,
    leaveTimeoutMs: 5_000,
    maxMembers: 100_000,
  };
}

/** memberlist's DefaultWANConfig: higher latency and loss between data centres. */
export function wanConfig(): SwimConfig {
  return {
    ...lanConfig(),
    tcpTimeoutMs: 30_000,
    suspicionMult: 6,
    suspicionConfirmations: 4,
    pushPullIntervalMs: 60_000,
    probeIntervalMs: 5_000,
    probeTimeoutMs: 3_000,
    gossipNodes: 4,
    gossipIntervalMs: 500,
    gossipToTheDeadMs: 60_000,
  };
}

/** memberlist's DefaultLocalConfig: one host or a very fast network; detects failures quickly. */
export function localConfig(): SwimConfig {
  return {
    ...lanConfig(),
    tcpTimeoutMs: 1_000,
    indirectChecks: 1,
    retransmitMult: 2,
    suspicionMult: 3,
    suspicionConfirmations: 1,
    pushPullIntervalMs: 15_000,
    probeTimeoutMs: 200,
    gossipIntervalMs: 100,
    gossipToTheDeadMs: 15_000,
  };
}

/**
 * Lifeline's LAN profile: memberlist's LAN timing with a shorter minimum suspicion that takes more
 * independent confirmations to reach (never more than the live members can send), members that
 * probe a suspect as soon as they hear of it, a probe that fails at once when the target's host
 * refuses its TCP ping (the process is gone), LAN's
 * patience again for a member that has just refuted a suspicion (slow, not dead: it hears of its
 * next suspicion but gets no suspect probe), and no verdict
 * from a timer that fired late because we were stalled ourselves (bench/qos.mjs measures it
 * against lan), and a quiet join: the joiner does not re-gossip the view its seed sent and
 * catches up with a few push-pulls instead (bench/sim-scale.mjs: the join storm of 1,000 nodes
 * agrees in a third of the time with 40 % of the alive messages), and up to 30 % of each packet
 * for user broadcasts ahead of membership updates. Wire-compatible with
 * memberlist: only local timers, probe order and what is re-gossiped differ.
 */
export function swiftConfig(): SwimConfig {
  return {
    ...lanConfig(),
    suspicionMult: 2,
    suspicionMaxTimeoutMult: 12,
    suspicionConfirmations: 3,
    suspectProbes: true,
    liveConfirmations: true,
    refusedProbeFails: true,
    lateTimerGraceMs: 100,
    refutedSuspicionMult: 4,
    quietJoin: true,
    userGossipSharePct: 30,
  };
}

export type ProfileName = "lan" | "wan" | "local" | "swift";

export const PROFILES: Readonly<Record<ProfileName, () => SwimConfig>> = {
  lan: lanConfig,
  wan: wanConfig,
  local: localConfig,
  swift: swiftConfig,
};

/** The preset named `name`; throws InvalidConfigError for an unknown name. */
export function profileConfig(name: string): SwimConfig {
  const make = (PROFILES as Record<string, (() => SwimConfig) | undefined>)[name];
  if (!make) throw new InvalidConfigError("profile", `must be one of ${Object.keys(PROFILES).join(", ")}`);
  return make();
}

interface IntRule {
  readonly min: number;
  readonly max: number;
}

/** The fields that are booleans; every other field is an integer with a rule below. */
const BOOLEAN_FIELDS = [
  "disableTcpPings",
  "suspectProbes",
  "liveConfirmations",
  "refusedProbeFails",
  "quietJoin",
] as const;

const INT_RULES: Readonly<Record<Exclude<keyof SwimConfig, (typeof BOOLEAN_FIELDS)[number]>, IntRule>> = {
  probeIntervalMs: {min: 1, max: 3_600_000},
  probeTimeoutMs: {min: 1, max: 3_600_000},
  indirectChecks: {min: 0, max: 64},
  retransmitMult: {min: 1, max: 100},
  suspicionMult: {min: 1, max: 100},
  suspicionMaxTimeoutMult: {min: 1, max: 100},
  suspicionConfirmations: {min: 0, max: 100},
  lateTimerGraceMs: {min: 0, max: 60_000},
  refutedSuspicionMult: {min: 0, max: 100},
  userGossipSharePct: {min: 0, max: 100},
  gossipIntervalMs: {min: 1, max: 3_600_000},
  gossipNodes: {min: 0, max: 64},
  gossipToTheDeadMs: {min: 0, max: 86_400_000},
  pushPullIntervalMs: {min: 0, max: 86_400_000},
  awarenessMaxMultiplier: {min: 1, max: 64},
  maxPacketBytes: {min: 512, max: 65_000},
  tcpTimeoutMs: {min: 1, max: 3_600_000},
  deadNodeReclaimMs: {min: 0, max: 30 * 86_400_000},
  reconnectIntervalMs: {min: 0, max: 86_400_000},
  reconnectTimeoutMs: {min: 0, max: 365 * 86_400_000},
  leaveTimeoutMs: {min: 0, max: 3_600_000},
  maxMembers: {min: 1, max: 10_000_000},
};

/** Names of all config fields, in declaration order (for CLI flags and docs). */
export const CONFIG_FIELDS: readonly (keyof SwimConfig)[] = Object.keys(lanConfig()) as (keyof SwimConfig)[];

/** Throws InvalidConfigError naming the first field that breaks a rule. */
export function validateConfig(config: SwimConfig): void {
  for (const key of Object.keys(config)) {
    if (!(key in INT_RULES) && !(BOOLEAN_FIELDS as readonly string[]).includes(key)) {
      throw new InvalidConfigError(key, `is not a config field (known: ${CONFIG_FIELDS.join(", ")})`);
    }
  }
  for (const field of BOOLEAN_FIELDS) {
    if (typeof config[field] !== "boolean") throw new InvalidConfigError(field, "must be a boolean");
  }
  for (const [field, rule] of Object.entries(INT_RULES)) {
    const value = (config as unknown as Record<string, unknown>)[field];
    if (typeof value !== "number" || !Number.isInteger(value) || value < rule.min || value > rule.max) {
      throw new InvalidConfigError(field, `must be an integer between ${rule.min} and ${rule.max}`);
    }
  }
  if (config.probeTimeoutMs >= config.probeIntervalMs) {
    throw new InvalidConfigError("probeTimeoutMs", "must be < probeIntervalMs");
  }
}

/**
 * Merges `init` over `base` (LAN by default), validates, and returns a frozen config. A
 * suspicionMult given without suspicionConfirmations brings memberlist's k = suspicionMult − 2.
 */
export function resolveConfig(init: Partial<SwimConfig> = {}, base: SwimConfig = lanConfig()): SwimConfig {
  const config = {...base, ...init};
  if (
    init.suspicionMult !== undefined &&
    init.suspicionConfirmations === undefined &&
    Number.isInteger(init.suspicionMult)
  )
    config.suspicionConfirmations = Math.max(0, init.suspicionMult - 2);
  validateConfig(config);
  return Object.freeze(config);
}
