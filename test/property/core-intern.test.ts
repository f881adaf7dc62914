/*
 * Interning (src/core/intern.ts) only ever swaps a value for an equal one: internAlive answers
 * with one shared alive per equal content (always with an encode-once slot, always equal to what
 * it was given), nameId hands out stable dense ids per set of pools and existingNameId never assigns
 * one. MemberTable (src/core/members.ts), which finds entries through those ids, still finds each
 * entry of each table by name, and forgets it on remove, however many tables share a name.
 */
import fc from "fast-check";
import {describe, expect, it} from "vitest";
import {encodeMessage} from "../../src/codec/index.ts";
import {type Address, type AliveMessage, aliveMessage, DEFAULT_VSN, type Vsn} from "../../src/core/index.ts";
import {InternPools} from "../../src/core/intern.ts";
import {MemberEntry, MemberTable} from "../../src/core/members.ts";
import {checkProperty} from "../helpers/property-run.ts";

/** The pools under test (an owner's, like a driver's or a simulation's). */
const pools = new InternPools();
const nameId = (name: string): number => pools.nameId(name);
const existingNameId = (name: string): number => pools.existingNameId(name);
const internAlive = (msg: AliveMessage): AliveMessage => pools.internAlive(msg);

const EMPTY = new Uint8Array(0);
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** A plain alive literal (no encode-once slot), as the decoder makes them. */
function aliveLiteral(
  node: string,
  incarnation: number,
  addr: Address,
  meta = EMPTY,
  vsn: Vsn = DEFAULT_VSN,
): AliveMessage {
  return {
    type: "alive",
    incarnation,
    node,
    addr: {host: addr.host, port: addr.port},
    meta: meta.slice(),
    vsn: [...vsn] as unknown as Vsn,
  };
}

const sameContent = (a: AliveMessage, b: AliveMessage): boolean =>
  a.node === b.node &&
  a.incarnation === b.incarnation &&
  a.addr.host === b.addr.host &&
  a.addr.port === b.addr.port &&
  hex(a.meta) === hex(b.meta) &&
  a.vsn.join() === b.vsn.join();

describe("internAlive", () => {
  const addr = {host: "10.2.0.1", port: 7946};

  it("answers equal content (in fresh objects) with one shared alive that has an encode-once slot", () => {
    const first = internAlive(aliveLiteral("intern-a", 4, addr, new Uint8Array([1, 2])));
    const second = internAlive(aliveLiteral("intern-a", 4, addr, new Uint8Array([1, 2])));
    expect(second).toBe(first);
    expect("wire" in first).toBe(true);
    expect(sameContent(first, aliveLiteral("intern-a", 4, addr, new Uint8Array([1, 2])))).toBe(true);
  });

  it("keeps a message that already has a slot as the shared one", () => {
    const own = aliveMessage(1, "intern-own", addr, EMPTY, DEFAULT_VSN);
    expect(internAlive(own)).toBe(own);
    expect(internAlive(aliveLiteral("intern-own", 1, addr))).toBe(own);
  });

  const variants: {title: string; make: () => AliveMessage}[] = [
    {title: "incarnation", make: () => aliveLiteral("intern-b", 2, addr)},
    {title: "address host", make: () => aliveLiteral("intern-b", 1, {host: "10.2.0.2", port: 7946})},
    {title: "address port", make: () => aliveLiteral("intern-b", 1, {host: addr.host, port: 7947})},
    {title: "meta", make: () => aliveLiteral("intern-b", 1, addr, new Uint8Array([5]))},
    {title: "vsn", make: () => aliveLiteral("intern-b", 1, addr, EMPTY, [1, 5, 3, 2, 5, 5])},
  ];
  for (const v of variants) {
    it(`answers a different ${v.title} with a different object holding that content`, () => {
      const base = internAlive(aliveLiteral("intern-b", 1, addr));
      const changed = v.make();
      const answer = internAlive(changed);
      expect(answer).not.toBe(base);
      expect(sameContent(answer, changed)).toBe(true);
      expect("wire" in answer).toBe(true);
      expect(internAlive(v.make())).toBe(answer);
    });
  }

  it("always answers with an equal message whose encoding is the given message's (property)", () => {
    // Few names and values, so equal contents recur and the shared objects are exercised.
    const alive = fc
      .record({
        node: fc.constantFrom("p1", "p2", "p3").map((n) => `intern-prop-${n}`),
        incarnation: fc.nat(3),
        host: fc.constantFrom("10.3.0.1", "10.3.0.2", "fd00::1"),
        port: fc.constantFrom(7946, 7947),
        meta: fc.constantFrom([], [1], [1, 2]),
        vsn: fc.constantFrom([1, 5, 2, 2, 5, 5], [1, 5, 4, 2, 5, 5]),
      })
      .map((r) => aliveLiteral(r.node, r.incarnation, r, Uint8Array.from(r.meta), r.vsn as unknown as Vsn));
    checkProperty(
      "always answers with an equal message whose encoding is the given message's (property)",
      fc.array(alive, {minLength: 1, maxLength: 60}),
      (messages) => {
        const last = new Map<string, AliveMessage>();
        for (const m of messages) {
          const answer = internAlive(m);
          expect(sameContent(answer, m)).toBe(true);
          expect("wire" in answer).toBe(true);
          // Encoded (possibly from bytes kept by an earlier encoding) as the message itself.
          expect(hex(encodeMessage(answer))).toBe(hex(encodeMessage(m)));
          const previous = last.get(m.node);
          if (previous !== undefined && sameContent(previous, m)) expect(answer).toBe(previous);
          last.set(m.node, answer);
        }
      },
      {numRuns: 200, file: import.meta.url},
    );
  });
});

