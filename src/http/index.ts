/* The agent's HTTP API: JSON routes, the server-sent event stream and the Prometheus text. */
export * from "./metrics.ts";
export * from "./server.ts";
