/*
 * IP addresses between the core's text form and memberlist's byte form (docs/memberlist-wire.md §1).
 *
 * Go puts a `net.IP` on the wire: 4 bytes for IPv4 (with `-advertise` or a specific bind IP) or
 * 16 bytes (IPv6, and the IPv4-mapped `::ffff:a.b.c.d` form a serf agent bound to 0.0.0.0 uses).
 * The core sees one text form per host: IPv4 dotted quad (mapped addresses included) or RFC 5952
 * IPv6. We encode IPv4 as 4 bytes and IPv6 as 16.
 *
 * One trap: memberlist compares addresses with `bytes.Equal`, so if we re-gossip a peer's
 * `alive` (or list it in push-pull) in a different byte form than it advertised, every Go node
 * logs "Conflicting address" and ignores it, and the peer itself may start serf's name-conflict
 * resolution. So when we decode an IPv4-mapped address we remember that host *and port*, and
 * encode that address in the same 16-byte form afterwards. Keying on the port too keeps our own
 * address (same host, other port) in the 4-byte form even if a serf agent on our machine, bound to
 * 0.0.0.0, advertises the mapped form. The memory is bounded (MAPPED_ADDRESSES_MAX, oldest
 * host forgotten first) and costs nothing while empty (the simulator never fills it).
 *
 * The memory is a MappedAddresses object owned by a codec context (context.ts), one per driver
 * and per simulation, so what one agent learnt never changes the bytes another agent sends.
 * Without one, decoding remembers nothing and IPv4 is always encoded as 4 bytes.
 */

const MAPPED_ADDRESSES_MAX = 4096;

/** IPv4 host → ports seen on the wire in the 16-byte IPv4-mapped form, re-encoded the same way. */
export class MappedAddresses {
  // BOUNDED: at most MAPPED_ADDRESSES_MAX ports in total; the oldest host is evicted first.
  private readonly byHost = new Map<string, Set<number>>();
  private count = 0;
  private remembered = 0;

  /**
   * How many times decoding has met an IPv4-mapped address so far. Decoding one has a side effect
   * (it is remembered), so a cache of decoded parts (gossip-memo.ts) must not answer for such a
   * part: it checks this count around a decode and does not keep parts that moved it.
   */
  get seen(): number {
    return this.remembered;
  }

  /** Whether `host` with `port` was seen in the mapped form (and is still remembered). */
  has(host: string, port: number): boolean {
    return this.count > 0 && this.byHost.get(host)?.has(port) === true;
  }

  /** Remembers that `host` with `port` came in the mapped form. */
  remember(host: string, port: number): void {
    this.remembered++;
    let ports = this.byHost.get(host);
    if (ports?.has(port)) return;
    while (this.count >= MAPPED_ADDRESSES_MAX) {
      const oldest = this.byHost.entries().next().value;
      if (oldest === undefined) break;
      this.byHost.delete(oldest[0]);
      this.count -= oldest[1].size;
    }
    if (ports === undefined) {
      ports = new Set();
      this.byHost.set(host, ports);
    }
    ports.add(port);
    this.count++;
  }

  /** Forgets every remembered address. */
  clear(): void {
    this.byHost.clear();
    this.count = 0;
  }
}

/** Parses a dotted quad into `out[off..off+4)`. Returns false if `s` is not one. */
function parseIpv4Into(s: string, start: number, out: Uint8Array, off: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      digits++;
      if (digits > 3 || value > 255) return false;
    } else if (c === 46 && digits > 0 && part < 3) {
      out[off + part] = value;
      part++;
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  if (part !== 3 || digits === 0) return false;
  out[off + 3] = value;
  return true;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses IPv6 text (with optional embedded IPv4 tail and `%zone`) into 16 bytes. */
function parseIpv6Into(text: string, out: Uint8Array): boolean {
  const zone = text.indexOf("%");
  const s = zone >= 0 ? text.slice(0, zone) : text;
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  if (s.startsWith("::")) {
    gap = 0;
    i = 2;
    if (s.length === 2) {
      out.fill(0);
      return true;
    }
  } else if (s.startsWith(":")) {
    return false;
  }
  while (i < s.length) {
    // An embedded IPv4 tail takes the last 32 bits.
    let j = i;
    let value = 0;
    let digits = 0;
    while (j < s.length && digits <= 4) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) break;
      value = value * 16 + h;
      digits++;
      j++;
    }
    if (j < s.length && s.charCodeAt(j) === 46) {
      if (groups.length > 6) return false;
      const tail = new Uint8Array(4);
      if (!parseIpv4Into(s, i, tail, 0)) return false;
      groups.push(((tail[0] as number) << 8) | (tail[1] as number), ((tail[2] as number) << 8) | (tail[3] as number));
      i = s.length;
      break;
    }
    if (digits === 0 || digits > 4) return false;
    groups.push(value);
    if (groups.length > 8) return false;
    i = j;
    if (i === s.length) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < s.length && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = groups.length;
      i++;
    } else if (i === s.length) {
      return false;
    }
  }
  if (gap < 0) {
    if (groups.length !== 8) return false;
  } else if (groups.length > 7) {
    return false;
  }
  out.fill(0);
  const tailCount = gap < 0 ? 0 : groups.length - gap;
  for (let g = 0; g < groups.length; g++) {
    const slot = gap < 0 || g < gap ? g : 8 - tailCount + (g - gap);
    const v = groups[g] as number;
    out[slot * 2] = v >> 8;
    out[slot * 2 + 1] = v & 0xff;
  }
  return true;
}

