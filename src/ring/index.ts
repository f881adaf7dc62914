/* Consistent hashing over member names and the deterministic leader choice (pure: same members, same answer, in every process). */
export * from "./hash.ts";
export * from "./hash-ring.ts";
export * from "./leader.ts";
