/* The core's public surface: the pure SWIM + Lifeguard state machine and its vocabulary. */

// The protocol's formulas, for tools that reason about expected bounds (simulator reports, docs).
export {scaleTimeoutMs} from "./awareness.ts";
export * from "./bounds.ts";
export {retransmitLimit} from "./broadcasts.ts";
export * from "./config.ts";
export * from "./errors.ts";
export type * from "./events.ts";
export {InternPools} from "./intern.ts";
export type * from "./io.ts";
export * from "./messages.ts";
export * from "./node.ts";
export {pushPullScaleMs, verifyProtocol} from "./push-pull.ts";
export * from "./random.ts";
export {expectedConfirmations, remainingSuspicionMs, suspicionTimeoutMs} from "./suspicion.ts";
export type * from "./timers.ts";
export * from "./wire-limits.ts";
