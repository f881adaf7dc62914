import {describe, expect, it} from "vitest";
import {TestCluster} from "../../helpers/core-cluster.ts";
import {expectTimer, findStreams} from "../../helpers/core-expect.ts";
import {addrOf, alive, createTestNodeWithEffects, dead, packetFrom, timerInput} from "../../helpers/core-harness.ts";

describe("healing: re-contact after a partition", () => {
  it("remembers a failed member and push-pulls (join = true) with it on the reconnect timer", () => {
    const {node, startEffects} = createTestNodeWithEffects({members: ["a", "b"]});
    node.handle(0, packetFrom("b", dead("a", 1, "b")));
    expect(node.rememberedFailures().map((f) => f.name)).toEqual(["a"]);
    const fx = node.handle(30_000, timerInput(expectTimer(startEffects, "reconnect")));
    const [stream] = findStreams(fx, "pushPull", "a");
    expect(stream?.message.type === "pushPull" && stream.message.join).toBe(true);
    expectTimer(fx, "reconnect", 30_000);
  });

  it("still re-contacts a failed member after the table reaped it", () => {
    const {node, startEffects} = createTestNodeWithEffects({members: ["a", "b"]});
    node.handle(0, packetFrom("b", dead("a", 1, "b")));
    // Probe rounds until the wrap reaps a (gossipToTheDeadMs = 30 s).
    let tick = expectTimer(startEffects, "probe");
    for (let t = 31_000; t < 36_000; t += 1000) {
      const fx = node.handle(t, timerInput(tick));
      tick = expectTimer(fx, "probe");
      const ping = fx.flatMap((e) => (e.type === "send" ? e.messages : [])).find((m) => m.type === "ping");
      if (ping?.type === "ping")
        node.handle(t, packetFrom("b", {type: "ack", seqNo: ping.seqNo, payload: new Uint8Array()}));
    }
    expect(node.member("a")).toBeUndefined();
    const fx = node.handle(40_000, timerInput(expectTimer(startEffects, "reconnect")));
    expect(findStreams(fx, "pushPull", "a")).toHaveLength(1);
  });

  it("forgets a failed member once it is alive again, and never remembers a left one", () => {
    const {node} = createTestNodeWithEffects({members: ["a", "b"]});
    node.handle(0, packetFrom("b", dead("a", 1, "b")));
    node.handle(0, packetFrom("a", alive("a", 2)));
    node.handle(0, packetFrom("b", dead("b", 1, "b")));
    expect(node.rememberedFailures()).toEqual([]);
  });

  it("forgets failed members after reconnectTimeoutMs", () => {
    const {node, startEffects} = createTestNodeWithEffects({members: ["a", "b"], config: {reconnectTimeoutMs: 10_000}});
    node.handle(0, packetFrom("b", dead("a", 1, "b")));
    const fx = node.handle(30_000, timerInput(expectTimer(startEffects, "reconnect")));
    expect(findStreams(fx, "pushPull", "a")).toEqual([]);
    expect(node.rememberedFailures()).toEqual([]);
  });

  it("re-joins its seeds when it knows no other alive member", () => {
    const {node, startEffects} = createTestNodeWithEffects();
    node.handle(0, {type: "join", seeds: [addrOf("s1"), addrOf("s2")]});
    const fx = node.handle(30_000, timerInput(expectTimer(startEffects, "reconnect")));
    expect(findStreams(fx, "pushPull").map((s) => s.to)).toEqual([addrOf("s1"), addrOf("s2")]);
  });

  it("does not re-join seeds while another member is alive", () => {
    const {node, startEffects} = createTestNodeWithEffects({members: ["a"]});
    node.handle(0, {type: "join", seeds: [addrOf("s1")]});
    const fx = node.handle(30_000, timerInput(expectTimer(startEffects, "reconnect")));
    expect(findStreams(fx, "pushPull")).toEqual([]);
  });

  it("merges the two halves of a healed partition without an operator", () => {
    const c = new TestCluster({seed: 11});
    const left = ["p0", "p1", "p2"];
    const right = ["q0", "q1", "q2"];
    for (const n of [...left, ...right]) c.add(n);
    for (const n of [...left.slice(1), ...right]) c.input(n, {type: "join", seeds: [addrOf("p0")]});
    c.runFor(10_000);
    c.partition(left, right);
    c.runFor(120_000);
    // Each side has declared the other dead, and reaped it from the table.
    for (const a of left) for (const b of right) expect(c.view(a, b) ?? "gone", `${a} sees ${b}`).not.toBe("alive");
    c.heal();
    c.runFor(180_000);
    for (const a of [...left, ...right])
      for (const b of [...left, ...right]) expect(c.view(a, b), `${a} sees ${b}`).toBe("alive");
  });
});
