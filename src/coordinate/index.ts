/* Vivaldi network coordinates as serf computes them (pure: RTTs and randomness are passed in). */
export * from "./client.ts";
export * from "./config.ts";
export * from "./coordinate.ts";
