import {describe, expect, it} from "vitest";
import {TestCluster} from "../../helpers/core-cluster.ts";
import {addrOf} from "../../helpers/core-harness.ts";

function names(n: number, prefix = "n"): string[] {
  return Array.from({length: n}, (_, i) => `${prefix}${i}`);
}

describe("a small in-memory cluster of SwimNodes", () => {
  it("converges after every node joins one seed", () => {
    const c = new TestCluster({config: {gossipToTheDeadMs: 600_000}});
    const all = names(6);
    for (const n of all) c.add(n);
    for (const n of all.slice(1)) c.input(n, {type: "join", seeds: [addrOf("n0")]});
    c.runFor(10_000);
    for (const a of all) for (const b of all) expect(c.view(a, b), `${a} sees ${b}`).toBe("alive");
  });

  it("declares a crashed node dead everywhere and keeps the others alive", () => {
    const c = new TestCluster({config: {gossipToTheDeadMs: 600_000}});
    const all = names(6);
    for (const n of all) c.add(n);
    for (const n of all.slice(1)) c.input(n, {type: "join", seeds: [addrOf("n0")]});
    c.runFor(10_000);
    c.crash("n3");
    c.runFor(60_000);
    for (const a of all) {
      if (a === "n3") continue;
      expect(c.view(a, "n3"), `${a} sees n3`).toBe("dead");
      for (const b of all) if (b !== "n3") expect(c.view(a, b), `${a} sees ${b}`).toBe("alive");
    }
  });

  it("records a graceful leave as left, not dead", () => {
    const c = new TestCluster({config: {gossipToTheDeadMs: 600_000}});
    const all = names(5);
    for (const n of all) c.add(n);
    for (const n of all.slice(1)) c.input(n, {type: "join", seeds: [addrOf("n0")]});
    c.runFor(10_000);
    c.input("n2", {type: "leave"});
    c.runFor(3_000);
    expect(c.node("n2").status).toBe("left");
    c.crash("n2");
    c.runFor(30_000);
    for (const a of all) if (a !== "n2") expect(c.view(a, "n2"), `${a} sees n2`).toBe("left");
  });
});
