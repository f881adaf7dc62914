/*
 * Node selectors: how scenarios name sets of nodes without knowing the cluster size, so the
 * same file runs at 20 nodes in a test and 1,000 in a benchmark.
 *
 *   "all"            every node
 *   "n12"            one node by name
 *   "0%-50%"         indices [floor(0.00·n), floor(0.50·n)) — the first half
 *   "random:3"       3 nodes drawn with the run's choice Random (never a seed node if avoidable)
 *   "random:1%"      ceil(1% of n) such nodes (at least 1)
 *   "@flaky"         a named group from the scenario's "groups" (resolved once, in order)
 *   "!SEL"           every node not in SEL
 *   ["n1", "n2"]     the union of several selectors
 */
import {InvalidConfigError, type Random} from "../src/core/index.ts";

/** A selector as written in a scenario: one string or a list of strings. */
export type Selector = string | readonly string[];

/** What a selector is resolved against. */
export interface SelectorContext {
  readonly names: readonly string[];
  readonly seedNodes: number;
  readonly random: Random;
  readonly groups: ReadonlyMap<string, readonly number[]>;
}

/** Resolves a selector to sorted, distinct node indices; throws InvalidConfigError naming `field`. */
export function resolveSelector(field: string, selector: unknown, ctx: SelectorContext): number[] {
  const parts = typeof selector === "string" ? [selector] : selector;
  if (!Array.isArray(parts) || parts.length === 0 || parts.some((p) => typeof p !== "string")) {
    throw new InvalidConfigError(field, "must be a selector string or a non-empty array of them");
  }
  const chosen = new Set<number>();
  for (const part of parts as string[]) for (const i of resolveOne(field, part.trim(), ctx)) chosen.add(i);
  return [...chosen].sort((a, b) => a - b);
}

function resolveOne(field: string, s: string, ctx: SelectorContext): number[] {
  const n = ctx.names.length;
  if (s === "all") return ctx.names.map((_, i) => i);
  if (s.startsWith("!")) {
    const except = new Set(resolveOne(field, s.slice(1), ctx));
    return ctx.names.map((_, i) => i).filter((i) => !except.has(i));
  }
  if (s.startsWith("@")) {
    const group = ctx.groups.get(s.slice(1));
    if (group === undefined) throw new InvalidConfigError(field, `unknown group ${s}`);
    return [...group];
  }
  const range = /^(\d+(?:\.\d+)?)%-(\d+(?:\.\d+)?)%$/.exec(s);
  if (range) {
    const a = Number(range[1]);
    const b = Number(range[2]);
    if (a > b || b > 100) throw new InvalidConfigError(field, `range ${s} must satisfy 0 ≤ A ≤ B ≤ 100`);
    const from = Math.floor((a / 100) * n);
    const to = Math.floor((b / 100) * n);
    const out: number[] = [];
    for (let i = from; i < to; i++) out.push(i);
    return out;
  }
  const random = /^random:(\d+(?:\.\d+)?)(%?)$/.exec(s);
  if (random) {
    const value = Number(random[1]);
    const count = random[2] === "%" ? Math.max(1, Math.ceil((value / 100) * n)) : value;
    if (!Number.isInteger(count) || count < 1 || count > n) {
      throw new InvalidConfigError(field, `${s} must pick between 1 and ${n} nodes`);
    }
    const pool: number[] = [];
    for (let i = 0; i < n; i++) if (i >= ctx.seedNodes || n - ctx.seedNodes < count) pool.push(i);
    const out: number[] = [];
    for (let k = 0; k < count; k++) {
      const pick = k + ctx.random.nextInt(pool.length - k);
      const tmp = pool[k] as number;
      pool[k] = pool[pick] as number;
      pool[pick] = tmp;
      out.push(pool[k] as number);
    }
    return out;
  }
  const index = ctx.names.indexOf(s);
  if (index >= 0) return [index];
  throw new InvalidConfigError(
    field,
    `unknown selector ${JSON.stringify(s)} (use all, nK with K < ${n}, A%-B%, random:K, random:P%, @group, !SEL)`,
  );
}
