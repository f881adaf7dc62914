// How evenly the hash ring spreads keys, and what membership changes cost (CPU time, not wall
// time: fair on a shared machine). Run after `npm run build`:   node examples/ring-spread.mjs
import {HashRing, ringHash} from "../dist/src/ring/index.js";

const KEYS = Array.from({length: 100_000}, (_, i) => `key-${i}`);
const MEMBERS = Array.from({length: 10}, (_, i) => `node-${i}`);
for (const vnodes of [128, 256, 512]) {
  let hi = 0;
  let lo = 9;
  let loadHi = 0;
  let loadLo = 9;
  for (const dead of MEMBERS) {
    const ring = new HashRing({vnodes});
    ring.setMembers(MEMBERS);
    const before = KEYS.map((k) => ring.owner(k));
    const load = new Map();
    for (const o of before) load.set(o, (load.get(o) ?? 0) + 1);
    for (const c of load.values()) {
      loadHi = Math.max(loadHi, c / 10_000);
      loadLo = Math.min(loadLo, c / 10_000);
    }
    ring.remove(dead);
    const got = new Map();
    let moved = 0;
    KEYS.forEach((k, i) => {
      const o = ring.owner(k);
      if (o === before[i]) return;
      if (before[i] !== dead) throw new Error(`a survivor's key moved: ${k}`);
      moved++;
      got.set(o, (got.get(o) ?? 0) + 1);
    });
    for (const c of got.values()) {
      hi = Math.max(hi, c / (moved / 9));
      lo = Math.min(lo, c / (moved / 9));
    }
  }
  console.log(
    `vnodes=${vnodes}: each member owns ${loadLo.toFixed(2)}–${loadHi.toFixed(2)} × its fair share; ` +
      `a dead member's keys reach each survivor at ${lo.toFixed(2)}–${hi.toFixed(2)} × an equal part ` +
      `(worst of 10 removals, 100k keys); no survivor's key moved`,
  );
}

const cpu = (f) => {
  const a = process.cpuUsage();
  f();
  const b = process.cpuUsage(a);
  return (b.user + b.system) / 1000;
};
let checksum = 0;
const hashMs = cpu(() => {
  for (let i = 0; i < 1e6; i++) checksum = (checksum + ringHash(`key-${i}`)) % 2 ** 53;
});
console.log(`ringHash: ${(1e3 / hashMs).toFixed(2)} M keys per CPU second (checksum ${checksum})`);
for (const n of [10, 100, 1000]) {
  const names = Array.from({length: n}, (_, i) => `node-${i}`);
  const ring = new HashRing();
  const build = cpu(() => ring.setMembers(names));
  const lookups = cpu(() => {
    for (let i = 0; i < 2e5; i++) ring.owner(`key-${i}`);
  });
  const remove = cpu(() => ring.remove("node-3"));
  const add = cpu(() => ring.add("node-3"));
  console.log(
    `n=${n}, 256 vnodes: build ${build.toFixed(1)} ms, owner() ${(200 / lookups).toFixed(2)} M/s, ` +
      `remove one ${remove.toFixed(1)} ms, add one ${add.toFixed(1)} ms (CPU)`,
  );
}
