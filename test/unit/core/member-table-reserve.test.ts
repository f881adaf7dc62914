import {describe, expect, it} from "vitest";
import {DEFAULT_VSN, InternPools} from "../../../src/core/index.ts";
import {MemberTable} from "../../../src/core/member-table.ts";

const EMPTY = new Uint8Array(0);
const self = {name: "self", addr: {host: "198.18.0.1", port: 7946}, incarnation: 1, meta: EMPTY, vsn: DEFAULT_VSN};

/** Adds m0..m(k-1), suspects every third, removes every fifth, and lists what the table then holds. */
function fill(t: MemberTable, k: number) {
  const slots: number[] = [];
  for (let i = 0; i < k; i++) {
    slots.push(t.add(`m${i}`, {host: "198.18.1.1", port: 1000 + i}, 1, EMPTY, DEFAULT_VSN, "alive", i));
  }
  for (let i = 0; i < k; i += 3) t.setState(slots[i] as number, "suspect", k);
  for (let i = 0; i < k; i += 5) if (i % 3 !== 0) t.setState(slots[i] as number, "dead", k);
  for (let i = 0; i < k; i += 5) if (i % 3 !== 0) t.remove(slots[i] as number);
  return {
    order: t.inOrder([]).map((s) => [t.nameOf(s), t.stateOf(s)]),
    counts: {...t.counts},
    live: t.liveCount,
    others: t.otherCount,
    slotOfEach: Array.from({length: k}, (_, i) => t.slotOf(`m${i}`)),
  };
}

describe("MemberTable.reserve", () => {
  it("changes nothing a table shows, whether it reserves fewer, as many or more slots than it then fills", () => {
    const plain = fill(new MemberTable(self, new InternPools()), 300);
    for (const room of [0, 10, 301, 1000]) {
      const t = new MemberTable(self, new InternPools());
      t.reserve(room);
      expect(fill(t, 300)).toEqual(plain);
    }
  });

  it("keeps what the table held before it grew", () => {
    const t = new MemberTable(self, new InternPools());
    t.add("a", {host: "198.18.1.2", port: 1}, 7, EMPTY, DEFAULT_VSN, "suspect", 5);
    t.reserve(5_000);
    const a = t.slotOf("a");
    expect([t.nameOf(a), t.incarnationOf(a), t.stateOf(a), t.stateChangeMsOf(a), t.liveCount]).toEqual([
      "a",
      7,
      "suspect",
      5,
      1,
    ]);
    expect(t.inOrder([]).map((s) => t.nameOf(s))).toEqual(["self", "a"]);
  });
});
