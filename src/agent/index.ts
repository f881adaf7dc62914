/* The agent's public surface: createAgent, the Agent, its options, events, addresses and errors. */
export * from "./address.ts";
export * from "./agent.ts";
export * from "./config.ts";
export * from "./errors.ts";
export * from "./events.ts";
export * from "./fault-gate.ts";
export * from "./join.ts";
export * from "./metrics.ts";
