import {describe, expect, it} from "vitest";
import {lanConfig, localConfig, resolveConfig, wanConfig} from "../../../src/core/config.ts";
import {
  expectedConfirmations,
  remainingSuspicionMs,
  Suspicion,
  suspicionTimeoutMs,
} from "../../../src/core/suspicion.ts";
import {expectTimer, findSent, findTimers} from "../../helpers/core-expect.ts";
import {createTestNode, packetFrom, suspect, timerInput} from "../../helpers/core-harness.ts";

describe("suspicionTimeoutMs", () => {
  const rows = [
    {title: "a lone node uses the floor scale of 1", mult: 4, n: 1, interval: 1000, want: 4000},
    {title: "three members still use scale 1 (log10 3 < 1)", mult: 4, n: 3, interval: 1000, want: 4000},
    {title: "ten members give log10 10 = 1", mult: 4, n: 10, interval: 1000, want: 4000},
    {title: "twenty members give 4 × 1.301 s", mult: 4, n: 20, interval: 1000, want: 5204},
    {title: "a thousand members give 4 × 3 s", mult: 4, n: 1000, interval: 1000, want: 12000},
    {title: "WAN: mult 6, 5 s interval, 100 members", mult: 6, n: 100, interval: 5000, want: 60000},
    {
      title: "the scale is truncated to three decimals (n = 7: log10 = 0.845 → 1)",
      mult: 3,
      n: 7,
      interval: 1000,
      want: 3000,
    },
    {title: "n = 50 truncates 1.69897 to 1.698", mult: 4, n: 50, interval: 1000, want: 6792},
  ];
  for (const r of rows) {
    it(r.title, () => {
      expect(suspicionTimeoutMs(r.mult, r.n, r.interval)).toBe(r.want);
    });
  }
});

describe("expectedConfirmations", () => {
  const rows = [
    {title: "k as configured in a big cluster", k: 2, n: 20, want: 2},
    {title: "k = 0 when n − 2 < k (three members)", k: 2, n: 3, want: 0},
    {title: "k stays 2 with exactly four members", k: 2, n: 4, want: 2},
    {title: "k = 0 when configured 0", k: 0, n: 50, want: 0},
    {title: "k never goes negative", k: -1, n: 50, want: 0},
    {title: "a larger k needs a larger table", k: 4, n: 5, want: 0},
  ];
  for (const r of rows) {
    it(r.title, () => {
      expect(expectedConfirmations(r.k, r.n)).toBe(r.want);
    });
  }
  it("follows suspicionMult − 2 when only suspicionMult is set (memberlist's tie)", () => {
    expect(resolveConfig({suspicionMult: 6}).suspicionConfirmations).toBe(4);
    expect(resolveConfig({suspicionMult: 6, suspicionConfirmations: 1}).suspicionConfirmations).toBe(1);
    expect(resolveConfig({suspicionMult: 1}).suspicionConfirmations).toBe(0);
    expect(lanConfig().suspicionConfirmations).toBe(lanConfig().suspicionMult - 2);
    expect(localConfig().suspicionConfirmations).toBe(localConfig().suspicionMult - 2);
    expect(wanConfig().suspicionConfirmations).toBe(wanConfig().suspicionMult - 2);
  });
});

describe("remainingSuspicionMs (memberlist's TestSuspicion_remainingSuspicionTime)", () => {
  const rows = [
    {title: "no confirmations: the full max", n: 0, k: 3, elapsed: 0, min: 2000, max: 30000, want: 30000},
    {title: "one confirmation of three, 2 s elapsed", n: 1, k: 3, elapsed: 2000, min: 2000, max: 30000, want: 14000},
    {title: "two of three, 3 s elapsed", n: 2, k: 3, elapsed: 3000, min: 2000, max: 30000, want: 4810},
    {title: "all three, 4 s elapsed: min minus elapsed", n: 3, k: 3, elapsed: 4000, min: 2000, max: 30000, want: -2000},
    {
      title: "more than k confirmations never goes below min",
      n: 4,
      k: 3,
      elapsed: 5000,
      min: 2000,
      max: 30000,
      want: -3000,
    },
    {
      title: "LAN n = 4..9, one of two confirmations: about 11.38 s",
      n: 1,
      k: 2,
      elapsed: 0,
      min: 4000,
      max: 24000,
      want: 11381,
    },
    {title: "LAN n = 4..9, two of two: min", n: 2, k: 2, elapsed: 0, min: 4000, max: 24000, want: 4000},
  ];
  for (const r of rows) {
    it(r.title, () => {
      expect(remainingSuspicionMs(r.n, r.k, r.elapsed, r.min, r.max)).toBe(r.want);
    });
  }
});

describe("Suspicion confirmations", () => {
  it("does not count the first accuser or a repeated accuser", () => {
    const s = new Suspicion("x", 1, "a", 0, 2, 4000, 24000, 1);
    expect(s.confirm("a", 1000)).toBeUndefined();
    expect(s.confirm("b", 1000)).toBe(11381 - 1000);
    expect(s.confirm("b", 1000)).toBeUndefined();
    expect(s.confirm("c", 2000)).toBe(2000);
    expect(s.confirm("d", 2000)).toBeUndefined();
    expect(s.confirmations).toBe(2);
  });

  it("starts at min when no confirmations are expected", () => {
    expect(new Suspicion("x", 1, "a", 0, 0, 4000, 24000, 1).initialTimeoutMs()).toBe(4000);
    expect(new Suspicion("x", 1, "a", 0, 2, 4000, 24000, 1).initialTimeoutMs()).toBe(24000);
  });
});

