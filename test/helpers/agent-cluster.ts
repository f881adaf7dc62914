/*
 * Real-socket clusters of in-process agents on loopback for the integration tests: start N
 * agents on free ports with a fast config, record every member event with its time, wait for
 * conditions with a deadline (and a diagnosis on timeout), and tear everything down.
 * "Crashing" an agent is `stop()` without `leave()`: its sockets close abruptly and nothing is
 * said to its peers, which is what a kill -9 looks like from the network.
 */
import {type Agent, type AgentInit, type AgentMember, createAgent} from "../../src/agent/index.ts";
import {localConfig, resolveConfig, type SwimConfig} from "../../src/core/index.ts";

/**
 * The fast config of the integration tests: the local profile with 200 ms probes, and push-pull
 * anti-entropy every 2 s so that a gossip update lost under heavy machine load (the local
 * profile transmits each update only retransmitMult·ceil(log10(n+1)) = 2 times) is repaired in
 * seconds rather than the profile's 15 s.
 */
export const FAST_CONFIG: SwimConfig = resolveConfig(
  {probeIntervalMs: 200, probeTimeoutMs: 100, pushPullIntervalMs: 2_000},
  localConfig(),
);

/** One observed member event. */
export interface RecordedEvent {
  readonly observer: string;
  readonly type: "up" | "suspect" | "alive" | "down" | "updated";
  readonly member: AgentMember;
  readonly reason?: "failed" | "left";
  readonly atMs: number;
}

/** A set of agents plus everything they reported. */
export class AgentCluster {
  readonly agents: Agent[] = [];
  // BOUNDED: a test's events (seconds of a handful of agents).
  readonly events: RecordedEvent[] = [];

  /** Starts an agent on a free loopback port with the fast config, recording its events. */
  async add(init: AgentInit & {name: string}): Promise<Agent> {
    const agent = await createAgent({
      bind: "127.0.0.1:0",
      profile: "local",
      probeIntervalMs: FAST_CONFIG.probeIntervalMs,
      probeTimeoutMs: FAST_CONFIG.probeTimeoutMs,
      pushPullIntervalMs: FAST_CONFIG.pushPullIntervalMs,
      ...init,
    });
    this.record(agent);
    this.agents.push(agent);
    return agent;
  }

  /** Starts `names` agents, each joining the first. */
  async start(names: readonly string[], init: AgentInit = {}): Promise<Agent[]> {
    const [first, ...rest] = names;
    const seed = await this.add({...init, name: first as string});
    const others = await Promise.all(rest.map((name) => this.add({...init, name, join: [addressOf(seed)]})));
    return [seed, ...others];
  }

  get(name: string): Agent {
    const agent = this.agents.find((a) => a.name === name && a.state !== "stopped");
    if (!agent) throw new Error(`no running agent ${name}`);
    return agent;
  }

  running(): Agent[] {
    return this.agents.filter((a) => a.state === "running");
  }

  /** The first event matching, after `sinceMs`. */
  find(observer: string, member: string, type: RecordedEvent["type"], sinceMs = 0): RecordedEvent | undefined {
    return this.events.find(
      (e) => e.observer === observer && e.member.name === member && e.type === type && e.atMs >= sinceMs,
    );
  }

  /** Stops every agent (no leave). */
  async stopAll(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.stop()));
  }

  describe(): string {
    return this.running()
      .map(
        (a) =>
          `${a.name}: ${a
            .members()
            .map((m) => `${m.name}=${m.state}/${m.incarnation}`)
            .join(" ")}`,
      )
      .join("\n");
  }

  private record(agent: Agent): void {
    const push = (type: RecordedEvent["type"], member: AgentMember, reason?: "failed" | "left"): void => {
      this.events.push({observer: agent.name, type, member, ...(reason ? {reason} : {}), atMs: performance.now()});
    };
    agent.on("member:up", (m) => push("up", m));
    agent.on("member:suspect", (m) => push("suspect", m));
    agent.on("member:alive", (m) => push("alive", m));
    agent.on("member:down", (m, reason) => push("down", m, reason));
    agent.on("member:updated", (m) => push("updated", m));
  }
}

export function addressOf(agent: Agent): string {
  return `${agent.address.host}:${agent.address.port}`;
}

/** Polls `check` every 50 ms until true; throws with `diagnose()` after `timeoutMs`. */
export async function eventually(
  check: () => boolean,
  timeoutMs: number,
  what: string,
  diagnose: () => string = () => "",
): Promise<number> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms: ${what}\n${diagnose()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return performance.now() - started;
}

/** True when every agent lists every name in `names` in `state`. */
export function allSee(agents: readonly Agent[], names: readonly string[], state: AgentMember["state"]): boolean {
  return agents.every((agent) => {
    const members = agent.members();
    return names.every((name) => members.some((m) => m.name === name && m.state === state));
  });
}
