/* The agent's public surface: createAgent, the Agent and its events, the CLI entry and helpers. */
export * from "./address.ts";
export * from "./agent.ts";
export * from "./bounds.ts";
export * from "./errors.ts";
export * from "./event-handler.ts";
export * from "./heartbeat-registry.ts";
export * from "./heartbeat-service.ts";
export * from "./http.ts";
export * from "./leader.ts";
export * from "./metrics.ts";
