/*
 * Address helpers for sockets: IPv4-mapped IPv6 normalisation (a dual-stack socket reports
 * IPv4 peers as ::ffff:a.b.c.d; memberlist maps them back to 4-byte IPv4) and the family of a
 * host literal.
 */
import {isIP} from "node:net";

/** "::ffff:10.0.0.1" → "10.0.0.1"; other hosts unchanged. */
export function normalizeHost(host: string): string {
  // Fast path first: this runs for every datagram received.
  if (!host.includes(":")) return host;
  if (host.length > 7 && host.slice(0, 7).toLowerCase() === "::ffff:" && isIP(host.slice(7)) === 4)
    return host.slice(7);
  return host;
}

/** 6 for an IPv6 literal, else 4. */
export function hostFamily(host: string): 4 | 6 {
  return isIP(host) === 6 ? 6 : 4;
}
