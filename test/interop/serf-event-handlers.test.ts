/*
 * Event handlers across a mixed cluster of two real serf agents and two Lifeline agents:
 * `serf event deploy v1` runs each Lifeline agent's `user:deploy` handler exactly once with the
 * payload on stdin and serf's LTime in the environment — not again through several push-pulls,
 * and not again when a Lifeline agent restarts with the same name and rejoins (serf's push-pull
 * user state carries v1, and a joining member does not replay it). A Lifeline event runs serf's
 * `-event-handler user:deploy=…` once per serf agent. `serf query` gets the stdout of a Lifeline
 * `query:NAME` handler as the response, from an in-process agent and from a `lifeline agent`
 * process given the handler with --event-handler (needs `npm run build`).
 */
import {existsSync, mkdtempSync, readFileSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterAll, afterEach, expect, it} from "vitest";
import {type Agent, type AgentInit, createAgent} from "../../src/agent/index.ts";
import type {UserEvent} from "../../src/serf/index.ts";
import {type SerfAgent, type SerfInit, startSerf} from "../helpers/serf-agent.ts";
import {killAllChildren} from "../helpers/serf-children.ts";
import {describeWithSerf} from "../helpers/serf-gate.ts";
import {freePort} from "../helpers/serf-ports.ts";
import {waitUntil} from "../helpers/serf-wait.ts";
import {startLifelineProcess} from "./lifeline-process.ts";

// BOUNDED: the agents of one test; emptied after each.
const agents: Agent[] = [];
const serfs: SerfAgent[] = [];
const scratch = mkdtempSync(join(tmpdir(), "lifeline-serf-handlers-"));
const logFile = (name: string): string => join(scratch, `${name}.deploy`);
const lines = (file: string): string[] =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l !== "")
    : [];

/** Lifeline's handlers: user:deploy appends "LTIME PAYLOAD"; query:whoami answers with a line of its own. */
function lifelineHandlers(name: string): string[] {
  return [
    `user:deploy=echo "$LIFELINE_USER_LTIME $(cat)" >> "${logFile(name)}"`,
    `query:whoami=printf '%s got %s' "$LIFELINE_SELF_NAME" "$(cat)"`,
  ];
}

async function startLifeline(init: AgentInit & {name: string; port?: number}): Promise<Agent> {
  const {port, ...rest} = init;
  const agent = await createAgent({
    bind: `127.0.0.1:${port ?? (await freePort())}`,
    profile: "local",
    // Push-pull every second: the settle periods below span several.
    pushPullIntervalMs: 1_000,
    retransmitMult: 4,
    eventHandlers: lifelineHandlers(init.name),
    ...rest,
  });
  agents.push(agent);
  return agent;
}

async function startSerfAgent(init: SerfInit): Promise<SerfAgent> {
  const agent = await startSerf({
    // serf's stdin for a user event is the payload plus a newline.
    eventHandlers: [`user:deploy=cat >> "${logFile(init.name)}"`],
    ...init,
  });
  serfs.push(agent);
  return agent;
}

/** Waits until every serf and Lifeline agent lists `names` alive. */
async function converged(s: readonly SerfAgent[], l: readonly Agent[], names: readonly string[]): Promise<void> {
  await waitUntil(
    async () => {
      for (const serf of s) {
        const members = await serf.members();
        if (!names.every((n) => members.some((m) => m.name === n && m.status === "alive"))) return false;
      }
      return l.every((a) => names.every((n) => a.members().some((m) => m.name === n && m.state === "alive")));
    },
    {what: `${names.join(", ")} alive everywhere`, timeoutMs: 20_000},
  );
}

/** Resolves once each agent merged `n` more serf push-pull states than when called. */
async function morePushPulls(l: readonly Agent[], n: number): Promise<void> {
  const start = new Map(l.map((a) => [a, a.serfStats.pushPullsMerged]));
  await waitUntil(() => l.every((a) => a.serfStats.pushPullsMerged >= (start.get(a) ?? 0) + n), {
    what: `${n} more push-pulls at ${l.map((a) => a.name).join(", ")}`,
    timeoutMs: 20_000,
  });
}

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
  serfs.splice(0);
  await killAllChildren();
});
afterAll(() => rmSync(scratch, {recursive: true, force: true}));

