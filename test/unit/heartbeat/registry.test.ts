import {describe, expect, it} from "vitest";
import {InvalidConfigError} from "../../../src/core/index.ts";
import {HeartbeatRegistry, type HeartbeatRegistryInit} from "../../../src/heartbeat/registry.ts";

/** Beats `name` every `intervalMs` from `fromMs`, `count` times; returns the last beat's time. */
function beatEvery(registry: HeartbeatRegistry, name: string, fromMs: number, intervalMs: number, count: number) {
  let t = fromMs;
  for (let i = 0; i < count; i++) {
    registry.beat(t, name, "10.0.0.9");
    if (i < count - 1) t += intervalMs;
  }
  return t;
}

describe("HeartbeatRegistry", () => {
  it("brings a device up on its first beat", () => {
    const registry = new HeartbeatRegistry();
    const {result, transition} = registry.beat(0, "cam-1", "10.0.0.9");
    expect(result).toBe("accepted");
    expect(transition?.type).toBe("up");
    expect(transition?.device).toMatchObject({name: "cam-1", state: "up", addr: "10.0.0.9", sources: ["local"]});
    expect(registry.beat(1000, "cam-1", "10.0.0.9").transition).toBeUndefined();
  });

  it("takes a silent device down within the phi-accrual bound and up again when it resumes", () => {
    const registry = new HeartbeatRegistry(); // threshold 8, σ floor 100 ms, pause 3 s
    const last = beatEvery(registry, "cam-1", 0, 1000, 30);
    // With regular 1 s beats: mean 1000 + 3000 pause, σ = 100 ⇒ φ reaches 8 about 4.6 s after the last beat.
    for (let t = last; t <= last + 4_400; t += 100) expect(registry.evaluate(t)).toEqual([]);
    let downAt: number | undefined;
    for (let t = last + 4_400; t <= last + 6_000 && downAt === undefined; t += 100) {
      const transitions = registry.evaluate(t);
      if (transitions.length > 0) {
        expect(transitions).toHaveLength(1);
        expect(transitions[0]?.type).toBe("down");
        downAt = t;
      }
    }
    expect(downAt).toBeDefined();
    expect((downAt as number) - last).toBeGreaterThanOrEqual(4_500);
    expect((downAt as number) - last).toBeLessThanOrEqual(4_800);
    expect(registry.device(last + 10_000, "cam-1")?.state).toBe("down");

    const back = registry.beat(last + 20_000, "cam-1", "10.0.0.9");
    expect(back.transition?.type).toBe("up");
    expect(registry.evaluate(last + 20_500)).toEqual([]);
  });

  it("rate-limits a flood from one address without touching other senders", () => {
    const registry = new HeartbeatRegistry({ratePerSecond: 10, burst: 20});
    const results = Array.from({length: 1000}, (_, i) => registry.beat(0, `flood-${i % 5}`, "10.6.6.6").result);
    expect(results.filter((r) => r === "accepted")).toHaveLength(20);
    expect(registry.stats.beatsRateLimited).toBe(980);
    expect(registry.beat(0, "honest", "10.0.0.1").result).toBe("accepted");
    // One second later the bucket refilled by ten.
    const later = Array.from({length: 50}, () => registry.beat(1000, "flood-0", "10.6.6.6").result);
    expect(later.filter((r) => r === "accepted")).toHaveLength(10);
  });

  it("bounds the rate table by evicting the least recently seen address", () => {
    const registry = new HeartbeatRegistry({maxAddresses: 100});
    for (let i = 0; i < 10_000; i++) registry.beat(i, "d", `10.0.${i >> 8}.${i & 255}`);
    expect(registry.addressCount).toBe(100);
  });

  it("bounds the device table: evicts the longest-down device, refuses when all are up", () => {
    const init: HeartbeatRegistryInit = {maxDevices: 3, phi: {acceptableHeartbeatPauseMs: 0}};
    const registry = new HeartbeatRegistry(init);
    registry.beat(0, "a", "h1");
    registry.beat(10, "b", "h2");
    registry.beat(20, "c", "h3");
    expect(registry.beat(30, "d", "h4").result).toBe("devicesFull");
    registry.evaluate(60_000); // all three are down now
    expect(registry.beat(60_000, "d", "h4").result).toBe("accepted");
    expect(registry.size).toBe(3);
    expect(registry.stats.devicesEvicted).toBe(1);
  });

  it("forgets a device that stayed down longer than forgetAfterMs", () => {
    const registry = new HeartbeatRegistry({forgetAfterMs: 60_000});
    registry.beat(0, "old", "h");
    registry.evaluate(10_000);
    expect(registry.device(10_000, "old")?.state).toBe("down");
    registry.evaluate(80_000);
    expect(registry.size).toBe(0);
    expect(registry.stats.devicesForgotten).toBe(1);
  });

  describe("remote reports", () => {
    it("recomputes a reported device's phi as time passes, and takes it down on schedule", () => {
      const here = new HeartbeatRegistry();
      const there = new HeartbeatRegistry();
      const last = beatEvery(there, "cam-9", 0, 1000, 30);
      const report = there.localReports(last + 500);
      expect(report).toHaveLength(1);
      const up = here.applyReport(last + 520, "agent-b", report);
      expect(up.map((t) => t.type)).toEqual(["up"]);
      expect(here.device(last + 520, "cam-9")).toMatchObject({state: "up", sources: ["agent-b"], addr: null});
      // The reporter keeps reporting the growing silence; both sides go down at about the same time.
      let downHere: number | undefined;
      let downThere: number | undefined;
      for (let t = last + 600; t <= last + 8_000; t += 100) {
        if (t % 1000 === 0) here.applyReport(t, "agent-b", there.localReports(t));
        if (here.evaluate(t).some((x) => x.type === "down")) downHere ??= t;
        if (there.evaluate(t).some((x) => x.type === "down")) downThere ??= t;
      }
      expect(downHere).toBeDefined();
      expect(downThere).toBeDefined();
      expect(Math.abs((downHere as number) - (downThere as number))).toBeLessThanOrEqual(100);
    });

    it("takes a remote-only device down when its reporter stops reporting", () => {
      const registry = new HeartbeatRegistry({reportTtlMs: 5_000});
      registry.applyReport(0, "agent-b", [{name: "cam", agoMs: 0, meanMs: 100_000, stdDeviationMs: 100}]);
      expect(registry.evaluate(4_000)).toEqual([]);
      expect(registry.evaluate(6_000).map((t) => t.type)).toEqual(["down"]);
    });

    it("forgets a reporter that left: devices only it heard go down", () => {
      const registry = new HeartbeatRegistry();
      const entry = {name: "cam", agoMs: 0, meanMs: 100_000, stdDeviationMs: 100};
      registry.applyReport(0, "agent-b", [entry]);
      registry.applyReport(0, "agent-c", [{...entry, name: "cam-2"}]);
      registry.dropReporter("agent-b");
      expect(registry.evaluate(10).map((t) => `${t.type}:${t.device.name}`)).toEqual(["down:cam"]);
    });

    it("prefers the source with the lowest phi", () => {
      const registry = new HeartbeatRegistry();
      registry.applyReport(0, "far", [{name: "cam", agoMs: 9_000, meanMs: 1_000, stdDeviationMs: 100}]);
      expect(registry.device(0, "cam")?.state).toBe("down");
      const [up] = registry.applyReport(0, "near", [{name: "cam", agoMs: 10, meanMs: 1_000, stdDeviationMs: 100}]);
      expect(up?.type).toBe("up");
      expect(registry.device(0, "cam")?.sources).toEqual(["near", "far"]);
    });

    it("keeps at most maxReportersPerDevice reporters per device", () => {
      const registry = new HeartbeatRegistry({maxReportersPerDevice: 2});
      for (let i = 0; i < 10; i++) {
        registry.applyReport(i, `agent-${i}`, [{name: "cam", agoMs: 0, meanMs: 1_000, stdDeviationMs: 100}]);
      }
      expect(registry.device(10, "cam")?.sources).toHaveLength(2);
    });
  });

  it("rejects bad options, naming the field", () => {
    const cases: [HeartbeatRegistryInit, string][] = [
      [{maxDevices: 0}, "maxDevices"],
      [{ratePerSecond: -1}, "ratePerSecond"],
      [{burst: 0.5}, "burst"],
      [{phi: {threshold: 0}}, "phi.threshold"],
    ];
    for (const [init, field] of cases) {
      try {
        new HeartbeatRegistry(init);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidConfigError);
        expect((error as InvalidConfigError).field).toBe(field);
      }
    }
  });
});
