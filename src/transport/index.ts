/* The transport's public surface: UDP + TCP on one port, bytes and timestamps only. */
export * from "./address.ts";
export * from "./errors.ts";
export * from "./stream.ts";
export * from "./transport.ts";
export * from "./types.ts";
