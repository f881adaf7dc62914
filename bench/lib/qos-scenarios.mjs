/*
 * The scenarios of bench/qos.mjs, one per run: which faults happen when, jittered by the run's
 * own seed (a fixed period would phase-lock with the probers' tickers), and which nodes are under
 * a fault (accusing those is not accusing a healthy member).
 */

/** A small seeded PRNG (mulberry32) for fault times and choices: the run's own seed decides them. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Distinct random node indices in [from, n), avoiding `taken`. */
function pick(random, n, count, taken = new Set(), from = 1) {
  const out = [];
  while (out.length < count) {
    const i = from + Math.floor(random() * (n - from));
    if (taken.has(i)) continue;
    taken.add(i);
    out.push(i);
  }
  return out;
}

/** The scenario of one run, and which nodes are under a fault (their accusations are not of healthy members). */
export function scenarioOf(spec) {
  const random = prng(spec.seed * 7919 + spec.n);
  const warmMs = spec.n >= 1000 ? 40_000 : 30_000;
  const faults = [];
  const faulty = new Set();
  const taken = new Set();
  let durationMs;
  const crashAt = (count, fromMs, gapMs) => {
    for (const [k, i] of pick(random, spec.n, count, taken).entries()) {
      faults.push({atMs: Math.round(fromMs + k * gapMs + random() * 10_000), type: "crash", nodes: `n${i}`});
    }
  };
  switch (spec.kind) {
    case "crash": {
      const gapMs = spec.n >= 1000 ? 30_000 : 25_000;
      crashAt(spec.crashes, warmMs, gapMs);
      durationMs = warmMs + spec.crashes * gapMs + 20_000;
      break;
    }
    case "slow": {
      for (const i of pick(random, spec.n, Math.ceil(spec.n * 0.05), taken)) {
        faulty.add(i);
        const delayMs = Math.round(400 + random() * 1100);
        faults.push({
          atMs: warmMs + Math.round(random() * 5_000),
          type: "slow",
          nodes: `n${i}`,
          delayMs,
          durationMs: 120_000,
        });
      }
      crashAt(2, warmMs + 30_000, 40_000);
      durationMs = warmMs + 140_000;
      break;
    }
    case "pause": {
      const paused = pick(random, spec.n, 3, taken);
      for (const i of paused) {
        faulty.add(i);
        for (let t = warmMs + random() * 10_000; t < warmMs + 120_000; t += 8_000 + random() * 12_000) {
          faults.push({
            atMs: Math.round(t),
            type: "pause",
            nodes: `n${i}`,
            durationMs: Math.round(200 + random() * 2_800),
          });
        }
      }
      crashAt(2, warmMs + 30_000, 40_000);
      durationMs = warmMs + 140_000;
      break;
    }
    case "flaky": {
      for (const i of pick(random, spec.n, Math.ceil(spec.n * 0.01), taken)) {
        faulty.add(i);
        faults.push({atMs: 30_000, type: "loss", nodes: `n${i}`, ingress: 0.8});
      }
      durationMs = 240_000;
      break;
    }
    case "flapping": {
      const [i] = pick(random, spec.n, 1, taken);
      faulty.add(i);
      let t = warmMs;
      while (t < warmMs + 200_000) {
        const downMs = Math.round(15_000 + random() * 10_000);
        faults.push({atMs: Math.round(t), type: "partitionOneWay", from: `n${i}`, to: `!n${i}`, durationMs: downMs});
        t += downMs + 15_000 + random() * 10_000;
      }
      durationMs = warmMs + 220_000;
      break;
    }
    default:
      throw new Error(`unknown kind ${spec.kind}`);
  }
  const scenario = {
    name: `qos-${spec.kind}`,
    description: "bench/qos.mjs",
    nodes: spec.n,
    seed: spec.seed,
    durationMs,
    profile: spec.profile.base,
    config: spec.profile.config,
    latency: {minMs: 1, jitterMeanMs: 1},
    lossRate: spec.loss,
    joinSpreadMs: spec.n >= 1000 ? 5_000 : 2_000,
    faults,
    expect: {safety: true},
  };
  return {scenario, faulty};
}
