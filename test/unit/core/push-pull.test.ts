import {describe, expect, it} from "vitest";
import type {PushNodeState, Vsn} from "../../../src/core/index.ts";
import {pushPullScaleMs, verifyProtocol} from "../../../src/core/push-pull.ts";

describe("pushPullScaleMs", () => {
  const rows = [
    {title: "unchanged up to 32 members", n: 32, want: 30_000},
    {title: "doubled for 33..64 members", n: 33, want: 60_000},
    {title: "doubled at 64", n: 64, want: 60_000},
    {title: "tripled for 65..128", n: 65, want: 90_000},
    {title: "×7 for 1,025..2,048", n: 2000, want: 210_000},
    {title: "a lone node is unchanged", n: 1, want: 30_000},
  ];
  for (const r of rows) {
    it(r.title, () => {
      expect(pushPullScaleMs(30_000, r.n)).toBe(r.want);
    });
  }
});

function state(name: string, vsn: Vsn | readonly number[], s: PushNodeState["state"] = "alive"): PushNodeState {
  return {name, addr: {host: "10.0.0.1", port: 1}, incarnation: 1, meta: new Uint8Array(0), state: s, vsn: vsn as Vsn};
}

describe("verifyProtocol (spec §6.4)", () => {
  const serf: Vsn = [1, 5, 2, 2, 5, 5];
  const local = [{name: "self", state: "alive", vsn: serf}];

  it("accepts a serf-like cluster", () => {
    expect(verifyProtocol(local, [state("s1", serf), state("s2", serf, "dead")])).toBeUndefined();
  });

  it("rejects a remote member speaking a protocol beyond what an alive member understands", () => {
    expect(verifyProtocol(local, [state("s1", [1, 5, 6, 2, 5, 5])])).toMatch(/s1/);
  });

  it("rejects when a remote alive member cannot understand what we speak", () => {
    expect(verifyProtocol(local, [state("s1", [3, 5, 3, 2, 5, 5])])).toMatch(/protocol version/);
  });

  it("checks delegate versions too", () => {
    expect(verifyProtocol(local, [state("s1", [1, 5, 2, 2, 3, 3])])).toMatch(/delegate/);
  });

  it("treats an empty remote Vsn as version zero, which fails", () => {
    expect(verifyProtocol(local, [state("s1", [], "dead")])).toMatch(/s1/);
  });

  it("ignores non-alive members when computing the range", () => {
    // Alive, its pMin 3 would exclude our pCur 2; dead, it does not constrain the range.
    expect(verifyProtocol(local, [state("s1", [3, 5, 3, 2, 5, 5], "alive")])).toMatch(/self/);
    expect(verifyProtocol(local, [state("s1", [3, 5, 3, 2, 5, 5], "dead")])).toBeUndefined();
  });
});
