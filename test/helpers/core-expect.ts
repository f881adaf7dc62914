/*
 * Assertions over a list of effects, in the spirit of foca's test macros: expectSent,
 * expectTimer, expectNotified, rejectNotified, plus small finders that return what they found so
 * a test can feed it back (a timer, a sent message's seqNo).
 */
import {expect} from "vitest";
import type {Address, Effect, Message, Notification, StreamMessage, Timer} from "../../src/core/index.ts";
import {addrOf} from "./core-harness.ts";

type SendEffect = Extract<Effect, {type: "send"}>;
type StreamEffect = Extract<Effect, {type: "sendStream"}>;

export interface SentQuery<T extends Message["type"]> {
  /** The receiver's name (via addrOf) or address; omit (or toAny) for any receiver. */
  readonly to?: string | Address;
  readonly toAny?: boolean;
  readonly type: T;
  /** Extra predicate on the message. */
  readonly where?: (m: Extract<Message, {type: T}>) => boolean;
}

function addressOf(to: string | Address): Address {
  return typeof to === "string" ? addrOf(to) : to;
}

/** Every (send effect, message) pair matching the query. */
export function findSent<T extends Message["type"]>(
  effects: readonly Effect[],
  query: SentQuery<T>,
): {effect: SendEffect; message: Extract<Message, {type: T}>}[] {
  const out: {effect: SendEffect; message: Extract<Message, {type: T}>}[] = [];
  for (const e of effects) {
    if (e.type !== "send") continue;
    if (query.to !== undefined && !query.toAny) {
      const a = addressOf(query.to);
      if (e.to.host !== a.host || e.to.port !== a.port) continue;
    }
    for (const m of e.messages) {
      if (m.type !== query.type) continue;
      const typed = m as Extract<Message, {type: T}>;
      if (query.where && !query.where(typed)) continue;
      out.push({effect: e, message: typed});
    }
  }
  return out;
}

/** Asserts at least one matching message was sent; returns the first. */
export function expectSent<T extends Message["type"]>(
  effects: readonly Effect[],
  query: SentQuery<T>,
): Extract<Message, {type: T}> {
  const found = findSent(effects, query);
  expect(found.length, `expected a sent ${query.type}${query.to ? ` to ${String(query.to)}` : ""}`).toBeGreaterThan(0);
  return (found[0] as {message: Extract<Message, {type: T}>}).message;
}

/** Asserts nothing matching was sent. */
export function rejectSent<T extends Message["type"]>(effects: readonly Effect[], query: SentQuery<T>): void {
  expect(findSent(effects, query), `expected no sent ${query.type}`).toEqual([]);
}

/** Every setTimer effect for timers of `type`. */
export function findTimers<T extends Timer["type"]>(
  effects: readonly Effect[],
  type: T,
): {timer: Extract<Timer, {type: T}>; delayMs: number}[] {
  const out: {timer: Extract<Timer, {type: T}>; delayMs: number}[] = [];
  for (const e of effects) {
    if (e.type === "setTimer" && e.timer.type === type) {
      out.push({timer: e.timer as Extract<Timer, {type: T}>, delayMs: e.delayMs});
    }
  }
  return out;
}

/** Asserts a timer of `type` was set (with exactly `delayMs` when given); returns the last one. */
export function expectTimer<T extends Timer["type"]>(
  effects: readonly Effect[],
  type: T,
  delayMs?: number,
): Extract<Timer, {type: T}> {
  const found = findTimers(effects, type);
  expect(found.length, `expected a ${type} timer`).toBeGreaterThan(0);
  const last = found[found.length - 1] as {timer: Extract<Timer, {type: T}>; delayMs: number};
  if (delayMs !== undefined) expect(last.delayMs).toBe(delayMs);
  return last.timer;
}

export function rejectTimer(effects: readonly Effect[], type: Timer["type"]): void {
  expect(findTimers(effects, type), `expected no ${type} timer`).toEqual([]);
}

/** Notifications of `type` (optionally about member `name`). */
export function findNotified<T extends Notification["type"]>(
  effects: readonly Effect[],
  type: T,
  name?: string,
): Extract<Notification, {type: T}>[] {
  const out: Extract<Notification, {type: T}>[] = [];
  for (const e of effects) {
    if (e.type !== "notify" || e.event.type !== type) continue;
    const ev = e.event as Extract<Notification, {type: T}>;
    if (name !== undefined && (!("member" in ev) || ev.member.name !== name)) continue;
    out.push(ev);
  }
  return out;
}

/** Asserts a notification of `type` (about `name`) was emitted; returns it. */
export function expectNotified<T extends Notification["type"]>(
  effects: readonly Effect[],
  type: T,
  name?: string,
): Extract<Notification, {type: T}> {
  const found = findNotified(effects, type, name);
  expect(found.length, `expected notify ${type}${name ? ` about ${name}` : ""}`).toBeGreaterThan(0);
  return found[0] as Extract<Notification, {type: T}>;
}

export function rejectNotified(effects: readonly Effect[], type: Notification["type"], name?: string): void {
  expect(findNotified(effects, type, name), `expected no notify ${type}${name ? ` about ${name}` : ""}`).toEqual([]);
}

/** Dropped effects' reasons, in order. */
export function droppedReasons(effects: readonly Effect[]): string[] {
  return effects.filter((e) => e.type === "dropped").map((e) => (e as {reason: string}).reason);
}

/** sendStream effects whose message has `type`. */
export function findStreams(effects: readonly Effect[], type?: StreamMessage["type"], to?: string): StreamEffect[] {
  return effects.filter(
    (e): e is StreamEffect =>
      e.type === "sendStream" &&
      (type === undefined || e.message.type === type) &&
      (to === undefined || (e.to.host === addrOf(to).host && e.to.port === addrOf(to).port)),
  );
}
