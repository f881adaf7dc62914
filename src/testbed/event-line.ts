/*
 * The agent's stderr, read back: `lifeline agent` prints one line per member state change,
 *
 *   2026-12-03T08:40:01.123Z member up n3 198.18.0.4:7946 incarnation 0
 *   2026-12-03T08:40:09.456Z member failed n5 198.18.0.6:7946 incarnation 2
 *   2026-12-03T08:40:11.789Z refuted an accusation by n2 (incarnation 3)
 *
 * and this file turns such a line into the core's event type with the time it was logged, so the
 * simulator's views, metrics and safety checker can take it as they take a simulated notify.
 */
import type {MemberEvent, MemberState} from "../core/index.ts";

/** One parsed line: wall time (epoch ms) and what happened. */
export type AgentLine =
  | {
      readonly epochMs: number;
      readonly kind: "member";
      readonly type: MemberEvent["type"];
      readonly member: string;
      readonly state: MemberState;
      readonly incarnation: number;
    }
  | {readonly epochMs: number; readonly kind: "refuted"; readonly incarnation: number};

const MEMBER = /^(\S+) member (up|suspect|alive|failed|left|updated) (\S+) \S+ incarnation (\d+)/;
const REFUTED = /^(\S+) refuted an accusation by \S+ \(incarnation (\d+)\)/;

const TYPES: Readonly<Record<string, [MemberEvent["type"], MemberState]>> = {
  up: ["memberUp", "alive"],
  suspect: ["memberSuspect", "suspect"],
  alive: ["memberAlive", "alive"],
  failed: ["memberDown", "dead"],
  left: ["memberLeft", "left"],
  updated: ["memberUpdated", "alive"],
};

/** Parses one stderr line of `lifeline agent`; undefined for lines that are not events. */
export function parseAgentLine(line: string): AgentLine | undefined {
  const m = MEMBER.exec(line);
  if (m) {
    const epochMs = Date.parse(m[1] as string);
    const [type, state] = TYPES[m[2] as string] as [MemberEvent["type"], MemberState];
    if (Number.isNaN(epochMs)) return undefined;
    return {epochMs, kind: "member", type, member: m[3] as string, state, incarnation: Number(m[4])};
  }
  const r = REFUTED.exec(line);
  if (r) {
    const epochMs = Date.parse(r[1] as string);
    if (Number.isNaN(epochMs)) return undefined;
    return {epochMs, kind: "refuted", incarnation: Number(r[2])};
  }
  return undefined;
}
