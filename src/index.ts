/* Lifeline's public entry point. */
export * from "./agent/index.ts";
export * from "./coordinate/index.ts";
export * from "./core/index.ts";
export * from "./heartbeat/index.ts";
export * from "./hooks/index.ts";
export * from "./http/index.ts";
export * from "./phi/index.ts";
export * from "./ring/index.ts";
export {type Clock, createMonotonicClock, Driver, type DriverStats, type JoinResult} from "./runtime/index.ts";
export {BindError, StreamError} from "./transport/index.ts";
