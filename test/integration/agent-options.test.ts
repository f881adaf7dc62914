/*
 * Agent options on real loopback sockets: IPv6, encryption (a keyless agent cannot join an
 * encrypted one), compression off, and tag updates gossiped as member:updated.
 */
import {afterEach, describe, expect, it} from "vitest";
import {generateKeyBase64} from "../../src/codec/index.ts";
import {AgentCluster, addressOf, allSee, eventually} from "../helpers/agent-cluster.ts";

let cluster = new AgentCluster();

afterEach(async () => {
  await cluster.stopAll();
  cluster = new AgentCluster();
});

describe("agent options", () => {
  it("runs a cluster over IPv6 loopback", async () => {
    const a = await cluster.add({name: "v6-a", bind: "[::1]:0"});
    const b = await cluster.add({name: "v6-b", bind: "[::1]:0"});
    expect(await b.join([`[::1]:${a.address.port}`])).toBe(1);
    await eventually(() => allSee([a, b], ["v6-a", "v6-b"], "alive"), 5_000, "both alive over ::1");
    expect(a.members().find((m) => m.name === "v6-b")).toMatchObject({addr: "::1", port: b.address.port});
  });

  it("encrypts: agents sharing a key converge, an agent without it cannot join and is not listed", async () => {
    const key = generateKeyBase64();
    const a = await cluster.add({name: "enc-a", encrypt: key});
    const b = await cluster.add({name: "enc-b", encrypt: [key]});
    const outsider = await cluster.add({name: "plain", tcpTimeoutMs: 500});
    expect(await b.join([addressOf(a)])).toBe(1);
    await eventually(() => allSee([a, b], ["enc-a", "enc-b"], "alive"), 5_000, "encrypted pair converges");
    await expect(outsider.join([addressOf(a)])).rejects.toMatchObject({name: "JoinError"});
    expect(a.members().map((m) => m.name)).not.toContain("plain");
    expect(a.stats.driver.streamDecodeErrors).toBeGreaterThanOrEqual(1);
  });

  it("interoperates with compression turned off on one side", async () => {
    const a = await cluster.add({name: "zip", compress: true});
    const b = await cluster.add({name: "nozip", compress: false});
    expect(await b.join([addressOf(a)])).toBe(1);
    await eventually(() => allSee([a, b], ["zip", "nozip"], "alive"), 5_000, "both alive");
  });

  it("gossips a tag change as member:updated with a higher incarnation", async () => {
    const a = await cluster.add({name: "tagged", tags: {role: "web"}});
    const b = await cluster.add({name: "watcher", join: [addressOf(a)]});
    await eventually(() => allSee([a, b], ["tagged", "watcher"], "alive"), 5_000, "both alive");
    const before = b.members().find((m) => m.name === "tagged")?.incarnation ?? 0;
    const since = performance.now();
    a.setTags({role: "db", zone: "z1"});
    await eventually(() => cluster.find("watcher", "tagged", "updated", since) !== undefined, 5_000, "member:updated");
    const seen = b.members().find((m) => m.name === "tagged");
    expect(seen?.tags).toEqual({role: "db", zone: "z1"});
    expect(seen?.incarnation).toBeGreaterThan(before);
  });
});
