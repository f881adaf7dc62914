import {describe, expect, it} from "vitest";
import {DEFAULT_VSN, InternPools} from "../../../src/core/index.ts";

describe("InternPools.pushStateOf", () => {
  const addr = {host: "198.18.0.7", port: 7946};
  const meta = new Uint8Array([1, 2]);

  it("gives a listed identity's push-pull state the values internPushState gives, one shared instance while they hold", () => {
    const pools = new InternPools();
    const id = pools.internIdentity("n7", addr, meta, DEFAULT_VSN);
    const a = pools.pushStateOf(id, 3, "alive");
    expect(a).toEqual(pools.internPushState("n7", addr, 3, meta, "alive", DEFAULT_VSN));
    expect(a).toMatchObject({name: "n7", addr, incarnation: 3, state: "alive", vsn: DEFAULT_VSN});
    expect(pools.pushStateOf(id, 3, "alive")).toBe(a);
  });

  it("answers a new incarnation or state with new values, and an unlisted identity through the name", () => {
    const pools = new InternPools();
    const id = pools.internIdentity("n7", addr, meta, DEFAULT_VSN);
    pools.pushStateOf(id, 3, "alive");
    expect(pools.pushStateOf(id, 4, "alive")).toMatchObject({incarnation: 4, state: "alive"});
    expect(pools.pushStateOf(id, 4, "suspect")).toMatchObject({incarnation: 4, state: "suspect"});
    const unlisted = Object.freeze({name: "self", addr, meta, vsn: DEFAULT_VSN, id: -1});
    expect(pools.pushStateOf(unlisted, 1, "alive")).toMatchObject({name: "self", incarnation: 1, state: "alive"});
    expect(pools.pushStateOf(unlisted, 2, "alive")).toMatchObject({name: "self", incarnation: 2});
  });
});
