/* The core's public surface: the pure SWIM + Lifeguard state machine and its vocabulary. */
export * from "./config.ts";
export * from "./errors.ts";
export type * from "./events.ts";
export type * from "./io.ts";
export * from "./messages.ts";
export * from "./node.ts";
export * from "./random.ts";
export type * from "./timers.ts";