function nodeWith(n: number) {
  const others = Array.from({length: n - 1}, (_, i) => `m${i}`);
  return {node: createTestNode({members: others}), others};
}

describe("SwimNode suspicion timers (spec §7.4 LAN examples)", () => {
  it("times a suspicion out after 4 s in a cluster of three (k = 0)", () => {
    const {node} = nodeWith(3);
    const fx = node.handle(100, packetFrom("m0", suspect("m1", 1, "m0")));
    expectTimer(fx, "suspicionTimeout", 4000);
  });

  it("starts at 24 s with four to nine members and shrinks to 11.38 s, then 4 s, with confirmations", () => {
    const {node} = nodeWith(6);
    const fx1 = node.handle(0, packetFrom("m0", suspect("m4", 1, "m0")));
    expectTimer(fx1, "suspicionTimeout", 24000);
    const fx2 = node.handle(1000, packetFrom("m1", suspect("m4", 1, "m1")));
    expectTimer(fx2, "suspicionTimeout", 11381 - 1000);
    const fx3 = node.handle(2000, packetFrom("m2", suspect("m4", 1, "m2")));
    expectTimer(fx3, "suspicionTimeout", 4000 - 2000);
    const fx4 = node.handle(2500, packetFrom("m3", suspect("m4", 1, "m3")));
    expect(findTimers(fx4, "suspicionTimeout")).toEqual([]);
  });

  it("uses min ≈ 5.2 s and max ≈ 31.2 s with twenty members", () => {
    const {node} = nodeWith(20);
    const fx1 = node.handle(0, packetFrom("m0", suspect("m5", 1, "m0")));
    expectTimer(fx1, "suspicionTimeout", 31224);
    node.handle(0, packetFrom("m1", suspect("m5", 1, "m1")));
    const fx3 = node.handle(0, packetFrom("m2", suspect("m5", 1, "m2")));
    expectTimer(fx3, "suspicionTimeout", 5204);
  });

  it("re-gossips the suspect on each new confirmation only", () => {
    const {node} = nodeWith(6);
    node.handle(0, packetFrom("m0", suspect("m4", 1, "m0")));
    const repeat = node.handle(0, packetFrom("m0", suspect("m4", 1, "m0")));
    expect(findTimers(repeat, "suspicionTimeout")).toEqual([]);
    const ping = {type: "ping", seqNo: 9, node: "self"} as const;
    const ack1 = node.handle(0, packetFrom("m3", ping));
    expect(findSent(ack1, {to: "m3", type: "suspect"}).map((s) => s.message.from)).toEqual(["m0"]);
    node.handle(0, packetFrom("m1", suspect("m4", 1, "m1")));
    const ack2 = node.handle(0, packetFrom("m3", ping));
    expect(findSent(ack2, {to: "m3", type: "suspect"}).map((s) => s.message.from)).toEqual(["m1"]);
  });

  it("declares the member dead when a confirmation brings the timeout to zero or below", () => {
    const {node} = nodeWith(6);
    node.handle(0, packetFrom("m0", suspect("m4", 1, "m0")));
    node.handle(0, packetFrom("m1", suspect("m4", 1, "m1")));
    const fx = node.handle(5000, packetFrom("m2", suspect("m4", 1, "m2")));
    expect(node.member("m4")?.state).toBe("dead");
    expect(fx.some((e) => e.type === "notify" && e.event.type === "memberDown")).toBe(true);
  });

  it("declares the member dead when the current timer fires, and ignores a superseded one", () => {
    const {node} = nodeWith(6);
    const fx1 = node.handle(0, packetFrom("m0", suspect("m4", 1, "m0")));
    const first = expectTimer(fx1, "suspicionTimeout");
    const fx2 = node.handle(1000, packetFrom("m1", suspect("m4", 1, "m1")));
    const second = expectTimer(fx2, "suspicionTimeout");
    expect(second.token).not.toBe(first.token);
    expect(node.handle(20_000, timerInput(first))).toEqual([]);
    expect(node.member("m4")?.state).toBe("suspect");
    node.handle(20_000, timerInput(second));
    expect(node.member("m4")?.state).toBe("dead");
  });

  it("ignores a stale timer after the suspect refuted", () => {
    const {node} = nodeWith(6);
    const fx1 = node.handle(0, packetFrom("m0", suspect("m4", 1, "m0")));
    const timer = expectTimer(fx1, "suspicionTimeout");
    node.handle(
      100,
      packetFrom("m4", {
        type: "alive",
        incarnation: 2,
        node: "m4",
        addr: node.member("m4")!.addr,
        meta: new Uint8Array(0),
        vsn: node.member("m4")!.vsn,
      }),
    );
    const fx = node.handle(30_000, timerInput(timer));
    expect(fx).toEqual([]);
    expect(node.member("m4")?.state).toBe("alive");
  });
});
