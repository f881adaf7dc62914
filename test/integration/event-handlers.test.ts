/*
 * User-event and query handlers on real Lifeline agents on loopback: `user:deploy` runs once per
 * agent with the payload on stdin, and again not at all through several push-pulls; a burst of
 * coalescible events, delivered by gossip, runs the handler for the latest only; a `query:uptime` handler's stdout is
 * the query's response, even while every agent is still busy with a slow member-join handler.
 */
import {existsSync, mkdtempSync, readFileSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterAll, afterEach, describe, expect, it} from "vitest";
import type {Agent, AgentInit} from "../../src/agent/index.ts";
import {AgentCluster, allSee, eventually} from "../helpers/agent-cluster.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-event-handlers-"));
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const lines = (file: string): string[] =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l !== "")
    : [];

/** Resolves once every agent merged `n` more push-pull states than it had now. */
async function morePushPulls(agents: readonly Agent[], n: number): Promise<void> {
  const start = new Map(agents.map((a) => [a.name, a.serfStats.pushPullsMerged]));
  await eventually(
    () => agents.every((a) => a.serfStats.pushPullsMerged >= (start.get(a.name) ?? 0) + n),
    30_000,
    `${n} more push-pulls at every agent`,
  );
}

describe("user-event and query handlers between Lifeline agents", () => {
  let cluster = new AgentCluster();
  afterEach(async () => {
    await cluster.stopAll();
    cluster = new AgentCluster();
  });
  afterAll(() => rmSync(dir, {recursive: true, force: true}));

  /** Starts h1..h3 (joining h1) with a user:deploy handler appending its stdin to `file(name)`. */
  async function deployCluster(file: (name: string) => string, init: Partial<AgentInit>): Promise<Agent[]> {
    const names = ["h1", "h2", "h3"];
    const agents: Agent[] = [];
    for (const name of names) {
      const seed = agents[0];
      agents.push(
        await cluster.add({
          name,
          ...(seed ? {join: [`127.0.0.1:${seed.address.port}`]} : {}),
          eventHandlers: [`user:deploy=cat >> "${file(name)}"`, `user:other=echo wrong >> "${file(name)}"`],
          userCoalescePeriodMs: 2_000,
          userQuiescentPeriodMs: 500,
          ...init,
        }),
      );
    }
    await eventually(() => allSee(agents, names, "alive"), 10_000, "all see all");
    return agents;
  }

  it("runs user:deploy once per agent with the payload on stdin, and not again through push-pulls", async () => {
    const file = (name: string) => join(dir, `${name}.deploy`);
    const agents = await deployCluster(file, {retransmitMult: 4});
    const names = agents.map((a) => a.name);
    const [h1] = agents as [Agent, Agent, Agent];
    h1.event("deploy", "v1", {coalesce: false});
    await eventually(() => names.every((n) => lines(file(n)).length >= 1), 10_000, "v1 handled everywhere");
    await morePushPulls(agents, 3);
    for (const name of names) expect(lines(file(name)), name).toEqual(["v1"]);
  });

  it("runs a burst of coalescible events once, for the latest", async () => {
    // A push-pull replays recent events without their coalesce flag (serf's push-pull state does
    // not carry it), so one landing before the burst's gossip would run each event. Periodic
    // push-pull is off here, and gossip transmits each event 8 times: gossip is the only path.
    const file = (name: string) => join(dir, `${name}.burst`);
    const agents = await deployCluster(file, {retransmitMult: 8, pushPullIntervalMs: 0});
    const names = agents.map((a) => a.name);
    const [, h2] = agents as [Agent, Agent, Agent];
    for (const version of ["v2", "v3", "v4"]) h2.event("deploy", version, {coalesce: true});
    await eventually(() => names.every((n) => lines(file(n)).includes("v4")), 15_000, "v4 handled everywhere");
    for (const name of names) expect(lines(file(name)), name).toEqual(["v4"]);
    for (const agent of agents) expect(agent.recoveryStats.eventHandlers?.coalesced, agent.name).toBe(2);
  });

  it("answers a query with each agent's query:uptime handler's stdout while a slow member-join handler runs", async () => {
    const names = ["q1", "q2", "q3"];
    const agents = await cluster.start(names, {
      retransmitMult: 4,
      eventHandlers: [
        `member-join=sleep 20`,
        `query:uptime=printf '%s up, asked %s' "$LIFELINE_SELF_NAME" "$(cat)"`,
        `query:big=head -c 4000 /dev/zero | tr '\\0' x`,
      ],
    });
    await eventually(() => allSee(agents, names, "alive"), 10_000, "all see all");
    const [q1] = agents as [Agent, Agent, Agent];
    // Every agent is inside its 20 s member-join run now; the query must not wait for it.
    const answers = await q1.query("uptime", "when", {timeoutMs: 3_000}).result();
    expect(Object.fromEntries(answers.responses.map((r) => [r.from, text(r.payload)]))).toEqual({
      q1: "q1 up, asked when",
      q2: "q2 up, asked when",
      q3: "q3 up, asked when",
    });
    const big = await q1.query("big", "", {timeoutMs: 1_500}).result();
    expect(big.responses).toEqual([]);
    expect([...big.acks].sort()).toEqual(names);
    await eventually(
      () => agents.every((a) => a.recoveryStats.eventHandlers?.queryResponsesTooLarge === 1),
      5_000,
      "every agent counted its too-large answer",
    );
    const scrape = await q1.metrics.metrics();
    expect(scrape).toMatch(/^lifeline_event_handler_query_responses_total\{outcome="sent"\} 1$/m);
    expect(scrape).toMatch(/^lifeline_event_handler_query_responses_total\{outcome="too_large"\} 1$/m);
  });
});
