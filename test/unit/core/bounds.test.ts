import {describe, expect, it} from "vitest";
import {detectionBound} from "../../../src/core/bounds.ts";
import {lanConfig, localConfig, resolveConfig, swiftConfig} from "../../../src/core/index.ts";

describe("detectionBound", () => {
  it.each([
    {
      title: "LAN, 5 members: 8 s first probe + 1 s period + 24 s max suspicion + 0.8 s gossip",
      config: lanConfig(),
      n: 5,
      expected: {
        firstProbeMs: 8_000,
        probePeriodMs: 1_000,
        suspicionMinMs: 4_000,
        suspicionMaxMs: 24_000,
        disseminationMs: 800,
        stallGraceMs: 0,
        totalMs: 33_800,
      },
    },
    {
      title: "fast local (200 ms probes), 5 members: the integration tests' bound",
      config: resolveConfig({probeIntervalMs: 200, probeTimeoutMs: 100}, localConfig()),
      n: 5,
      expected: {
        firstProbeMs: 1_600,
        probePeriodMs: 200,
        suspicionMinMs: 600,
        suspicionMaxMs: 3_600,
        disseminationMs: 200,
        stallGraceMs: 0,
        totalMs: 5_600,
      },
    },
    {
      title: "LAN, 100 members: suspicion scales with log10 n, dissemination with ceil(log10(n+1))",
      config: lanConfig(),
      n: 100,
      expected: {
        firstProbeMs: 198_000,
        probePeriodMs: 1_000,
        suspicionMinMs: 8_000,
        suspicionMaxMs: 48_000,
        disseminationMs: 2_400,
        stallGraceMs: 0,
        totalMs: 249_400,
      },
    },
    {
      title: "swift, 5 members: LAN's maximum suspicion, plus the late-timer grace twice",
      config: swiftConfig(),
      n: 5,
      expected: {
        firstProbeMs: 8_000,
        probePeriodMs: 1_000,
        suspicionMinMs: 2_000,
        suspicionMaxMs: 24_000,
        disseminationMs: 800,
        stallGraceMs: 200,
        totalMs: 34_000,
      },
    },
  ])("$title", ({config, n, expected}) => {
    expect(detectionBound(config, n)).toEqual(expected);
  });

  it("scales the probe terms (not the suspicion timeout) by the observers' awareness score + 1, capped", () => {
    const config = lanConfig();
    expect(detectionBound(config, 5, 2)).toMatchObject({
      firstProbeMs: 24_000,
      probePeriodMs: 3_000,
      suspicionMaxMs: 24_000,
    });
    expect(detectionBound(config, 5, 99).probePeriodMs).toBe(8_000);
  });
});