describe("nameId and existingNameId", () => {
  it("gives a name one id for good, and the next new name the next id", () => {
    const a = nameId("ids-a");
    const b = nameId("ids-b");
    expect(a).toBeGreaterThanOrEqual(0);
    expect(b).toBe(a + 1);
    expect(nameId("ids-a")).toBe(a);
    expect(existingNameId("ids-a")).toBe(a);
    expect(existingNameId("ids-b")).toBe(b);
  });

  it("answers −1 from existingNameId for a name without an id, and assigns none", () => {
    const before = nameId("ids-before");
    expect(existingNameId("ids-never")).toBe(-1);
    expect(existingNameId("ids-never")).toBe(-1);
    // Had the lookup assigned "ids-never" an id, the next new name would skip one.
    expect(nameId("ids-after")).toBe(before + 1);
  });

  it("gives distinct names distinct ids", () => {
    const names = Array.from({length: 500}, (_, i) => `ids-distinct-${i}`);
    const ids = names.map(nameId);
    expect(new Set(ids).size).toBe(names.length);
    expect(names.map(existingNameId)).toEqual(ids);
  });
});

describe("MemberTable finds entries by name", () => {
  const entryOf = (name: string, port = 7946) =>
    new MemberEntry(name, {host: "10.4.0.1", port}, 1, EMPTY, DEFAULT_VSN, "alive", 0);

  it("finds an entry after add, self included, and nothing after remove", () => {
    const table = new MemberTable(entryOf("table-self"), pools);
    const m = entryOf("table-m");
    expect(table.get("table-m")).toBeUndefined();
    table.add(m);
    expect(table.get("table-m")).toBe(m);
    expect(table.get("table-self")).toBe(table.self);
    table.remove(m);
    expect(table.get("table-m")).toBeUndefined();
    const back = entryOf("table-m");
    table.add(back);
    expect(table.get("table-m")).toBe(back);
  });

  it("does not find a name that has an id from elsewhere but is not in this table", () => {
    nameId("table-elsewhere");
    const table = new MemberTable(entryOf("table-self-2"), pools);
    expect(table.get("table-elsewhere")).toBeUndefined();
    // An id far beyond anything this table indexed.
    for (let i = 0; i < 100; i++) nameId(`table-later-${i}`);
    expect(table.get("table-later-99")).toBeUndefined();
  });

  it("keeps each table's own entry for a name added to several tables", () => {
    const t1 = new MemberTable(entryOf("multi-self-1"), pools);
    const t2 = new MemberTable(entryOf("multi-self-2"), pools);
    const in1 = entryOf("multi-shared", 1);
    const in2 = entryOf("multi-shared", 2);
    t1.add(in1);
    t2.add(in2);
    expect(t1.get("multi-shared")).toBe(in1);
    expect(t2.get("multi-shared")).toBe(in2);
    t1.remove(in1);
    expect(t1.get("multi-shared")).toBeUndefined();
    expect(t2.get("multi-shared")).toBe(in2);
    // One table's self is another's member.
    const selfOf1 = entryOf("multi-self-1", 3);
    t2.add(selfOf1);
    expect(t2.get("multi-self-1")).toBe(selfOf1);
    expect(t1.get("multi-self-1")).toBe(t1.self);
  });

  it("agrees with a map per table under random adds and removes across three tables (property)", () => {
    const names = Array.from({length: 12}, (_, i) => `model-${i}`);
    const op = fc.record({table: fc.nat(2), name: fc.constantFrom(...names), add: fc.boolean()});
    checkProperty(
      "agrees with a map per table under random adds and removes across three tables (property)",
      fc.array(op, {maxLength: 120}),
      (ops) => {
        const tables = [0, 1, 2].map((t) => new MemberTable(entryOf(`model-self-${t}`), pools));
        const models = [0, 1, 2].map(() => new Map<string, MemberEntry>());
        for (const o of ops) {
          const table = tables[o.table] as MemberTable;
          const model = models[o.table] as Map<string, MemberEntry>;
          const known = model.get(o.name);
          if (o.add && known === undefined) {
            const e = entryOf(o.name);
            table.add(e);
            model.set(o.name, e);
          } else if (!o.add && known !== undefined) {
            table.remove(known);
            model.delete(o.name);
          }
          for (let t = 0; t < 3; t++) {
            for (const n of names) expect(tables[t]?.get(n)).toBe(models[t]?.get(n));
          }
        }
        tables.forEach((table, t) => {
          expect(table.size).toBe((models[t] as Map<string, MemberEntry>).size + 1);
        });
      },
      {numRuns: 150, file: import.meta.url},
    );
  });
});
