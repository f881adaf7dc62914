import {describe, expect, it} from "vitest";
import {encodeHeartbeatReports} from "../../../src/heartbeat/gossip.ts";
import {HeartbeatService} from "../../../src/heartbeat/service.ts";

/** Services on a pretend cluster: a broadcast is delivered to every other service at once. */
function createCluster(names: string[]) {
  let now = 0;
  const services = new Map<string, HeartbeatService>();
  const events: string[] = [];
  const broadcasts: string[] = [];
  for (const name of names) {
    const service = new HeartbeatService({
      name,
      now: () => now,
      broadcast: (payload) => {
        broadcasts.push(name);
        for (const [other, peer] of services) if (other !== name) peer.handleMessage(payload);
      },
    });
    service.on("heartbeat:up", (d) => events.push(`${name} up ${d.name}`));
    service.on("heartbeat:down", (d) => events.push(`${name} down ${d.name}`));
    services.set(name, service);
  }
  return {
    services,
    events,
    broadcasts,
    get: (name: string) => services.get(name) as HeartbeatService,
    at: (ms: number) => {
      now = ms;
    },
  };
}

describe("HeartbeatService", () => {
  it("shares a device heard by one agent with the others, which judge it with the same phi", () => {
    const cluster = createCluster(["a", "b", "c"]);
    for (let t = 0; t <= 20_000; t += 1000) {
      cluster.at(t);
      cluster.get("a").beat("sensor", "10.0.0.7");
      if (t % 2000 === 0) cluster.get("a").report();
    }
    expect(cluster.events).toEqual(["a up sensor", "b up sensor", "c up sensor"]);
    const seen = cluster.get("c").devices();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({name: "sensor", state: "up", sources: ["a"], addr: null});

    // The sensor stops; "a" keeps reporting the silence; everyone takes it down.
    for (let t = 20_100; t <= 30_000; t += 100) {
      cluster.at(t);
      if (t % 2000 === 0) cluster.get("a").report();
      for (const service of cluster.services.values()) service.evaluate();
    }
    expect(cluster.events.slice(3).sort()).toEqual(["a down sensor", "b down sensor", "c down sensor"]);
  });

  it("relays each report once and ignores duplicates and its own reports", () => {
    const cluster = createCluster(["a", "b", "c"]);
    cluster.get("a").beat("sensor", "10.0.0.7");
    cluster.get("a").report();
    // a sends 1; b and c each relay it once; the relays arrive as duplicates elsewhere.
    expect(cluster.broadcasts.sort()).toEqual(["a", "b", "c"]);
    expect(cluster.get("b").stats.reportsReceived).toBe(1);
    expect(cluster.get("b").stats.reportsDuplicate).toBe(1);
    expect(cluster.get("b").stats.reportsRelayed).toBe(1);
  });

  it("forgets devices reported by a member that went away", () => {
    const cluster = createCluster(["a", "b"]);
    cluster.get("a").beat("sensor", "10.0.0.7");
    cluster.get("a").report();
    expect(cluster.get("b").devices()[0]?.state).toBe("up");
    cluster.get("b").memberGone("a");
    expect(cluster.events).toContain("b down sensor");
  });

  it("claims only heartbeat reports and counts malformed ones", () => {
    const service = new HeartbeatService({name: "x", broadcast: () => undefined});
    expect(service.handleMessage(Uint8Array.of(0x03, 0x80))).toBe(false); // a serf user event
    expect(service.handleMessage(Uint8Array.of(0x4c, 0x48, 0x01, 0x7b))).toBe(true);
    expect(service.stats.reportsMalformed).toBe(1);
    const [valid] = encodeHeartbeatReports("y", [{name: "d", agoMs: 1, meanMs: 4000, stdDeviationMs: 100}], () => 1);
    expect(service.handleMessage(valid as Uint8Array)).toBe(true);
    expect(service.stats.reportsReceived).toBe(1);
  });

  it("neither reports nor relays when sharing is off, but still learns from others", () => {
    const sent: Uint8Array[] = [];
    const service = new HeartbeatService({name: "x", share: false, broadcast: (p) => void sent.push(p)});
    service.beat("d", "h");
    service.report();
    const [valid] = encodeHeartbeatReports("y", [{name: "e", agoMs: 1, meanMs: 4000, stdDeviationMs: 100}], () => 1);
    service.handleMessage(valid as Uint8Array);
    expect(sent).toEqual([]);
    expect(service.devices().map((d) => d.name)).toEqual(["d", "e"]);
  });

  it("keeps running when broadcasting fails (e.g. while leaving)", () => {
    const service = new HeartbeatService({
      name: "x",
      broadcast: () => {
        throw new Error("node is leaving");
      },
    });
    service.beat("d", "h");
    expect(() => service.report()).not.toThrow();
  });
});
