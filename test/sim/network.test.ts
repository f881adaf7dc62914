import {describe, expect, it} from "vitest";
import {createSimulation, Network} from "../../sim/index.ts";
import {createRandom} from "../../src/core/index.ts";

function net(overrides: Partial<ConstructorParameters<typeof Network>[0]> = {}): Network {
  return new Network(
    {
      nodes: 4,
      latency: {minMs: 5, jitterMeanMs: 0},
      lossRate: 0,
      duplicateRate: 0,
      reorderRate: 0,
      reorderMs: 0,
      ...overrides,
    },
    createRandom(1),
  );
}

describe("Network", () => {
  it("cuts both directions between the groups of a symmetric partition and nothing else", () => {
    const n = net();
    n.block([0, 1], [2, 3], "p");
    n.block([2, 3], [0, 1], "p");
    const out: number[] = [];
    for (let a = 0; a < 4; a++) {
      for (let b = 0; b < 4; b++) {
        if (a === b) continue;
        const sameSide = a < 2 === b < 2;
        expect(n.datagram(a, b, out)).toBe(sameSide ? 1 : 0);
        expect(n.stream(a, b) >= 0).toBe(sameSide);
      }
    }
  });

  it("cuts only from -> to in a one-way partition", () => {
    const n = net();
    n.block([0], [1, 2, 3], "oneWay");
    const out: number[] = [];
    expect(n.datagram(0, 1, out)).toBe(0);
    expect(n.datagram(1, 0, out)).toBe(1);
    expect(n.datagram(2, 3, out)).toBe(1);
    expect(n.stats.blocked).toBe(1);
  });

  it("restores every link when the blocks are cleared", () => {
    const n = net();
    n.block([0], [1], "x");
    expect(n.clearBlocks()).toBe(1);
    expect(n.datagram(0, 1, [])).toBe(1);
  });

  it("drops about the configured fraction of datagrams", () => {
    const n = net({lossRate: 0.3});
    const out: number[] = [];
    let delivered = 0;
    for (let k = 0; k < 20_000; k++) delivered += n.datagram(0, 1, out);
    expect(delivered / 20_000).toBeGreaterThan(0.68);
    expect(delivered / 20_000).toBeLessThan(0.72);
  });

  it("combines a node's ingress loss with the network's loss", () => {
    const n = net();
    n.ingressLoss[1] = 0.8;
    let toFlaky = 0;
    let fromFlaky = 0;
    for (let k = 0; k < 10_000; k++) {
      toFlaky += n.datagram(0, 1, []);
      fromFlaky += n.datagram(1, 0, []);
    }
    expect(toFlaky / 10_000).toBeGreaterThan(0.18);
    expect(toFlaky / 10_000).toBeLessThan(0.22);
    expect(fromFlaky).toBe(10_000);
  });

  it("duplicates datagrams with their own latencies", () => {
    const n = net({duplicateRate: 1, latency: {minMs: 5, jitterMeanMs: 10}});
    const out: number[] = [];
    expect(n.datagram(0, 1, out)).toBe(2);
    expect(n.stats.duplicated).toBe(1);
    expect(out[0]).toBeGreaterThanOrEqual(5);
    expect(out[1]).toBeGreaterThanOrEqual(5);
  });

  it("draws latency as min plus exponential jitter with the configured mean", () => {
    const n = net({latency: {minMs: 10, jitterMeanMs: 20}});
    const out: number[] = [];
    let sum = 0;
    let min = Number.POSITIVE_INFINITY;
    for (let k = 0; k < 20_000; k++) {
      n.datagram(0, 1, out);
      sum += out[0] as number;
      min = Math.min(min, out[0] as number);
    }
    expect(min).toBe(10);
    expect(sum / 20_000).toBeGreaterThan(29);
    expect(sum / 20_000).toBeLessThan(31);
  });

  it("reorders: a reordered datagram gets an extra delay inside the window", () => {
    const n = net({reorderRate: 1, reorderMs: 50});
    const out: number[] = [];
    const seen = new Set<number>();
    for (let k = 0; k < 1000; k++) {
      n.datagram(0, 1, out);
      expect(out[0]).toBeGreaterThanOrEqual(5);
      expect(out[0]).toBeLessThan(55);
      seen.add(out[0] as number);
    }
    expect(seen.size).toBeGreaterThan(30);
  });
});

