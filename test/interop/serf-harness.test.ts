/*
 * The serf harness itself, against the real binary only (no Lifeline): two serf agents on
 * free loopback ports find each other, a kill -9 shows as failed and a graceful leave as left.
 * If this file fails, the Lifeline interop tests next to it cannot be trusted either.
 */
import {afterAll, expect, it} from "vitest";
import {startSerf} from "../helpers/serf-agent.ts";
import {killAllChildren} from "../helpers/serf-children.ts";
import {describeWithSerf} from "../helpers/serf-gate.ts";

describeWithSerf("serf harness (real serf only)", () => {
  afterAll(killAllChildren);

  it("starts two serf agents that list each other alive with tags, then sees a kill -9 as failed", async () => {
    const a = await startSerf({name: "harness-a"});
    const b = await startSerf({name: "harness-b", join: [a.bindAddr], tags: {role: "probe", zone: "z1"}});
    const seen = await a.waitForStatus("harness-b", "alive", 10_000);
    expect(seen.tags).toEqual({role: "probe", zone: "z1"});
    expect(seen.addr).toBe(b.bindAddr);
    await b.kill9();
    expect(b.hasExited()).toBe(true);
    await a.waitForStatus("harness-b", "failed", 20_000);
  });

  it("shows a graceful serf leave as left, and the leaving agent exits", async () => {
    const a = await startSerf({name: "harness-c"});
    const b = await startSerf({name: "harness-d", join: [a.bindAddr]});
    await a.waitForStatus("harness-d", "alive", 10_000);
    await b.leave();
    expect(b.hasExited()).toBe(true);
    await a.waitForStatus("harness-d", "left", 10_000);
  });
});
