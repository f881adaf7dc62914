/*
 * Serf's leave intent, so that serf agents record a graceful Lifeline leave as `left`, not
 * `failed` (spec §9.2). Serf decides left-versus-failed at its own layer: when memberlist reports
 * a member gone, serf marks it `left` only if it first received a leave intent for it (status
 * `leaving`); otherwise `failed`. A serf agent's own `Leave` gossips the intent, waits for it to
 * be sent, then does memberlist's leave. Lifeline does the same: the agent queues the intent as a
 * user broadcast, gives it a gossip round or two, then leaves.
 *
 *   user message on the wire:   08 | 00 | msgpack {LTime: uint, Node: str, Prune: bool}
 *                              (memberlist userMsg) (serf messageLeaveType)
 *
 * Serf ignores an intent whose LTime is not greater than the Lamport time it recorded for the
 * member. For a member that never sent serf intents that is 0, but after a leave and a rejoin
 * under the same name it is the previous intent's LTime. Lifeline keeps no serf clock across
 * restarts, so it uses whole seconds since 2020-01-01 UTC: increasing across restarts, far below
 * uint32, and harmless to serf (its clock only witnesses the value).
 */
import {encode} from "@msgpack/msgpack";

/** Serf's message type byte for a leave intent (serf/messages.go messageLeaveType). */
export const SERF_LEAVE_INTENT_TYPE = 0;

const LTIME_EPOCH_MS = Date.UTC(2020, 0, 1);

/** The Lamport time Lifeline puts in a leave intent sent at wall-clock `nowMs`. */
export function serfLeaveLTime(nowMs: number = Date.now()): number {
  return Math.max(1, Math.floor((nowMs - LTIME_EPOCH_MS) / 1_000));
}

/** The user-message payload (without memberlist's 0x08) of serf's leave intent for `node`. */
export function encodeSerfLeaveIntent(node: string, lTime: number = serfLeaveLTime()): Uint8Array {
  if (!Number.isInteger(lTime) || lTime < 1 || lTime > 0xffff_ffff) {
    throw new RangeError(`invalid lTime ${lTime}; must be an integer in 1..2^32-1`);
  }
  const body = encode({LTime: lTime, Node: node, Prune: false});
  const payload = new Uint8Array(body.length + 1);
  payload[0] = SERF_LEAVE_INTENT_TYPE;
  payload.set(body, 1);
  return payload;
}