/** Parses the simulator's trace lines "T nK <- packet 10.0.0.J …" into [time, to, from]. */
function packetDeliveries(lines: string[]): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const line of lines) {
    const m = /^(\d+) n(\d+) <- packet 10\.0\.(\d+)\.(\d+) /.exec(line);
    if (m) out.push([Number(m[1]), Number(m[2]), Number(m[3]) * 256 + Number(m[4])]);
  }
  return out;
}

describe("Network streams", () => {
  it("opens a stream for its one-way latency when nothing is lost, drawing nothing extra", () => {
    const a = net();
    const b = net();
    expect(a.streamOpen(0, 1)).toBe(5);
    expect(a.stream(0, 1)).toBe(b.stream(0, 1));
  });

  it("waits for the 1 s initial SYN timeout, doubling, when the handshake loses packets", () => {
    const n = net({lossRate: 0.5});
    const opens: number[] = [];
    for (let k = 0; k < 2_000; k++) opens.push(n.streamOpen(0, 1));
    const arrived = opens.filter((d) => d >= 0);
    // Each attempt succeeds with (1 − 0.5)² = 0.25: three quarters wait at least 1 s.
    const waited = arrived.filter((d) => d >= 1_000).length / arrived.length;
    expect(waited).toBeGreaterThan(0.7);
    expect(waited).toBeLessThan(0.8);
    expect(arrived.some((d) => d >= 3_000)).toBe(true);
    // Seven failed attempts in a row (0.75⁷ ≈ 13 %) give up.
    expect(opens.length - arrived.length).toBeGreaterThan(150);
    expect(opens.length - arrived.length).toBeLessThan(380);
  });

  it("loses the handshake's answer too: loss only towards the opener still delays the open", () => {
    const n = net();
    n.ingressLoss[0] = 1;
    expect(n.streamOpen(0, 1)).toBe(-1);
    expect(n.stream(0, 1)).toBe(5);
  });

  it("never opens across a block", () => {
    const n = net();
    n.block([0], [1], "p");
    expect(n.streamOpen(0, 1)).toBe(-1);
    expect(n.stats.streamsBlocked).toBe(1);
  });
});

describe("faults in a running simulation", () => {
  it("a partition drops exactly the packets that cross it, and heal restores them", () => {
    const lines: string[] = [];
    const sim = createSimulation({nodes: 12, seed: 3, trace: (l) => lines.push(l)});
    sim.runForMs(10_000);
    const a = sim.names.slice(0, 6);
    sim.partition(a, sim.others(a));
    const start = sim.nowMs;
    sim.runForMs(20_000);
    sim.heal();
    const healed = sim.nowMs;
    sim.runForMs(20_000);
    const side = (i: number) => (i < 6 ? 0 : 1);
    const deliveries = packetDeliveries(lines);
    // Latency is at most a few ms here; packets already in flight at the cut may still land.
    const during = deliveries.filter(([t]) => t > start + 50 && t < healed);
    expect(during.length).toBeGreaterThan(100);
    expect(during.filter(([, to, from]) => side(to) !== side(from))).toEqual([]);
    const after = deliveries.filter(([t, to, from]) => t > healed && side(to) !== side(from));
    expect(after.length).toBeGreaterThan(0);
    expect(sim.network.stats.blocked).toBeGreaterThan(0);
  });

  it("a one-way partition silences only the cut direction", () => {
    const lines: string[] = [];
    const sim = createSimulation({nodes: 6, seed: 4, trace: (l) => lines.push(l)});
    sim.runForMs(10_000);
    sim.partitionOneWay(["n0"], sim.others("n0"));
    const start = sim.nowMs;
    sim.runForMs(15_000);
    const d = packetDeliveries(lines).filter(([t]) => t > start + 50);
    expect(d.filter(([, , from]) => from === 0)).toEqual([]);
    expect(d.filter(([, to]) => to === 0).length).toBeGreaterThan(0);
  });

  it("a flapping link is down and up for the configured periods", () => {
    const sim = createSimulation({nodes: 4, seed: 5});
    sim.runForMs(1_000);
    sim.flap(["n1"], ["n2"], {downMs: 2_000, upMs: 3_000});
    const states: boolean[] = [];
    for (let k = 0; k < 10; k++) {
      sim.runForMs(1_000);
      states.push(sim.network.isBlocked(1, 2));
    }
    // down in [1s, 3s), up in [3s, 6s), down in [6s, 8s), up in [8s, 11s)
    expect(states).toEqual([true, false, false, false, true, true, false, false, false, true]);
    expect(sim.network.isBlocked(2, 1)).toBe(false);
    sim.heal();
    expect(sim.network.isBlocked(1, 2)).toBe(false);
  });
});
