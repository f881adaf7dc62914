/* The agent's HTTP API: JSON routes, the server-sent event stream and the Prometheus text, over a narrow agent view. */
export * from "./agent-view.ts";
export * from "./server.ts";
