/*
 * Serf's view of a Lifeline agent that crashes: the agent runs as its own OS process
 * (`node bin/lifeline agent`, from the dist/ that `npm run build` makes) so that it can be killed
 * with SIGKILL, and the real serf agents must mark it failed — not left — within the local
 * profile's detection time. Both processes are killed by PID in afterAll.
 */
import {afterAll, expect, it} from "vitest";
import {startSerf} from "../helpers/serf-agent.ts";
import {killAllChildren} from "../helpers/serf-children.ts";
import {describeWithSerf} from "../helpers/serf-gate.ts";
import {lifelineBuildProblem, startLifelineProcess} from "./lifeline-process.ts";

describeWithSerf("a Lifeline agent process next to real serf agents", () => {
  afterAll(killAllChildren);

  it("is built (dist/ exists), which the process tests need", () => {
    expect(lifelineBuildProblem(), "run `npm run build` first").toBeUndefined();
  });

  it("is marked failed by serf after kill -9, while it lists serf alive beforehand", async () => {
    const s1 = await startSerf({name: "serf-p1"});
    const s2 = await startSerf({name: "serf-p2", join: [s1.bindAddr]});
    const life = await startLifelineProcess({name: "life-p", join: [s1.bindAddr], tags: {kind: "child"}});
    await life.waitForState("serf-p1", "alive", 15_000);
    await life.waitForState("serf-p2", "alive", 15_000);
    expect((await s2.waitForStatus("life-p", "alive", 15_000)).tags).toEqual({kind: "child"});

    const killedAt = performance.now();
    await life.kill9();
    await s1.waitForStatus("life-p", "failed", 30_000);
    await s2.waitForStatus("life-p", "failed", 30_000);
    console.info(
      `[interop] serf marked the kill -9'd Lifeline agent failed after ${((performance.now() - killedAt) / 1000).toFixed(2)} s`,
    );
    // Nobody else was harmed.
    expect((await s1.member("serf-p2"))?.status).toBe("alive");
  });

  it("leaves gracefully on SIGTERM, which serf records as left, and lists serf in `lifeline members --json`", async () => {
    const serf = await startSerf({name: "serf-t1"});
    const life = await startLifelineProcess({name: "life-t", join: [serf.bindAddr]});
    await life.waitForState("serf-t1", "alive", 15_000);
    const listed = JSON.parse(await life.cli("members", "--json")) as {name: string; state: string}[];
    expect(listed.map((m) => [m.name, m.state]).sort()).toEqual([
      ["life-t", "alive"],
      ["serf-t1", "alive"],
    ]);
    await serf.waitForStatus("life-t", "alive", 15_000);

    await life.terminate();
    await serf.waitForStatus("life-t", "left", 15_000);
    expect(serf.logs()).not.toContain("EventMemberFailed: life-t");
  });
});
