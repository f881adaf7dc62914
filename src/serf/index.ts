/* Serf's layer above memberlist: Lamport clocks, user events, queries, push-pull user state, internal queries. */
export * from "./filters.ts";
export * from "./internal-queries.ts";
export * from "./lamport.ts";
export * from "./query-result.ts";
export * from "./recent-buffer.ts";
export * from "./serf-layer.ts";
