/* Event-handler scripts: filters, user-event coalescing, the run lanes, environment and stdin of each run. */
export * from "./event-handler.ts";
export * from "./handler-input.ts";
export * from "./handler-spec.ts";
export * from "./user-coalescer.ts";
