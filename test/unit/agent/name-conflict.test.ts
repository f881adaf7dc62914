/*
 * Serf's name-conflict vote as the agent runs it: a claim of another member's name is only
 * reported; a claim of ours starts one vote at a time; the majority is counted over the answers
 * that decode (none at all loses, as in serf); reports are throttled per claimant.
 */
import {describe, expect, it} from "vitest";
import {type ConflictOutcome, type NameConflict, NameConflictResolver} from "../../../src/agent/name-conflict.ts";
import {encodeSerfConflictResponse, hostToBytes} from "../../../src/codec/index.ts";

const SELF = {host: "127.0.0.1", port: 7000};
const IMPOSTOR = {host: "127.0.0.1", port: 7100};

function answer(at: {host: string; port: number} | undefined): Uint8Array {
  if (at === undefined) return encodeSerfConflictResponse(undefined);
  return encodeSerfConflictResponse({
    name: "me",
    addr: hostToBytes(at.host) as Uint8Array,
    port: at.port,
    tags: {},
    status: 1,
    protocol: [1, 5, 2],
    delegate: [2, 5, 4],
  });
}

function resolver(answers: readonly Uint8Array[], resolve = true) {
  const conflicts: NameConflict[] = [];
  const outcomes: ConflictOutcome[] = [];
  const asked: string[] = [];
  let release: (() => void) | undefined;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const r = new NameConflictResolver({
    selfName: "me",
    self: () => SELF,
    resolve,
    ask: async (payload) => {
      asked.push(new TextDecoder().decode(payload));
      await gate;
      return answers;
    },
    onConflict: (c) => conflicts.push(c),
    onOutcome: (o) => outcomes.push(o),
    log: () => {},
  });
  const settle = async () => {
    release?.();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return {r, conflicts, outcomes, asked, settle};
}

describe("name conflicts", () => {
  it("only reports a claim of another member's name", async () => {
    const t = resolver([]);
    t.r.notice("other", SELF, IMPOSTOR, 0);
    await t.settle();
    expect(t.conflicts).toEqual([{name: "other", existing: "127.0.0.1:7000", other: "127.0.0.1:7100", ours: false}]);
    expect(t.asked).toEqual([]);
    expect(t.r.stats).toMatchObject({othersClaimed: 1, oursClaimed: 0});
  });

  it("wins with a majority of the answers at our address", async () => {
    const t = resolver([answer(SELF), answer(SELF), answer(IMPOSTOR)]);
    t.r.notice("me", SELF, IMPOSTOR, 0);
    await t.settle();
    expect(t.asked).toEqual(["me"]);
    expect(t.outcomes).toEqual([{matching: 2, responses: 3, won: true}]);
    expect(t.r.stats.resolutionsWon).toBe(1);
  });

  it("loses at half, with no answers, and counts an unknown member as an answer against us", async () => {
    for (const [answers, matching, responses] of [
      [[answer(SELF), answer(IMPOSTOR)], 1, 2],
      [[], 0, 0],
      [[answer(SELF), answer(undefined), answer(undefined)], 1, 3],
    ] as const) {
      const t = resolver(answers);
      t.r.notice("me", SELF, IMPOSTOR, 0);
      await t.settle();
      expect(t.outcomes).toEqual([{matching, responses, won: false}]);
    }
  });

  it("does not count answers that do not decode", async () => {
    const t = resolver([answer(SELF), new Uint8Array([6, 0xc1]), new Uint8Array([8])]);
    t.r.notice("me", SELF, IMPOSTOR, 0);
    await t.settle();
    expect(t.outcomes).toEqual([{matching: 1, responses: 1, won: true}]);
  });

  it("runs one vote at a time, reports a claimant once per 10 s, and votes not at all when resolution is off", async () => {
    const t = resolver([answer(SELF)]);
    t.r.notice("me", SELF, IMPOSTOR, 0);
    t.r.notice("me", SELF, IMPOSTOR, 5);
    t.r.notice("me", SELF, IMPOSTOR, 9_999);
    expect(t.asked).toHaveLength(1);
    expect(t.conflicts).toHaveLength(1);
    t.r.notice("me", SELF, IMPOSTOR, 10_000);
    expect(t.conflicts).toHaveLength(2);
    expect(t.r.stats.oursClaimed).toBe(4);
    await t.settle();
    expect(t.outcomes).toHaveLength(1);
    const off = resolver([answer(SELF)], false);
    off.r.notice("me", SELF, IMPOSTOR, 0);
    await off.settle();
    expect(off.asked).toEqual([]);
    expect(off.conflicts).toHaveLength(1);
  });
});
