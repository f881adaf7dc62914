/*
 * Addresses as users write them: "host:port", "[v6]:port", "host" (default port), where host
 * is an IP literal or a DNS name. Seeds given by name are resolved to every A/AAAA record
 * (node:dns lookup with all: true), so a DNS name that lists the whole cluster is a seed list.
 */
import {lookup} from "node:dns/promises";
import {isIP} from "node:net";
import {type Address, InvalidConfigError} from "../core/index.ts";

/** A parsed but not yet resolved address: host may be a DNS name. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses "host:port", "[v6]:port", a bare IPv6 literal, or "host" (then `defaultPort`).
 * Throws InvalidConfigError naming `field` when the text is not an address.
 */
export function parseHostPort(text: string, field: string, defaultPort?: number): HostPort {
  // JavaScript callers can pass anything; say so instead of failing inside string methods.
  if (typeof text !== "string") {
    throw new InvalidConfigError(field, `must be a "HOST:PORT" string, got ${typeof text}`);
  }
  const value = text.trim();
  const rule = `must be HOST:PORT (IPv6 as [::1]:PORT), got ${JSON.stringify(text)}`;
  if (value === "") throw new InvalidConfigError(field, rule);
  let host: string;
  let portText: string | undefined;
  if (value.startsWith("[")) {
    const close = value.indexOf("]");
    if (close < 0) throw new InvalidConfigError(field, rule);
    host = value.slice(1, close);
    const rest = value.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) throw new InvalidConfigError(field, rule);
    portText = rest === "" ? undefined : rest.slice(1);
  } else if (isIP(value) === 6) {
    host = value;
  } else {
    const colon = value.lastIndexOf(":");
    if (colon >= 0) {
      host = value.slice(0, colon);
      portText = value.slice(colon + 1);
    } else {
      host = value;
    }
  }
  if (host === "" || /[\s/]/.test(host)) throw new InvalidConfigError(field, rule);
  let port: number;
  if (portText === undefined) {
    if (defaultPort === undefined) throw new InvalidConfigError(field, `${rule} (the port is required)`);
    port = defaultPort;
  } else {
    if (!/^\d{1,5}$/.test(portText))
      throw new InvalidConfigError(field, `port must be an integer 0..65535 in ${JSON.stringify(text)}`);
    port = Number(portText);
    if (port > 65_535)
      throw new InvalidConfigError(field, `port must be an integer 0..65535 in ${JSON.stringify(text)}`);
  }
  return {host, port};
}

/** `host:port`, brackets around IPv6. */
export function formatHostPort(a: HostPort): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** Resolves a host to every address it has (an IP literal resolves to itself). */
export async function resolveHost(hostPort: HostPort): Promise<Address[]> {
  if (isIP(hostPort.host) !== 0) return [{host: hostPort.host, port: hostPort.port}];
  const records = await lookup(hostPort.host, {all: true, verbatim: true});
  const seen = new Set<string>();
  const out: Address[] = [];
  for (const record of records) {
    if (seen.has(record.address)) continue;
    seen.add(record.address);
    out.push({host: record.address, port: hostPort.port});
  }
  return out;
}

/** Resolves many seeds; returns the addresses and, for names that failed, one error line each. */
export async function resolveSeeds(seeds: readonly HostPort[]): Promise<{addresses: Address[]; errors: string[]}> {
  const addresses: Address[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  const results = await Promise.allSettled(seeds.map((seed) => resolveHost(seed)));
  results.forEach((result, i) => {
    const seed = seeds[i] as HostPort;
    if (result.status === "rejected") {
      errors.push(`${formatHostPort(seed)}: cannot resolve (${(result.reason as Error).message})`);
      return;
    }
    if (result.value.length === 0) errors.push(`${formatHostPort(seed)}: no addresses`);
    for (const address of result.value) {
      const key = formatHostPort(address);
      if (seen.has(key)) continue;
      seen.add(key);
      addresses.push(address);
    }
  });
  return {addresses, errors};
}
