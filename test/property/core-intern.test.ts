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
import {MemberTable, NO_SLOT, SELF_SLOT} from "../../src/core/member-table.ts";
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
  const addrOf = (port: number) => ({host: "10.4.0.1", port});
  const tableOf = (self: string) =>
    new MemberTable({name: self, addr: addrOf(7946), incarnation: 1, meta: EMPTY, vsn: DEFAULT_VSN}, pools);
  const add = (table: MemberTable, name: string, port = 7946) =>
    table.add(name, addrOf(port), 1, EMPTY, DEFAULT_VSN, "alive", 0);
  /** What the table holds under `name`: undefined, or the entry's port (the tests tell entries apart by it). */
  const portOf = (table: MemberTable | undefined, name: string) => {
    const slot = table?.slotOf(name) ?? NO_SLOT;
    return slot === NO_SLOT ? undefined : table?.addrOf(slot).port;
  };

  it("finds an entry after add, self included, and nothing after remove", () => {
    const table = tableOf("table-self");
    expect(table.slotOf("table-m")).toBe(NO_SLOT);
    const m = add(table, "table-m");
    expect(table.slotOf("table-m")).toBe(m);
    expect(table.slotOf("table-self")).toBe(SELF_SLOT);
    table.remove(m);
    expect(table.slotOf("table-m")).toBe(NO_SLOT);
    const back = add(table, "table-m", 7001);
    expect(table.slotOf("table-m")).toBe(back);
    expect(portOf(table, "table-m")).toBe(7001);
  });

  it("does not find a name that has an id from elsewhere but is not in this table", () => {
    nameId("table-elsewhere");
    const table = tableOf("table-self-2");
    expect(table.slotOf("table-elsewhere")).toBe(NO_SLOT);
    // An id far beyond anything this table indexed.
    for (let i = 0; i < 100; i++) nameId(`table-later-${i}`);
    expect(table.slotOf("table-later-99")).toBe(NO_SLOT);
  });

  it("keeps each table's own entry for a name added to several tables", () => {
    const t1 = tableOf("multi-self-1");
    const t2 = tableOf("multi-self-2");
    const in1 = add(t1, "multi-shared", 1);
    add(t2, "multi-shared", 2);
    expect(portOf(t1, "multi-shared")).toBe(1);
    expect(portOf(t2, "multi-shared")).toBe(2);
    t1.remove(in1);
    expect(t1.slotOf("multi-shared")).toBe(NO_SLOT);
    expect(portOf(t2, "multi-shared")).toBe(2);
    // One table's self is another's member.
    add(t2, "multi-self-1", 3);
    expect(portOf(t2, "multi-self-1")).toBe(3);
    expect(t1.slotOf("multi-self-1")).toBe(SELF_SLOT);
  });

  it("agrees with a map per table under random adds and removes across three tables (property)", () => {
    const names = Array.from({length: 12}, (_, i) => `model-${i}`);
    const op = fc.record({table: fc.nat(2), name: fc.constantFrom(...names), add: fc.boolean()});
    checkProperty(
      "agrees with a map per table under random adds and removes across three tables (property)",
      fc.array(op, {maxLength: 120}),
      (ops) => {
        const tables = [0, 1, 2].map((t) => tableOf(`model-self-${t}`));
        // Per table: name → the port its entry was added with (a fresh port per add).
        const models = [0, 1, 2].map(() => new Map<string, number>());
        let port = 1;
        for (const o of ops) {
          const table = tables[o.table] as MemberTable;
          const model = models[o.table] as Map<string, number>;
          const known = model.get(o.name);
          if (o.add && known === undefined) {
            add(table, o.name, port);
            model.set(o.name, port++);
          } else if (!o.add && known !== undefined) {
            table.remove(table.slotOf(o.name));
            model.delete(o.name);
          }
          for (let t = 0; t < 3; t++) {
            for (const n of names) expect(portOf(tables[t], n)).toBe(models[t]?.get(n));
          }
        }
        tables.forEach((table, t) => {
          expect(table.size).toBe((models[t] as Map<string, number>).size + 1);
        });
      },
      {numRuns: 150, file: import.meta.url},
    );
  });
});
