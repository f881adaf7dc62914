import {describe, expect, it} from "vitest";
import {InvalidConfigError} from "../../../src/core/index.ts";
import {HashRing, inRange, ringHash} from "../../../src/ring/index.ts";

const KEYS = Array.from({length: 100_000}, (_, i) => `key-${i}`);
const MEMBERS = Array.from({length: 10}, (_, i) => `node-${i}`);

function ownersOf(ring: HashRing): string[] {
  return KEYS.map((key) => ring.owner(key) as string);
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

describe("HashRing", () => {
  it("has no owner while empty", () => {
    const ring = new HashRing();
    expect(ring.owner("k")).toBeUndefined();
    expect(ring.owners("k", 3)).toEqual([]);
    expect(ring.ownership().size).toBe(0);
  });

  it("gives every key to the only member", () => {
    const ring = new HashRing({vnodes: 1});
    ring.setMembers(["solo"]);
    expect(ring.owner("a")).toBe("solo");
    expect(ring.ownership().get("solo")).toBeCloseTo(1, 12);
  });

  it("builds the same ring whatever the order members arrive in", () => {
    const a = new HashRing();
    const b = new HashRing();
    a.setMembers(MEMBERS);
    for (const name of [...MEMBERS].reverse()) b.add(name);
    expect(KEYS.slice(0, 5000).map((k) => a.owner(k))).toEqual(KEYS.slice(0, 5000).map((k) => b.owner(k)));
    expect(a.members()).toEqual(b.members());
    // Incremental removal equals a fresh build without the member.
    a.remove("node-4");
    const fresh = new HashRing();
    fresh.setMembers(MEMBERS.filter((m) => m !== "node-4"));
    expect(KEYS.slice(0, 5000).map((k) => a.owner(k))).toEqual(KEYS.slice(0, 5000).map((k) => fresh.owner(k)));
    expect([...a.ownership()].sort()).toEqual([...fresh.ownership()].sort());
  });

  it("spreads 100k keys over 10 members within ±20 % of the mean (256 vnodes)", () => {
    const ring = new HashRing();
    ring.setMembers(MEMBERS);
    const counts = countBy(ownersOf(ring));
    expect(counts.size).toBe(10);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(8_000);
      expect(count).toBeLessThan(12_000);
    }
    const shares = [...ring.ownership().values()];
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it("moves only the dead member's keys when it leaves, spread evenly over the survivors", () => {
    const ring = new HashRing();
    ring.setMembers(MEMBERS);
    const before = ownersOf(ring);
    const change = ring.remove("node-3");
    const after = ownersOf(ring);

    const movedTo: string[] = [];
    for (let i = 0; i < KEYS.length; i++) {
      if (before[i] !== "node-3") {
        expect(after[i]).toBe(before[i]);
      } else {
        expect(after[i]).not.toBe("node-3");
        movedTo.push(after[i] as string);
      }
    }
    const received = countBy(movedTo);
    expect(received.size).toBe(9); // every survivor takes a share
    // Each survivor takes its part through ~28 arcs of random length; measured worst case over
    // all ten possible removals is 0.50–1.64 × an equal part (see the note in hash-ring.ts).
    const mean = movedTo.length / 9;
    for (const count of received.values()) {
      expect(count).toBeGreaterThan(mean * 0.45);
      expect(count).toBeLessThan(mean * 1.7);
    }
    expect(change.removed).toEqual(["node-3"]);
    expect(change.added).toEqual([]);
    expect(change.movedFraction).toBeCloseTo(movedTo.length / KEYS.length, 1);
  });

  it("reports moved ranges that match exactly the keys that changed owner", () => {
    const ring = new HashRing({vnodes: 32});
    ring.setMembers(MEMBERS.slice(0, 6));
    const keys = KEYS.slice(0, 20_000);
    const before = keys.map((k) => ring.owner(k));
    const change = ring.setMembers(["node-0", "node-1", "node-2", "node-4", "node-5", "node-7", "node-8"]);
    expect(change.added).toEqual(["node-7", "node-8"]);
    expect(change.removed).toEqual(["node-3"]);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const hash = ringHash(key);
      const move = change.moved.find((range) => inRange(range, hash));
      const now = ring.owner(key);
      if (before[i] === now) {
        expect(move).toBeUndefined();
      } else {
        expect(move).toBeDefined();
        expect(move?.from).toBe(before[i]);
        expect(move?.to).toBe(now);
      }
    }
    // Every arc names a real change, and adjacent equal arcs were merged.
    for (const move of change.moved) expect(move.from).not.toBe(move.to);
  });

  it("moves keys only to a member that joins", () => {
    const ring = new HashRing();
    ring.setMembers(MEMBERS.slice(0, 9));
    const before = ownersOf(ring);
    const change = ring.add("node-9");
    const after = ownersOf(ring);
    let moved = 0;
    for (let i = 0; i < KEYS.length; i++) {
      if (after[i] !== before[i]) {
        expect(after[i]).toBe("node-9");
        moved++;
      }
    }
    expect(moved / KEYS.length).toBeGreaterThan(0.06);
    expect(moved / KEYS.length).toBeLessThan(0.14);
    for (const move of change.moved) expect(move.to).toBe("node-9");
  });

  it("reports the whole circle moving from nobody on the first member set", () => {
    const ring = new HashRing({vnodes: 4});
    const change = ring.setMembers(["a", "b"]);
    expect(change.movedFraction).toBeCloseTo(1, 9);
    for (const move of change.moved) expect(move.from).toBeNull();
  });

  it("reports nothing when the member set does not change", () => {
    const ring = new HashRing();
    ring.setMembers(["a", "b"]);
    const change = ring.setMembers(["b", "a", "a"]);
    expect(change.moved).toEqual([]);
    expect(change.movedFraction).toBe(0);
  });

  it("lists n distinct owners, the owner first, capped at the ring size", () => {
    const ring = new HashRing();
    ring.setMembers(MEMBERS.slice(0, 4));
    for (const key of KEYS.slice(0, 500)) {
      const owners = ring.owners(key, 3);
      expect(owners).toHaveLength(3);
      expect(new Set(owners).size).toBe(3);
      expect(owners[0]).toBe(ring.owner(key));
    }
    expect(ring.owners("k", 10)).toHaveLength(4);
    expect(ring.owners("k", 0)).toEqual([]);
  });

  it("makes the second owner take over when the first one leaves", () => {
    const ring = new HashRing();
    ring.setMembers(MEMBERS);
    const keys = KEYS.slice(0, 2000);
    const pairs = keys.map((k) => ring.owners(k, 2));
    ring.remove("node-5");
    keys.forEach((key, i) => {
      const [first, second] = pairs[i] as string[];
      expect(ring.owner(key)).toBe(first === "node-5" ? second : first);
    });
  });

  it("rejects a bad vnodes count, naming the field", () => {
    for (const vnodes of [0, -1, 1.5, 5000]) {
      try {
        new HashRing({vnodes});
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidConfigError);
        expect((error as InvalidConfigError).field).toBe("vnodes");
      }
    }
  });
});
