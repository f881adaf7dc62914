/* The agent's public surface: createAgent, the Agent and its events, its addresses and errors. */
export * from "./address.ts";
export * from "./agent.ts";
export * from "./errors.ts";
