/* The runtime's public surface: the driver that runs the core on real sockets and a real clock. */
export * from "./clock.ts";
export * from "./driver.ts";
export * from "./iso-time.ts";
export * from "./random-seed.ts";
export * from "./scheduler.ts";
export * from "./stats.ts";
export * from "./timer-host.ts";
