/* Lifeline's public entry point. */
export * from "./core/index.ts";
