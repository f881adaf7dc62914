/* Consistent hashing over member names (pure: same members, same ring, in every process). */
export * from "./hash.ts";
export * from "./hash-ring.ts";
