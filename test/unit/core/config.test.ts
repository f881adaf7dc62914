/*
 * The protocol config's rules, one row per field: the bounds documented for each field are the
 * bounds enforced, a value one past either bound is an InvalidConfigError naming that field, and
 * the presets are memberlist's and valid.
 */
import {describe, expect, it} from "vitest";
import {
  CONFIG_FIELDS,
  InvalidConfigError,
  lanConfig,
  localConfig,
  PROFILES,
  profileConfig,
  resolveConfig,
  type SwimConfig,
  wanConfig,
} from "../../../src/core/index.ts";

/** The documented bounds (README "Running an agent" and the config comments). */
const BOUNDS: Readonly<Record<string, readonly [number, number]>> = {
  probeIntervalMs: [1, 3_600_000],
  probeTimeoutMs: [1, 3_600_000],
  indirectChecks: [0, 64],
  retransmitMult: [1, 100],
  suspicionMult: [1, 100],
  suspicionMaxTimeoutMult: [1, 100],
  suspicionConfirmations: [0, 100],
  lateTimerGraceMs: [0, 60_000],
  refutedSuspicionMult: [0, 100],
  userGossipSharePct: [0, 100],
  gossipIntervalMs: [1, 3_600_000],
  gossipNodes: [0, 64],
  gossipToTheDeadMs: [0, 86_400_000],
  pushPullIntervalMs: [0, 86_400_000],
  awarenessMaxMultiplier: [1, 64],
  maxPacketBytes: [512, 65_000],
  tcpTimeoutMs: [1, 3_600_000],
  deadNodeReclaimMs: [0, 30 * 86_400_000],
  reconnectIntervalMs: [0, 86_400_000],
  reconnectTimeoutMs: [0, 365 * 86_400_000],
  leaveTimeoutMs: [0, 3_600_000],
  maxMembers: [1, 10_000_000],
};

/** A base in which the cross-field rule (probeTimeoutMs < probeIntervalMs) holds for any bound tested. */
function base(field: string): SwimConfig {
  if (field === "probeTimeoutMs") return {...lanConfig(), probeIntervalMs: 3_600_000};
  if (field === "probeIntervalMs") return {...lanConfig(), probeTimeoutMs: 1};
  return lanConfig();
}

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).code).toBe("ERR_INVALID_CONFIG");
    return (error as InvalidConfigError).field;
  }
  return undefined;
}

describe("config rules", () => {
  it("has a documented bound for every numeric field", () => {
    const booleans = ["disableTcpPings", "suspectProbes", "liveConfirmations", "refusedProbeFails", "quietJoin"];
    expect(CONFIG_FIELDS.filter((f) => !booleans.includes(f)).sort()).toEqual(Object.keys(BOUNDS).sort());
  });

  for (const [field, [min, max]] of Object.entries(BOUNDS)) {
    // The cross-field rule (timeout < interval, both ≥ 1) keeps the interval above 1 and the timeout below its max.
    const low = field === "probeIntervalMs" ? min + 1 : min;
    const top = field === "probeTimeoutMs" ? max - 1 : max;
    it(`${field}: accepts ${low} and ${top}, refuses ${min - 1}, ${max + 1}, ${min + 0.5} and "${min}"`, () => {
      expect(resolveConfig({[field]: low}, base(field))[field as keyof SwimConfig]).toBe(low);
      expect(resolveConfig({[field]: top}, base(field))[field as keyof SwimConfig]).toBe(top);
      for (const bad of [min - 1, max + 1, min + 0.5, String(min)]) {
        expect(
          fieldOf(() => resolveConfig({[field]: bad} as never, base(field))),
          `${field} = ${bad}`,
        ).toBe(field);
      }
    });
  }

  it("refuses a probe timeout that is not below the probe interval", () => {
    expect(fieldOf(() => resolveConfig({probeIntervalMs: 500, probeTimeoutMs: 500}))).toBe("probeTimeoutMs");
  });

  it("refuses a non-boolean disableTcpPings, suspectProbes, liveConfirmations or refusedProbeFails and an unknown field, naming them", () => {
    expect(fieldOf(() => resolveConfig({disableTcpPings: "yes"} as never))).toBe("disableTcpPings");
    expect(fieldOf(() => resolveConfig({suspectProbes: 1} as never))).toBe("suspectProbes");
    expect(fieldOf(() => resolveConfig({liveConfirmations: "on"} as never))).toBe("liveConfirmations");
    expect(fieldOf(() => resolveConfig({refusedProbeFails: 1} as never))).toBe("refusedProbeFails");
    expect(fieldOf(() => resolveConfig({probeIntervalMS: 10} as never))).toBe("probeIntervalMS");
  });

  it("returns a frozen config", () => {
    expect(Object.isFrozen(resolveConfig())).toBe(true);
  });
});

describe("profiles", () => {
  it("lan, wan, local and swift resolve unchanged (every preset obeys the rules)", () => {
    for (const make of Object.values(PROFILES)) expect(resolveConfig({}, make())).toEqual(make());
  });

  it("carry memberlist's defaults where they differ", () => {
    expect([lanConfig().probeIntervalMs, lanConfig().probeTimeoutMs, lanConfig().suspicionMult]).toEqual([
      1_000, 500, 4,
    ]);
    expect([wanConfig().probeIntervalMs, wanConfig().probeTimeoutMs, wanConfig().suspicionMult]).toEqual([
      5_000, 3_000, 6,
    ]);
    expect([localConfig().probeTimeoutMs, localConfig().indirectChecks, localConfig().suspicionMult]).toEqual([
      200, 1, 3,
    ]);
  });

  it("an unknown profile is an InvalidConfigError naming profile and listing the names", () => {
    expect(fieldOf(() => profileConfig("fast"))).toBe("profile");
    expect(() => profileConfig("fast")).toThrow(/must be one of lan, wan, local/);
  });
});
