/* Phi accrual failure detection for plain heartbeats (pure: time is passed in). */
export * from "./phi-accrual.ts";
