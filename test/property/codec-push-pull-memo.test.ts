/*
 * The memo's push-pull path (GossipMemo.decodeStateAt, src/codec/gossip-memo.ts) may change only
 * speed: a push-pull decoded with a memo gives the same states, the same errors and the same
 * "need more bytes" answers as decoding without one, the first time and on repeats, in a tiny
 * memo that evicts constantly and for states that share their leading bytes (one member at
 * several incarnations or states), which the memo finds by those bytes before it knows where a
 * state ends.
 */
import fc from "fast-check";
import {describe, expect, it} from "vitest";
import {decodeStream, encodeStream, GossipMemo} from "../../src/codec/index.ts";
import type {PushNodeState, PushPullMessage, StreamMessage} from "../../src/core/index.ts";
import {checkProperty} from "../helpers/property-run.ts";
import {pushNodeState} from "./codec-arbitraries.ts";

/** A state as plain data (ignores the encoder's `wire` slot). */
function fieldsOfState(s: PushNodeState): unknown {
  return {
    name: s.name,
    addr: {host: s.addr.host, port: s.addr.port},
    incarnation: s.incarnation,
    meta: Array.from(s.meta),
    state: s.state,
    vsn: Array.from(s.vsn),
  };
}

/** Everything decodeStream reports for `bytes`, or the error it throws, as comparable data. */
function outcomeOf(bytes: Uint8Array, memo?: GossipMemo): unknown {
  try {
    const got = decodeStream(bytes, memo === undefined ? undefined : {memo});
    if (got === undefined) return {needMore: true};
    const m = got.message as StreamMessage;
    if (m.type !== "pushPull") return {type: m.type, consumed: got.consumed};
    return {
      join: m.join,
      states: m.states.map(fieldsOfState),
      userState: Array.from(m.userState),
      consumed: got.consumed,
    };
  } catch (e) {
    return {thrown: `${(e as Error).name} ${(e as Error).message}`};
  }
}

/**
 * A push-pull whose states come from a small pool, each also in variants that keep its leading
 * bytes (name, address) and change what follows (incarnation, state, Vsn), so repeats and
 * shared prefixes are common.
 */
const pushPullWithRepeats: fc.Arbitrary<PushPullMessage> = fc
  .record({
    pool: fc.array(pushNodeState, {minLength: 1, maxLength: 6}),
    picks: fc.array(
      fc.record({
        at: fc.nat(),
        incarnation: fc.option(fc.nat(5), {nil: undefined}),
        state: fc.option(fc.constantFrom("alive", "suspect", "dead", "left") as fc.Arbitrary<PushNodeState["state"]>, {
          nil: undefined,
        }),
      }),
      {minLength: 1, maxLength: 24},
    ),
    join: fc.boolean(),
    userState: fc.uint8Array({maxLength: 40}),
  })
  .map(({pool, picks, join, userState}) => ({
    type: "pushPull" as const,
    join,
    states: picks.map((p) => {
      const base = pool[p.at % pool.length] as PushNodeState;
      return {
        ...base,
        incarnation: p.incarnation ?? base.incarnation,
        state: p.state ?? base.state,
      };
    }),
    userState,
  }));

describe("GossipMemo gives the push-pull states decoding gives", () => {
  it("decodes push-pulls with repeated and prefix-sharing states to the same states, first time and repeated", () => {
    checkProperty(
      "decodes push-pulls with repeated and prefix-sharing states to the same states, first time and repeated",
      fc.record({m: pushPullWithRepeats, tiny: fc.boolean()}),
      ({m, tiny}) => {
        const bytes = encodeStream(m).slice();
        const plain = outcomeOf(bytes);
        // The decode without memo is itself the encoded message (so `plain` is not vacuous).
        expect(plain).toEqual({
          join: m.join,
          states: m.states.map(fieldsOfState),
          userState: Array.from(m.userState),
          consumed: bytes.length,
        });
        const memo = new GossipMemo(tiny ? 16 : 4096);
        expect(outcomeOf(bytes, memo)).toEqual(plain);
        expect(outcomeOf(bytes, memo)).toEqual(plain);
        expect(outcomeOf(bytes.slice(), memo)).toEqual(plain);
        // Every prefix asks for more bytes, with a memo as without (a state cut short is never answered from the memo).
        for (const cut of [1, 8, 31, 32, 33, bytes.length >> 1, bytes.length - 1]) {
          if (cut <= 0 || cut >= bytes.length) continue;
          expect(outcomeOf(bytes.subarray(0, cut), memo)).toEqual(outcomeOf(bytes.subarray(0, cut)));
        }
      },
      {numRuns: 200, file: import.meta.url},
    );
  });

  it("decodes a push-pull with bytes changed as decoding without memo does, after the memo saw the original", () => {
    checkProperty(
      "decodes a push-pull with bytes changed as decoding without memo does, after the memo saw the original",
      fc.record({
        m: pushPullWithRepeats,
        edits: fc.array(fc.record({at: fc.nat(), value: fc.nat(255)}), {minLength: 1, maxLength: 6}),
      }),
      ({m, edits}) => {
        const bytes = encodeStream(m).slice();
        const memo = new GossipMemo(16);
        outcomeOf(bytes, memo);
        const changed = bytes.slice();
        for (const e of edits) changed[e.at % changed.length] = e.value;
        expect(outcomeOf(changed, memo)).toEqual(outcomeOf(changed));
        // And the original is still answered as before.
        expect(outcomeOf(bytes, memo)).toEqual(outcomeOf(bytes));
      },
      {numRuns: 300, file: import.meta.url},
    );
  });

  it("answers a repeated state from the memo and one that shares only its leading bytes by decoding", () => {
    const alive: PushNodeState = {
      name: "node-0001",
      addr: {host: "198.18.0.1", port: 7946},
      incarnation: 1,
      meta: new Uint8Array(0),
      state: "alive",
      vsn: [1, 5, 2, 2, 5, 5],
    };
    const memo = new GossipMemo();
    const first = encodeStream({type: "pushPull", join: false, states: [alive, alive], userState: new Uint8Array(0)});
    expect(outcomeOf(first.slice(), memo)).toEqual(outcomeOf(first.slice()));
    expect({hits: memo.hits, misses: memo.misses}).toEqual({hits: 1, misses: 1});
    const later = {...alive, incarnation: 2, state: "suspect" as const};
    const second = encodeStream({type: "pushPull", join: false, states: [later, alive], userState: new Uint8Array(0)});
    const got = outcomeOf(second.slice(), memo) as {states: {incarnation: number; state: string}[]};
    expect(got.states.map((s) => [s.incarnation, s.state])).toEqual([
      [2, "suspect"],
      [1, "alive"],
    ]);
    expect({hits: memo.hits, misses: memo.misses}).toEqual({hits: 2, misses: 2});
  });
});
