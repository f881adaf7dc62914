import {describe, expect, it} from "vitest";
import type {PushNodeState, Vsn} from "../../../src/core/index.ts";
import {pushPullScaleMs, verifyProtocol, versionedList} from "../../../src/core/push-pull.ts";

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
  const local = versionedList([{name: "self", state: "alive", vsn: serf}]);

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

  it("names a local member out of range, read through a reused cursor as a member table hands it out", () => {
    const members = [
      {name: "self", state: "alive", vsn: serf},
      {name: "old", state: "dead", vsn: [1, 5, 1, 2, 5, 5] as Vsn},
      {name: "peer", state: "alive", vsn: serf},
    ];
    const cursor = {name: "", state: "", vsn: serf};
    const view = {
      count: members.length,
      ranges: versionedList(members).ranges,
      at(i: number) {
        const m = members[i] as (typeof members)[number];
        cursor.name = m.name;
        cursor.state = m.state;
        cursor.vsn = m.vsn;
        return cursor;
      },
    };
    // Every spoken version lies in [1, 5] and [2, 5]: compatible.
    expect(verifyProtocol(view, [state("s1", serf)])).toBeUndefined();
    members[1] = {name: "old", state: "dead", vsn: [1, 5, 6, 2, 5, 5] as Vsn};
    expect(verifyProtocol(view, [state("s1", serf)])).toMatch(/node 'old' protocol version \(6\)/);
    members[1] = {name: "old", state: "left", vsn: [1, 5, 2, 2, 5, 1] as Vsn};
    expect(verifyProtocol(view, [state("s1", serf)])).toMatch(/node 'old' delegate protocol version \(1\)/);
  });

  it("names remote members before local ones", () => {
    const both = versionedList([{name: "self", state: "dead", vsn: [1, 5, 6, 2, 5, 5] as Vsn}]);
    expect(verifyProtocol(both, [state("s1", serf), state("s2", [1, 5, 6, 2, 5, 5], "left")])).toMatch(/'s2'/);
  });
});
