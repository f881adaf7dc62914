/*
 * SwimNode.handle throughput at 100 and 1,000 members. One benchmark iteration is
 * a cycle of six inputs that a busy member sees all the time:
 *   1. a ping from a random member (→ ack with piggybacked broadcasts)
 *   2. an alive about a random member with a fresh incarnation (→ accept, re-broadcast queued)
 *   3. a redundant alive about another member (→ ignored)
 *   4. the probe timer (→ ping to the next target)
 *   5. the ack for that probe
 *   6. the gossip timer (→ up to gossipNodes packets)
 * so inputs/s = 6 × the reported hz. Fixed seeds; the machine is printed once.
 *
 * It also prints the heap cost of one member entry (300 nodes × 300 members, broadcasts drained),
 * exact when run with NODE_OPTIONS=--expose-gc.
 *
 * Run: npx vitest bench --run bench/core.bench.ts
 */
import {cpus} from "node:os";
import {bench, describe} from "vitest";
import {
  type Address,
  createRandom,
  DEFAULT_VSN,
  type Effect,
  type Input,
  lanConfig,
  type Message,
  SwimNode,
  type Timer,
} from "../src/core/index.ts";

console.log(`machine: ${cpus()[0]?.model ?? "?"} × ${cpus().length}, node ${process.version}`);

function addr(i: number): Address {
  return {host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 7946};
}

interface Fixture {
  node: SwimNode;
  now: number;
  probe: Timer;
  gossip: Timer;
  incarnations: number[];
  random: ReturnType<typeof createRandom>;
  n: number;
}

function timerOf(effects: Effect[], type: Timer["type"]): Timer {
  const e = effects.find((x) => x.type === "setTimer" && x.timer.type === type);
  if (e?.type !== "setTimer") throw new Error(`no ${type} timer`);
  return e.timer;
}

function setup(n: number): Fixture {
  const node = new SwimNode(
    {...lanConfig(), gossipToTheDeadMs: 30_000},
    {name: "self", addr: addr(0)},
    {random: createRandom(42)},
  );
  const start = node.handle(0, {type: "start"});
  const incarnations: number[] = [];
  for (let i = 1; i < n; i++) {
    incarnations[i] = 1;
    node.handle(0, {
      type: "packet",
      from: addr(i),
      messages: [
        {type: "alive", incarnation: 1, node: `m${i}`, addr: addr(i), meta: new Uint8Array(0), vsn: DEFAULT_VSN},
      ],
    });
  }
  return {
    node,
    now: 1,
    probe: timerOf(start, "probe"),
    gossip: timerOf(start, "gossip"),
    incarnations,
    random: createRandom(7),
    n,
  };
}

function cycle(f: Fixture): void {
  const {node, random, n} = f;
  f.now += 200;
  const a = 1 + random.nextInt(n - 1);
  node.handle(f.now, {type: "packet", from: addr(a), messages: [{type: "ping", seqNo: f.now, node: "self"}]});
  const b = 1 + random.nextInt(n - 1);
  const inc = (f.incarnations[b] as number) + 1;
  f.incarnations[b] = inc;
  const fresh: Input = {
    type: "packet",
    from: addr(b),
    messages: [
      {type: "alive", incarnation: inc, node: `m${b}`, addr: addr(b), meta: new Uint8Array(0), vsn: DEFAULT_VSN},
    ],
  };
  node.handle(f.now, fresh);
  node.handle(f.now, fresh);
  const fx = node.handle(f.now, {type: "timer", timer: f.probe});
  for (const e of fx) {
    if (e.type === "setTimer" && e.timer.type === "probe") f.probe = e.timer;
    if (e.type === "send" && e.messages[0]?.type === "ping") {
      const seqNo = e.messages[0].seqNo;
      node.handle(f.now + 1, {
        type: "packet",
        from: e.to,
        messages: [{type: "ack", seqNo, payload: new Uint8Array(0)}],
      });
    }
  }
  const g = node.handle(f.now, {type: "timer", timer: f.gossip});
  for (const e of g) if (e.type === "setTimer" && e.timer.type === "gossip") f.gossip = e.timer;
}

function measureEntryBytes(nodes: number): string {
  const gc = (globalThis as {gc?: () => void}).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const keep: SwimNode[] = [];
  for (let i = 0; i < nodes; i++) {
    const node = new SwimNode(lanConfig(), {name: `node-${i}`, addr: addr(i)}, {random: createRandom(i)});
    node.handle(0, {type: "start"});
    for (let j = 0; j < nodes; j++) {
      if (j === i) continue;
      const alive = {
        type: "alive",
        incarnation: 1,
        node: `node-${j}`,
        addr: addr(j),
        meta: new Uint8Array([0xff, 0x80]),
        vsn: [1, 5, 2, 2, 5, 5],
      };
      node.handle(0, {type: "packet", from: addr(j), messages: [alive as unknown as Message]});
    }
    for (let k = 0; node.queuedBroadcasts > 0; k++) {
      node.handle(1, {type: "packet", from: addr(1), messages: [{type: "ping", seqNo: k, node: ""}]});
    }
    keep.push(node);
  }
  gc?.();
  const perEntry = (process.memoryUsage().heapUsed - before) / (nodes * nodes);
  const members = keep.reduce((sum, node) => sum + node.memberCount, 0);
  return `${perEntry.toFixed(0)} B per member entry (${nodes} nodes, ${members} entries${gc ? "" : ", no --expose-gc: approximate"})`;
}

console.log(`memory: ${measureEntryBytes(300)}`);

for (const n of [100, 1_000]) {
  describe(`SwimNode.handle with ${n} members (6 inputs per iteration)`, () => {
    const f = setup(n);
    bench(`cycle of 6 inputs, ${n} members`, () => cycle(f), {time: 2_000, warmupTime: 300});
  });
}

describe("building a member table", () => {
  bench(
    "inserting 1,000 members",
    () => {
      setup(1_000);
    },
    {time: 2_000, warmupTime: 300},
  );
});
