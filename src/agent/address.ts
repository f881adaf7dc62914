/*
 * Addresses as users write them: "host:port", "[v6]:port", "host" (default port), where host
 * is an IP literal or a DNS name (resolved when joining: join.ts).
 */
import {isIP} from "node:net";
import {networkInterfaces} from "node:os";
import {InvalidConfigError} from "../core/index.ts";

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
  } else if (value.indexOf(":") !== value.lastIndexOf(":") && isIP(value) === 6) {
    // A bare IPv6 literal has two colons at least; the check spares node's IPv6 pattern (~8 ms to
    // compile on first use) for every "host:port".
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

/** The advertise host for a bind host: itself, or a local IP when bound to a wildcard. */
export function advertiseHostFor(bindHost: string): string {
  if (bindHost !== "0.0.0.0" && bindHost !== "::") return bindHost;
  const wantV6 = bindHost === "::";
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.internal) continue;
      if (entry.family === "IPv4" && !wantV6) return entry.address;
      if (entry.family === "IPv6" && wantV6 && !entry.address.startsWith("fe80")) return entry.address;
    }
  }
  return wantV6 ? "::1" : "127.0.0.1";
}