// Scratch space for encoders (reused, never read across calls: not state that changes results).
const scratch = new Uint8Array(16);
/** The scratch bytes filled by `parseHostToScratch` (valid until the next call). */
export const HOST_SCRATCH: Readonly<Uint8Array> = scratch;

/**
 * Parses `host` into the shared scratch buffer and returns the byte length of its wire form (4 or
 * 16), or 0 if it is not an IP literal. An IPv4 address `mapped` remembers in the mapped form
 * (with this `port`) gets 16 bytes. The bytes are valid until the next call; no allocation for IPv4.
 */
export function parseHostToScratch(host: string, port = -1, mapped?: MappedAddresses): 0 | 4 | 16 {
  if (host.includes(":")) return parseIpv6Into(host, scratch) ? 16 : 0;
  if (!parseIpv4Into(host, 0, scratch, 0)) return 0;
  if (mapped?.has(host, port) === true) {
    scratch.copyWithin(12, 0, 4);
    scratch.fill(0, 0, 10);
    scratch[10] = 0xff;
    scratch[11] = 0xff;
    return 16;
  }
  return 4;
}

/**
 * `host` as wire bytes (a fresh copy), or undefined if it is not an IP literal. With `port`, an
 * address `mapped` remembers in the IPv4-mapped form comes out as 16 bytes.
 */
export function hostToBytes(host: string, port?: number, mapped?: MappedAddresses): Uint8Array | undefined {
  const n = parseHostToScratch(host, port, mapped);
  return n === 0 ? undefined : scratch.slice(0, n);
}

function formatIpv6(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] as number) << 8) | (b[i + 1] as number));
  // RFC 5952: compress the longest run (≥ 2) of zero groups, the first one on ties.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

// IPv4 text by 32-bit value: a cluster has one address per member, and every push-pull carries
// all of them, so the same few strings are made over and over otherwise.
// BOUNDED: IPV4_TEXT_MAX entries, then cleared.
const ipv4Texts = new Map<number, string>();
const IPV4_TEXT_MAX = 16_384;

function ipv4Text(b: Uint8Array): string {
  const key = (b[0] as number) * 0x1000000 + (((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number));
  let text = ipv4Texts.get(key);
  if (text === undefined) {
    text = `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
    if (ipv4Texts.size >= IPV4_TEXT_MAX) ipv4Texts.clear();
    ipv4Texts.set(key, text);
  }
  return text;
}

/**
 * Wire bytes (4 or 16) to host text; `::ffff:a.b.c.d` becomes `a.b.c.d`, and when the `port` it
 * came with and a `mapped` memory are given, that address is remembered there so it is re-encoded
 * in the same 16-byte form. Returns undefined for any other length.
 */
export function bytesToHost(b: Uint8Array, port?: number, mapped?: MappedAddresses): string | undefined {
  if (b.length === 4) return ipv4Text(b);
  if (b.length !== 16) return undefined;
  let isMapped = b[10] === 0xff && b[11] === 0xff;
  for (let i = 0; i < 10 && isMapped; i++) if (b[i] !== 0) isMapped = false;
  if (isMapped) {
    const host = `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
    if (port !== undefined) mapped?.remember(host, port);
    return host;
  }
  return formatIpv6(b);
}
