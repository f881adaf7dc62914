/*
 * Network coordinates between the real serf binary (Debian's serf 0.9.4, memberlist 0.2.2) and a
 * Lifeline agent in this process, both directions:
 *   - serf accepts the coordinate Lifeline puts in its acks: `serf rtt <serf> <lifeline>` prints
 *     an estimate (serf answers "Could not find a coordinate" until its cache holds ours), and serf
 *     logs none of its coordinate errors (unsupported ping version, decode failure, rejection);
 *   - Lifeline decodes serf's: `lifeline rtt <serf>` (and between two serf nodes) prints one, with
 *     no payload dropped or refused.
 * Both sides run the local profile (1 s / 200 ms probes). Every serf process is killed by PID in afterAll.
 */
import {afterAll, expect, it} from "vitest";
import {type Agent, createAgent} from "../../src/agent/index.ts";
import {type CliIo, run} from "../../src/cli/main.ts";
import {startSerf} from "../helpers/serf-agent.ts";
import {killAllChildren} from "../helpers/serf-children.ts";
import {describeWithSerf} from "../helpers/serf-gate.ts";
import {freePort} from "../helpers/serf-ports.ts";
import {waitUntil} from "../helpers/serf-wait.ts";

const RTT_LINE = (a: string, b: string): RegExp =>
  new RegExp(`^Estimated ${a} <-> ${b} rtt: (\\d+\\.\\d{3}) ms( \\(using LAN coordinates\\))?\\n$`);

/** `lifeline rtt` in-process against the agent's HTTP API: exit code, stdout, stderr. */
async function lifelineRtt(http: string, ...names: string[]): Promise<{code: number; out: string; err: string}> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {stdout: (t) => out.push(t), stderr: (t) => err.push(t), env: {}};
  const code = await run(["rtt", "--http", http, ...names], io);
  return {code, out: out.join(""), err: err.join("")};
}

describeWithSerf("network coordinates with real serf agents", () => {
  let life: Agent | undefined;
  afterAll(async () => {
    await life?.stop();
    await killAllChildren();
  });

  it("serf estimates RTTs to Lifeline from our ack payloads, and Lifeline to serf from serf's", async () => {
    const s1 = await startSerf({name: "serf-c1"});
    const s2 = await startSerf({name: "serf-c2", join: [s1.bindAddr]});
    const port = await freePort();
    life = await createAgent({
      name: "life-c",
      bind: `127.0.0.1:${port}`,
      profile: "local",
      pushPullIntervalMs: 1_000,
      http: "127.0.0.1:0",
      join: [s1.bindAddr],
    });
    const agent = life;
    const http = `${agent.httpAddress?.host}:${agent.httpAddress?.port}`;
    await s1.waitForStatus("life-c", "alive", 15_000);
    await s2.waitForStatus("life-c", "alive", 15_000);

    // serf → Lifeline: serf-c1 caches life-c's coordinate after probing it directly once.
    const serfLine = await waitUntil(
      async () => {
        const text = await s1.rpc(["rtt", "serf-c1", "life-c"]);
        return RTT_LINE("serf-c1", "life-c").test(text) ? text : undefined;
      },
      {
        what: "`serf rtt serf-c1 life-c` prints an estimate",
        timeoutMs: 30_000,
        intervalMs: 500,
        diagnose: () => s1.logs(),
      },
    );
    const serfMs = Number(RTT_LINE("serf-c1", "life-c").exec(serfLine)?.[1]);
    expect(serfMs).toBeGreaterThanOrEqual(0);
    expect(serfMs).toBeLessThan(1_000);
    // And with one name serf measures from itself; serf-c2 too has our coordinate by then or soon.
    await waitUntil(async () => RTT_LINE("life-c", "serf-c2").test(await s2.rpc(["rtt", "life-c"])), {
      what: "`serf rtt life-c` on serf-c2 prints an estimate",
      timeoutMs: 30_000,
      intervalMs: 500,
    });

    // Lifeline → serf: we decoded both serf agents' coordinates from their acks.
    await waitUntil(() => agent.coordinateOf("serf-c1") !== undefined && agent.coordinateOf("serf-c2") !== undefined, {
      what: "life-c has coordinates for serf-c1 and serf-c2",
      timeoutMs: 30_000,
      diagnose: () => JSON.stringify(agent.coordinateStats),
    });
    const toSerf = await lifelineRtt(http, "serf-c1");
    expect(toSerf.err).toBe("");
    expect(toSerf.code).toBe(0);
    expect(toSerf.out).toMatch(RTT_LINE("serf-c1", "life-c"));
    const between = await lifelineRtt(http, "serf-c1", "serf-c2");
    expect(between.code).toBe(0);
    expect(between.out).toMatch(RTT_LINE("serf-c1", "serf-c2"));
    const lifeMs = Number(RTT_LINE("serf-c1", "serf-c2").exec(between.out)?.[1]);
    expect(lifeMs).toBeLessThan(1_000);
    expect(agent.coordinateStats).toMatchObject({badPayloads: 0, rejected: 0, emptyPayloads: 0});
    expect(agent.coordinateStats?.updates).toBeGreaterThan(0);
    console.info(
      `[interop] serf-c1 estimates ${serfMs} ms to life-c; life-c estimates ${lifeMs} ms between the serf agents`,
    );

    // serf never complained about our payloads.
    for (const serf of [s1, s2]) {
      expect(serf.logs()).not.toMatch(/Unsupported ping version|Failed to decode coordinate|Rejected bad coordinate/);
    }
  }, 90_000);
});
