/*
 * Joining through seeds: a seed given by name resolves to every A/AAAA record (node:dns lookup
 * with all: true), so one DNS name that lists the whole cluster is a seed list; one attempt
 * push-pulls with every address; the startup join retries with exponential backoff (the wait
 * doubles up to 32x the first) until a seed answers, the attempts run out, or the agent stops.
 */
import {isIP} from "node:net";
import type {Address} from "../core/index.ts";
import type {JoinResult} from "../runtime/index.ts";
import {formatHostPort, type HostPort} from "./address.ts";
import {JoinError} from "./errors.ts";

/** Resolves a host to every address it has (an IP literal resolves to itself). */
export async function resolveHost(hostPort: HostPort): Promise<Address[]> {
  if (isIP(hostPort.host) !== 0) return [{host: hostPort.host, port: hostPort.port}];
  // node:dns is loaded for the first name, not with the agent: seeds given as IP literals never need it.
  const {lookup} = await import("node:dns/promises");
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

/**
 * One join attempt: resolves the seeds (a seed without a port, port < 0, takes `defaultPort`)
 * and push-pulls with every address. Resolves with how many answered; rejects with JoinError
 * when none did (every resolution and contact error listed).
 */
export async function joinSeeds(
  seeds: readonly HostPort[],
  defaultPort: number,
  join: (addresses: readonly Address[]) => Promise<JoinResult>,
): Promise<{answered: number; attempted: number}> {
  const {addresses, errors} = await resolveSeeds(
    seeds.map((s) => (s.port < 0 ? {host: s.host, port: defaultPort} : s)),
  );
  if (addresses.length === 0) {
    throw new JoinError(`join failed: no address to contact (${errors.join("; ")})`, errors);
  }
  const result = await join(addresses);
  const allErrors = [...errors, ...result.errors];
  if (result.answered === 0) {
    throw new JoinError(
      `join failed: none of ${addresses.length} address(es) answered (${allErrors.join("; ") || "no reply"})`,
      allErrors,
    );
  }
  return {answered: result.answered, attempted: result.attempted};
}

/** What the startup join's retry loop needs from the agent. */
export interface RetryJoinOptions {
  /** Attempts before giving up; 0 = keep trying. */
  readonly retryJoinMax: number;
  /** The first wait between attempts; it doubles each time up to 32x. */
  readonly retryJoinIntervalMs: number;
  /** Aborted when the agent leaves or stops: the loop ends, resolving false. */
  readonly signal: AbortSignal;
  /** False once the agent is no longer running. */
  readonly running: () => boolean;
  /** One attempt: resolves with how many answered, rejects (JoinError) when none did. */
  readonly attempt: () => Promise<number>;
  /** Told after every attempt. */
  readonly onAttempt: (result: {attempt: number; answered: number; errors: readonly string[]}) => void;
  /** Told before each wait. */
  readonly onRetry?: (attempt: number, error: Error, waitMs: number) => void;
}

/**
 * Retries `attempt` with exponential backoff. Resolves true once one succeeds, false when the
 * agent stopped first; rejects with the last error when retryJoinMax attempts failed.
 */
export async function retryJoin(options: RetryJoinOptions): Promise<boolean> {
  const {retryJoinMax, retryJoinIntervalMs, signal, running} = options;
  for (let attempt = 1; retryJoinMax === 0 || attempt <= retryJoinMax; attempt++) {
    if (signal.aborted || !running()) return false;
    try {
      const answered = await options.attempt();
      options.onAttempt({attempt, answered, errors: []});
      return true;
    } catch (error) {
      const errors = error instanceof JoinError ? error.errors : [(error as Error).message];
      options.onAttempt({attempt, answered: 0, errors});
      if (signal.aborted || !running()) return false;
      if (retryJoinMax !== 0 && attempt >= retryJoinMax) throw error;
      const waitMs = retryJoinIntervalMs * 2 ** Math.min(attempt - 1, 5);
      options.onRetry?.(attempt, error as Error, waitMs);
      await sleep(waitMs, signal);
    }
  }
  return false;
}

/** Waits `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    signal.addEventListener("abort", onAbort, {once: true});
  });
}
