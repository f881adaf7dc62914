#!/usr/bin/env node
// Converts a tcpdump pcap of serf agents on loopback into a JSON fixture for test/fixtures/serf/:
// every UDP datagram (hex) and every TCP connection (client->server and server->client bytes,
// reassembled by sequence number). Used by scripts/capture-fixtures.sh.
//
// Usage: node scripts/capture-fixtures-extract.mjs in.pcap out.json scenario serfVersion debVersion [nodesJson]
import {readFileSync, writeFileSync} from "node:fs";

const [, , input, output, scenario, serfVersion, debianVersion, nodesJson] = process.argv;
const buf = readFileSync(input);
const magic = buf.readUInt32LE(0);
const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && buf.readUInt32BE(0) !== 0xa1b23c4d) throw new Error("not a pcap file");
const nano = (le ? magic : buf.readUInt32BE(0)) === 0xa1b23c4d;
const u32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
const linktype = u32(20);
const linkHeader = {0: 4, 1: 14, 101: 0, 12: 0, 113: 16, 276: 20}[linktype];
if (linkHeader === undefined) throw new Error(`unsupported link type ${linktype}`);

const udp = [];
const conns = new Map(); // key "a:p>b:q" of the SYN sender -> {client, server, segs: {c2s: Map, s2c: Map}, isn}
let t0;
let off = 24;
while (off + 16 <= buf.length) {
  const sec = u32(off);
  const frac = u32(off + 4);
  const incl = u32(off + 8);
  const pkt = buf.subarray(off + 16, off + 16 + incl);
  off += 16 + incl;
  const tMs = sec * 1000 + (nano ? frac / 1e6 : frac / 1e3);
  t0 ??= tMs;
  const t = Math.round((tMs - t0) * 1000) / 1000;
  const ip = pkt.subarray(linkHeader);
  let proto;
  let src;
  let dst;
  let l4;
  if (ip.length >= 20 && ip[0] >> 4 === 4) {
    const ihl = (ip[0] & 0x0f) * 4;
    proto = ip[9];
    src = `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
    dst = `${ip[16]}.${ip[17]}.${ip[18]}.${ip[19]}`;
    l4 = ip.subarray(ihl, ip.readUInt16BE(2));
  } else if (ip.length >= 40 && ip[0] >> 4 === 6) {
    // IPv6 on loopback: no extension headers.
    proto = ip[6];
    const v6 = (b) =>
      `[${new URL(`http://[${[...Array(8)].map((_, i) => b.readUInt16BE(i * 2).toString(16)).join(":")}]`).hostname.slice(1, -1)}]`;
    src = v6(ip.subarray(8, 24));
    dst = v6(ip.subarray(24, 40));
    l4 = ip.subarray(40, 40 + ip.readUInt16BE(4));
  } else {
    continue;
  }
  const sport = l4.readUInt16BE(0);
  const dport = l4.readUInt16BE(2);
  const from = `${src}:${sport}`;
  const to = `${dst}:${dport}`;
  if (proto === 17) {
    udp.push({t, src: from, dst: to, hex: l4.subarray(8).toString("hex")});
  } else if (proto === 6) {
    const seq = l4.readUInt32BE(4);
    const dataOff = (l4[12] >> 4) * 4;
    const flags = l4[13];
    const syn = (flags & 0x02) !== 0;
    const ack = (flags & 0x10) !== 0;
    const payload = l4.subarray(dataOff);
    if (syn && !ack) {
      conns.set(`${from}>${to}`, {
        t,
        client: from,
        server: to,
        isn: {c2s: seq + 1},
        data: {c2s: new Map(), s2c: new Map()},
      });
      continue;
    }
    let c = conns.get(`${from}>${to}`);
    let dir = "c2s";
    if (c === undefined) {
      c = conns.get(`${to}>${from}`);
      dir = "s2c";
    }
    if (c === undefined) continue;
    if (syn && ack) {
      c.isn.s2c = seq + 1;
      continue;
    }
    if (payload.length > 0) c.data[dir].set(seq, Buffer.from(payload));
  }
}

function assemble(c, dir) {
  const isn = c.isn[dir];
  const parts = [...c.data[dir].entries()].sort((a, b) => ((a[0] - isn) >>> 0) - ((b[0] - isn) >>> 0));
  const out = [];
  let next = isn;
  for (const [seq, data] of parts) {
    const rel = (seq - next) | 0;
    if (rel < 0) {
      if (-rel < data.length) out.push(data.subarray(-rel));
      next = (seq + data.length) >>> 0;
    } else if (rel === 0) {
      out.push(data);
      next = (seq + data.length) >>> 0;
    } else {
      throw new Error(`gap in TCP stream ${c.client}>${c.server} (${dir})`);
    }
  }
  return Buffer.concat(out).toString("hex");
}

const tcp = [...conns.values()].map((c) => ({
  t: c.t,
  client: c.client,
  server: c.server,
  request: assemble(c, "c2s"),
  response: c.isn.s2c === undefined ? "" : assemble(c, "s2c"),
}));

const fixture = {
  scenario,
  serf: {version: serfVersion, debianPackage: debianVersion},
  capturedAt: new Date().toISOString(),
  nodes: nodesJson
    ? JSON.parse(nodesJson)
    : {"127.0.77.1:47946": "s1", "127.0.77.2:47947": "s2", "127.0.77.3:47948": "s3"},
  note: "see README.md in this folder",
  udp,
  tcp,
};
writeFileSync(output, `${JSON.stringify(fixture, null, 1)}\n`);
console.log(`${output}: ${udp.length} datagrams, ${tcp.length} TCP connections`);
