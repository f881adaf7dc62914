/* Plain heartbeats from devices too small for an agent: line format, listener, registry (phi accrual), cluster reports, the service. */
export * from "./registry.ts";
export * from "./service.ts";
