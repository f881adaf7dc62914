/*
 * Query filters (serf/query.go): a query carries a list of encoded filters, and a member handles
 * it only if it passes every one — its name is in a node filter, and for each tag filter its tag
 * value matches the regular expression (unanchored, as Go's regexp.MatchString; an expression that
 * does not compile matches nothing, as in serf).
 */
import {decodeSerfFilter, encodeSerfFilter, type SerfFilter} from "../codec/index.ts";
import {InvalidConfigError} from "../core/index.ts";

/** What a query selects: names (any of) and tag expressions (all of). */
export interface QuerySelection {
  readonly nodes?: readonly string[] | undefined;
  readonly tags?: Readonly<Record<string, string>> | undefined;
}

/** Encodes a selection as serf's filter list. Throws InvalidConfigError for a bad expression. */
export function encodeQueryFilters(selection: QuerySelection): Uint8Array[] {
  const filters: SerfFilter[] = [];
  if (selection.nodes && selection.nodes.length > 0) {
    if (!selection.nodes.every((n) => typeof n === "string" && n.length > 0))
      throw new InvalidConfigError("nodes", "must be non-empty node names");
    filters.push({type: "node", nodes: selection.nodes});
  }
  for (const [tag, expr] of Object.entries(selection.tags ?? {})) {
    if (typeof expr !== "string") throw new InvalidConfigError(`tags.${tag}`, "must be a regular expression string");
    try {
      new RegExp(expr);
    } catch (error) {
      throw new InvalidConfigError(`tags.${tag}`, `must be a valid regular expression (${(error as Error).message})`);
    }
    filters.push({type: "tag", tag, expr});
  }
  return filters.map(encodeSerfFilter);
}

/** Whether a member with `name` and `tags` passes every filter. A filter that does not decode fails. */
export function passesFilters(
  filters: readonly Uint8Array[],
  self: {readonly name: string; readonly tags: Readonly<Record<string, string>>},
): boolean {
  for (const bytes of filters) {
    let filter: SerfFilter;
    try {
      filter = decodeSerfFilter(bytes);
    } catch {
      return false;
    }
    if (filter.type === "node") {
      if (!filter.nodes.includes(self.name)) return false;
    } else {
      let pattern: RegExp;
      try {
        pattern = new RegExp(filter.expr);
      } catch {
        return false;
      }
      if (!pattern.test(self.tags[filter.tag] ?? "")) return false;
    }
  }
  return true;
}