describeWithSerf("event handlers with serf agents", () => {
  it("runs user:deploy once per agent both ways, through push-pulls and a Lifeline restart", async () => {
    const s1 = await startSerfAgent({name: "s1"});
    const s2 = await startSerfAgent({name: "s2", join: [s1.bindAddr]});
    const l1 = await startLifeline({name: "l1", join: [s1.bindAddr]});
    let l2 = await startLifeline({name: "l2", join: [s2.bindAddr]});
    const names = ["s1", "s2", "l1", "l2"];
    await converged([s1, s2], [l1, l2], names);
    const heard = new Map<string, UserEvent>();
    for (const l of [l1, l2]) l.on("user:event", (e) => heard.set(l.name, e));

    await s1.rpc(["event", "-coalesce=false", "deploy", "v1"]);
    await waitUntil(() => lines(logFile("l1")).length > 0 && lines(logFile("l2")).length > 0, {
      what: "the Lifeline handlers ran for serf's event",
      timeoutMs: 10_000,
    });
    const lTime = heard.get("l1")?.lTime;
    expect(heard.get("l2")?.lTime).toBe(lTime);
    await morePushPulls([l1, l2], 3);
    for (const name of ["l1", "l2"]) expect(lines(logFile(name)), name).toEqual([`${lTime} v1`]);

    // l2 restarts: same name, same address, nothing remembered. Its join's push-pull hands it
    // serf's recent events, v1 among them; a joining member must not replay them.
    const port = l2.address.port;
    await l2.stop();
    agents.splice(agents.indexOf(l2), 1);
    l2 = await startLifeline({name: "l2", port, join: [s1.bindAddr]});
    await converged([s1, s2], [l1, l2], names);
    await morePushPulls([l1, l2], 3);
    for (const name of ["l1", "l2"])
      expect(lines(logFile(name)), `${name} after l2's restart`).toEqual([`${lTime} v1`]);

    // And the other way: Lifeline's event runs serf's user:deploy handler once per serf agent.
    const v2 = l1.event("deploy", "v2", {coalesce: false});
    await waitUntil(() => lines(logFile("s1")).includes("v2") && lines(logFile("s2")).includes("v2"), {
      what: "serf's handlers ran for Lifeline's event",
      timeoutMs: 10_000,
      diagnose: () => `s1: ${s1.logs()}\ns2: ${s2.logs()}`,
    });
    await morePushPulls([l1, l2], 3);
    // serf's handlers ran for its own v1 too (serf delivers its own events locally), once.
    for (const name of ["s1", "s2"]) expect(lines(logFile(name)), name).toEqual(["v1", "v2"]);
    // The Lifeline agents ran their own handlers for v2 once too.
    for (const name of ["l1", "l2"]) expect(lines(logFile(name)), name).toEqual([`${lTime} v1`, `${v2.lTime} v2`]);
    for (const l of [l1, l2]) expect(l.recoveryStats.eventHandlers?.failed, l.name).toBe(0);
  });

  it("serf query gets a Lifeline query:NAME handler's stdout as the response", async () => {
    const s1 = await startSerfAgent({name: "s1"});
    const l1 = await startLifeline({name: "l1", join: [s1.bindAddr]});
    const l2 = await startLifeline({name: "l2", join: [s1.bindAddr]});
    // A `lifeline agent` process too: the handler comes in through the CLI's --event-handler.
    const p1 = await startLifelineProcess({name: "p1", join: [s1.bindAddr], eventHandlers: lifelineHandlers("p1")});
    await converged([s1], [l1, l2], ["s1", "l1", "l2", "p1"]);
    const result = JSON.parse(await s1.rpc(["query", "-format=json", "-timeout=3s", "whoami", "hello"])) as {
      Acks: string[];
      Responses: Record<string, string>;
    };
    expect([...result.Acks].sort()).toEqual(["l1", "l2", "p1", "s1"]);
    expect(result.Responses).toEqual({l1: "l1 got hello", l2: "l2 got hello", p1: "p1 got hello"});
    for (const l of [l1, l2]) expect(l.recoveryStats.eventHandlers?.queryResponses, l.name).toBe(1);
    const scrape = await (await fetch(`http://${p1.httpAddr}/metrics`)).text();
    expect(scrape).toMatch(/^lifeline_event_handler_query_responses_total\{outcome="sent"\} 1$/m);
  });
});
