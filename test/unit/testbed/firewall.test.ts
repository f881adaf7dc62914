import {describe, expect, it} from "vitest";
import {countDrops, createPlan, nodeIpv4, nodeIpv6, renderFirewall} from "../../../src/testbed/index.ts";

describe("renderFirewall", () => {
  it("replaces both chains: cuts by source, then independent loss rules on arrival, loss on departure", () => {
    expect(renderFirewall({cutFrom: ["198.18.0.2", "198.18.0.3"], lossIn: [0.1, 0, 0.5], lossOut: 0.25})).toBe(
      [
        "*filter",
        ":LL-IN - [0:0]",
        ":LL-OUT - [0:0]",
        "-A LL-IN -p udp -s 198.18.0.2 -j DROP",
        "-A LL-IN -p udp -s 198.18.0.3 -j DROP",
        "-A LL-IN -p tcp -s 198.18.0.2 -j DROP",
        "-A LL-IN -p tcp -s 198.18.0.3 -j DROP",
        "-A LL-IN -p udp -m statistic --mode random --probability 0.100000 -j DROP",
        "-A LL-IN -p tcp -m statistic --mode random --probability 0.100000 -j DROP",
        "-A LL-IN -p udp -m statistic --mode random --probability 0.500000 -j DROP",
        "-A LL-IN -p tcp -m statistic --mode random --probability 0.500000 -j DROP",
        "-A LL-OUT -p udp -m statistic --mode random --probability 0.250000 -j DROP",
        "-A LL-OUT -p tcp -m statistic --mode random --probability 0.250000 -j DROP",
        "COMMIT",
        "",
      ].join("\n"),
    );
  });

  it("a healed node gets empty chains", () => {
    expect(renderFirewall({cutFrom: [], lossIn: [0], lossOut: 0})).toBe(
      "*filter\n:LL-IN - [0:0]\n:LL-OUT - [0:0]\nCOMMIT\n",
    );
  });
});

describe("countDrops", () => {
  it("adds UDP drops by loss rules to lost and by cut rules to blocked, and ignores TCP and other rules", () => {
    const dump = [
      "*filter",
      "[12:900] -A INPUT -p udp -m multiport --ports 7946 -j LL-IN",
      "[5:400] -A LL-IN -s 198.18.0.2/32 -p udp -j DROP",
      "[7:700] -A LL-IN -s 198.18.0.2/32 -p tcp -j DROP",
      "[3:300] -A LL-IN -p udp -m statistic --mode random --probability 0.10000000009 -j DROP",
      "[2:200] -A LL-OUT -p udp -m statistic --mode random --probability 0.25000000000 -j DROP",
      "COMMIT",
    ].join("\n");
    const into = {lost: 1, blocked: 1};
    countDrops(dump, into);
    expect(into).toEqual({lost: 6, blocked: 6});
  });
});

describe("the address plan", () => {
  it("uses only 198.18.0.0/15 and the ULA fd00:198:18::/64", () => {
    expect([nodeIpv4(0), nodeIpv4(254), nodeIpv4(255), nodeIpv4(999)]).toEqual([
      "198.18.0.1",
      "198.18.0.255",
      "198.18.1.0",
      "198.18.3.232",
    ]);
    expect([nodeIpv6(0), nodeIpv6(15)]).toEqual(["fd00:198:18::1", "fd00:198:18::10"]);
  });

  it("names every namespace of a run with its prefix", () => {
    expect(createPlan("abc", 3, false).hub).toBe("lltb-abc-hub");
  });
});
