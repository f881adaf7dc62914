import {describe, expect, it} from "vitest";
import type {MemberState} from "../../../src/core/index.ts";
import {HashRing} from "../../../src/ring/index.ts";
import {DEFAULT_LEADER_KEY, type LeaderCandidate, LeaderElector, leaderCandidates} from "../../../src/ring/leader.ts";

const member = (name: string, state: MemberState = "alive", tags: Record<string, string> = {}): LeaderCandidate => ({
  name,
  state,
  tags,
});
const FIVE = ["a", "b", "c", "d", "e"].map((n) => member(n));

describe("leader choice", () => {
  it("is the same on every agent whose views agree, whatever the member order", () => {
    const one = new LeaderElector(256);
    const two = new LeaderElector(256);
    for (const key of ["job-1", "job-2", DEFAULT_LEADER_KEY]) {
      expect(one.leader(FIVE, {key})).toBe(two.leader([...FIVE].reverse(), {key}));
    }
  });

  it("equals the owner of the key on the ring of up members", () => {
    const ring = new HashRing();
    ring.setMembers(["a", "b", "c", "d", "e"]);
    expect(new LeaderElector(256).leader(FIVE, {key: "job-9"})).toBe(ring.owner("job-9"));
  });

  it("moves to the key's next owner when the leader fails or leaves, and nowhere else", () => {
    const elector = new LeaderElector(256);
    const ring = new HashRing();
    ring.setMembers(["a", "b", "c", "d", "e"]);
    for (let i = 0; i < 200; i++) {
      const key = `job-${i}`;
      const [first, second] = ring.owners(key, 2) as [string, string];
      expect(elector.leader(FIVE, {key})).toBe(first);
      for (const state of ["dead", "left"] as const) {
        const view = FIVE.map((m) => (m.name === first ? member(m.name, state) : m));
        expect(elector.leader(view, {key})).toBe(second);
      }
      // Some other member failing does not move it.
      const other = ["a", "b", "c", "d", "e"].find((n) => n !== first) as string;
      const view = FIVE.map((m) => (m.name === other ? member(m.name, "dead") : m));
      expect(elector.leader(view, {key})).toBe(first);
    }
  });

  it("keeps a suspect leader: suspicion alone never moves leadership", () => {
    const elector = new LeaderElector(256);
    const leader = elector.leader(FIVE) as string;
    const view = FIVE.map((m) => (m.name === leader ? member(m.name, "suspect") : m));
    expect(elector.leader(view)).toBe(leader);
  });

  it("chooses only among members carrying the required tags", () => {
    const members = [
      member("a", "alive", {role: "db"}),
      member("b", "alive", {role: "web"}),
      member("c", "alive", {role: "db", zone: "x"}),
      member("d", "dead", {role: "db"}),
    ];
    expect(leaderCandidates(members, {role: "db"})).toEqual(["a", "c"]);
    const elector = new LeaderElector(256);
    for (let i = 0; i < 50; i++)
      expect(["a", "c"]).toContain(elector.leader(members, {key: `k${i}`, tags: {role: "db"}}));
    expect(elector.leader(members, {tags: {role: "cache"}})).toBeUndefined();
    expect(elector.leader([])).toBeUndefined();
  });

  it("spreads the leaders of many keys over the members", () => {
    const elector = new LeaderElector(256);
    const counts = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const leader = elector.leader(FIVE, {key: `job-${i}`}) as string;
      counts.set(leader, (counts.get(leader) ?? 0) + 1);
    }
    expect(counts.size).toBe(5);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(800);
      expect(count).toBeLessThan(1200);
    }
  });
});
