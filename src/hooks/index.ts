/* Event-handler scripts: filters, the run queue, environment and stdin of each run. */
export * from "./event-handler.ts";
