/*
 * When an owner's InternPools (intern.ts) are full (65,536 names), nothing breaks: names beyond
 * get no id (nameId answers −1, without assigning), MemberTable falls back to its own map for
 * them, and internAlive still answers with an equal message; identities beyond the full list
 * are unlisted (id −1) and a table keeps them itself. This file fills one set of pools on
 * purpose; other owners' pools (other drivers, other simulations) are untouched by it.
 */
import {beforeAll, describe, expect, it} from "vitest";
import {encodeMessage} from "../../../src/codec/index.ts";
import {type AliveMessage, DEFAULT_VSN} from "../../../src/core/index.ts";
import {InternPools} from "../../../src/core/intern.ts";
import {MemberTable, NO_SLOT, SELF_SLOT} from "../../../src/core/member-table.ts";

/** The pools under test (an owner's, like a driver's or a simulation's). */
const pools = new InternPools();
const nameId = (name: string): number => pools.nameId(name);
const existingNameId = (name: string): number => pools.existingNameId(name);
const internAlive = (msg: AliveMessage): AliveMessage => pools.internAlive(msg);

/** POOL_MAX in intern.ts. */
const POOL_MAX = 65_536;
const EMPTY = new Uint8Array(0);
const addrOf = (port: number) => ({host: "10.5.0.1", port});
const tableOf = (self: string) =>
  new MemberTable({name: self, addr: addrOf(7946), incarnation: 1, meta: EMPTY, vsn: DEFAULT_VSN}, pools);
const add = (table: MemberTable, name: string, port = 7946) =>
  table.add(name, addrOf(port), 1, EMPTY, DEFAULT_VSN, "alive", 0);

describe("a full name-id pool", () => {
  let lastWithId = "";
  beforeAll(() => {
    for (let i = 0; ; i++) {
      const name = `filler-${i}`;
      if (nameId(name) < 0) break;
      lastWithId = name;
      if (i > POOL_MAX) throw new Error("nameId never reported a full pool");
    }
  });

  it("assigns ids to exactly POOL_MAX names, then none", () => {
    expect(existingNameId(lastWithId)).toBe(POOL_MAX - 1);
    expect(nameId("overflow-a")).toBe(-1);
    expect(existingNameId("overflow-a")).toBe(-1);
    expect(nameId(lastWithId)).toBe(POOL_MAX - 1);
  });

  it("lets a member table find, remove and re-add members without ids next to members with ids", () => {
    const table = tableOf("overflow-self");
    const withoutId = add(table, "overflow-m");
    const withId = add(table, lastWithId);
    expect(nameId("overflow-m")).toBe(-1);
    expect(table.slotOf("overflow-self")).toBe(SELF_SLOT);
    expect(table.slotOf("overflow-m")).toBe(withoutId);
    expect(table.slotOf(lastWithId)).toBe(withId);
    table.remove(withoutId);
    expect(table.slotOf("overflow-m")).toBe(NO_SLOT);
    expect(table.slotOf(lastWithId)).toBe(withId);
    const back = add(table, "overflow-m", 7000);
    expect(table.slotOf("overflow-m")).toBe(back);
    expect(table.addrOf(back).port).toBe(7000);
    // Another table with the same id-less name keeps its own entry.
    const other = tableOf("overflow-self-2");
    expect(other.slotOf("overflow-m")).toBe(NO_SLOT);
    const otherEntry = add(other, "overflow-m", 7001);
    expect(other.slotOf("overflow-m")).toBe(otherEntry);
    expect(other.addrOf(otherEntry).port).toBe(7001);
    expect(table.addrOf(table.slotOf("overflow-m")).port).toBe(7000);
  });

  it("still answers internAlive with an equal, encodable message once its pool is full", () => {
    const alive = (node: string, incarnation: number): AliveMessage => ({
      type: "alive",
      incarnation,
      node,
      addr: {host: "10.5.0.2", port: 7946},
      meta: EMPTY,
      vsn: DEFAULT_VSN,
    });
    for (let i = 0; i < POOL_MAX; i++) internAlive(alive(`alive-filler-${i}`, 1));
    const late = alive("alive-late", 3);
    const answer = internAlive(late);
    expect(answer).toMatchObject({node: "alive-late", incarnation: 3});
    expect("wire" in answer).toBe(true);
    expect(Buffer.from(encodeMessage(answer)).toString("hex")).toBe(Buffer.from(encodeMessage(late)).toString("hex"));
    // A member already in the pool still gets its newer content.
    const updated = internAlive(alive("alive-filler-0", 2));
    expect(updated.incarnation).toBe(2);
    expect(internAlive(alive("alive-filler-0", 2))).toBe(updated);
  });

  it("lets a member table hold unlisted identities once the identity list is full", () => {
    const table = tableOf("identity-self");
    const listed = add(table, lastWithId, 6000);
    expect(table.identityOf(listed).id).toBeGreaterThanOrEqual(0);
    for (let i = 0; ; i++) {
      if (pools.internIdentity(`identity-filler-${i}`, addrOf(1), EMPTY, DEFAULT_VSN).id < 0) break;
      if (i > POOL_MAX) throw new Error("internIdentity never reported a full list");
    }
    // A listed identity is still found again by value, and a new one comes unlisted.
    expect(pools.internIdentity(lastWithId, addrOf(6000), EMPTY, DEFAULT_VSN).id).toBe(table.identityOf(listed).id);
    const unlisted = add(table, "identity-m", 6001);
    expect(table.identityOf(unlisted).id).toBe(-1);
    expect({name: table.nameOf(unlisted), port: table.addrOf(unlisted).port}).toEqual({name: "identity-m", port: 6001});
    table.setIdentity(listed, addrOf(6002), EMPTY, DEFAULT_VSN);
    expect(table.identityOf(listed).id).toBe(-1);
    expect(table.addrOf(listed).port).toBe(6002);
    table.setIdentity(listed, addrOf(6000), EMPTY, DEFAULT_VSN);
    expect(table.identityOf(listed).id).toBeGreaterThanOrEqual(0);
    expect(table.addrOf(listed).port).toBe(6000);
    table.setState(unlisted, "dead", 1);
    table.remove(unlisted);
    expect(table.slotOf("identity-m")).toBe(NO_SLOT);
    const again = add(table, "identity-m2", 6003);
    expect({name: table.nameOf(again), port: table.addrOf(again).port}).toEqual({name: "identity-m2", port: 6003});
    expect(table.addrOf(SELF_SLOT).port).toBe(7946);
  });
});
