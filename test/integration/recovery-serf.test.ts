/*
 * Recovery features next to the real serf binary: Lifeline agents share a plain-heartbeat
 * device through memberlist user messages starting with 0x4C ('L'), which serf logs as an
 * unknown type and drops without harm; with sharing off no such message reaches serf; and a
 * Lifeline event handler runs when a serf member is killed. Skipped without serf (unless
 * LIFELINE_REQUIRE_SERF=1, as in CI, which makes a missing binary fail).
 */
import {createSocket} from "node:dgram";
import {mkdtempSync, readFileSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterAll, afterEach, expect, it} from "vitest";
import {type Agent, type AgentInit, createAgent} from "../../src/agent/index.ts";
import {startSerf} from "../helpers/serf-agent.ts";
import {killAllChildren} from "../helpers/serf-children.ts";
import {describeWithSerf} from "../helpers/serf-gate.ts";
import {freePort} from "../helpers/serf-ports.ts";
import {waitUntil} from "../helpers/serf-wait.ts";

// BOUNDED: the agents of one test; emptied after each.
const agents: Agent[] = [];
const dir = mkdtempSync(join(tmpdir(), "lifeline-recovery-serf-"));
const FAST_HEARTBEAT = {
  phi: {firstHeartbeatEstimateMs: 100, acceptableHeartbeatPauseMs: 0, minStdDeviationMs: 50},
  evaluateIntervalMs: 20,
  reportIntervalMs: 200,
};

async function startLifeline(init: AgentInit & {name: string}): Promise<Agent> {
  const port = await freePort();
  const agent = await createAgent({bind: `127.0.0.1:${port}`, profile: "local", ...init});
  agents.push(agent);
  return agent;
}

/** Beats `name` to `port` every 100 ms until the returned function is called. */
function beatEvery100ms(port: number, name: string): () => void {
  const udp = createSocket("udp4");
  const timer = setInterval(() => udp.send(`${name}\n`, port, "127.0.0.1"), 100);
  return () => {
    clearInterval(timer);
    udp.close();
  };
}

describeWithSerf("recovery features in a cluster with serf", () => {
  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.stop()));
    await killAllChildren();
  });
  afterAll(async () => {
    await killAllChildren();
    rmSync(dir, {recursive: true, force: true});
  });

  it("shares a heartbeat device between Lifeline agents while serf drops the 'L' messages and stays healthy", async () => {
    const serf = await startSerf({name: "serf-hb"});
    const l1 = await startLifeline({name: "life-hb-1", heartbeatListen: "127.0.0.1:0", heartbeat: FAST_HEARTBEAT});
    const l2 = await startLifeline({name: "life-hb-2", heartbeat: FAST_HEARTBEAT});
    await l1.join([serf.bindAddr]);
    await l2.join([serf.bindAddr]);
    const stop = beatEvery100ms(l1.heartbeatAddress?.port as number, "valve-9");
    try {
      await waitUntil(() => l2.heartbeats().some((d) => d.name === "valve-9" && d.state === "up"), {
        what: "life-hb-2 learns valve-9 from life-hb-1",
        timeoutMs: 10_000,
        diagnose: () => JSON.stringify(l2.heartbeats()),
      });
      await waitUntil(() => /unknown type: 76/.test(serf.logs()), {
        what: "serf logs the 'L' message as an unknown type",
        timeoutMs: 10_000,
      });
    } finally {
      stop();
    }
    const members = await serf.members();
    for (const name of ["life-hb-1", "life-hb-2", "serf-hb"]) {
      expect(members.find((m) => m.name === name)?.status).toBe("alive");
    }
    expect(serf.logs()).not.toMatch(/panic|decode.*failed/i);
  });

  it("sends serf nothing of its own with heartbeat sharing off", async () => {
    const serf = await startSerf({name: "serf-quiet"});
    const l1 = await startLifeline({
      name: "life-quiet",
      heartbeatListen: "127.0.0.1:0",
      heartbeat: {...FAST_HEARTBEAT, share: false},
    });
    await l1.join([serf.bindAddr]);
    const stop = beatEvery100ms(l1.heartbeatAddress?.port as number, "valve-10");
    try {
      await waitUntil(() => l1.heartbeats()[0]?.state === "up", {what: "valve-10 up", timeoutMs: 5_000});
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // several report intervals
    } finally {
      stop();
    }
    expect(serf.logs()).not.toMatch(/unknown type: 76/);
  });

  it("runs a Lifeline member-failed handler when a serf member is killed", async () => {
    const serf = await startSerf({name: "serf-victim", tags: {role: "db"}});
    const watcher = await startLifeline({
      name: "life-watcher",
      eventHandlers: [`member-failed=cat >> "${dir}/failed"`],
    });
    await watcher.join([serf.bindAddr]);
    await waitUntil(() => watcher.members().some((m) => m.name === "serf-victim" && m.state === "alive"), {
      what: "life-watcher sees serf-victim",
      timeoutMs: 10_000,
    });
    await serf.kill9();
    const line = await waitUntil(
      () => {
        try {
          const text = readFileSync(join(dir, "failed"), "utf8");
          return text.endsWith("\n") ? text : undefined; // the shell creates the file before cat writes
        } catch {
          return undefined;
        }
      },
      {what: "the member-failed handler ran", timeoutMs: 20_000},
    );
    expect(line).toBe(`serf-victim\t${serf.bindAddr}\tfailed\trole=db\n`);
  });
});
