import {describe, expect, it} from "vitest";
import {parseAgentLine} from "../../../src/testbed/index.ts";

describe("parseAgentLine", () => {
  const rows = [
    {
      title: "a first sight is memberUp, alive",
      line: "2026-12-03T08:40:01.123Z member up n3 198.18.0.4:7946 incarnation 0",
      want: {kind: "member", type: "memberUp", member: "n3", state: "alive", incarnation: 0},
    },
    {
      title: "a suspicion is memberSuspect",
      line: "2026-12-03T08:40:01.123Z member suspect n3 198.18.0.4:7946 incarnation 2",
      want: {kind: "member", type: "memberSuspect", member: "n3", state: "suspect", incarnation: 2},
    },
    {
      title: "a refuted suspicion is memberAlive",
      line: "2026-12-03T08:40:01.123Z member alive n3 198.18.0.4:7946 incarnation 3 (suspicion refuted)",
      want: {kind: "member", type: "memberAlive", member: "n3", state: "alive", incarnation: 3},
    },
    {
      title: "a failure is memberDown, dead",
      line: "2026-12-03T08:40:01.123Z member failed n5 [fd00:198:18::6]:7946 incarnation 1",
      want: {kind: "member", type: "memberDown", member: "n5", state: "dead", incarnation: 1},
    },
    {
      title: "a leave is memberLeft",
      line: "2026-12-03T08:40:01.123Z member left n5 198.18.0.6:7946 incarnation 1",
      want: {kind: "member", type: "memberLeft", member: "n5", state: "left", incarnation: 1},
    },
    {
      title: "an own refutation carries the new incarnation",
      line: "2026-12-03T08:40:01.123Z refuted an accusation by n2 (incarnation 4)",
      want: {kind: "refuted", incarnation: 4},
    },
  ];
  for (const row of rows) {
    it(row.title, () => {
      expect(parseAgentLine(row.line)).toEqual({epochMs: Date.parse("2026-12-03T08:40:01.123Z"), ...row.want});
    });
  }

  it("ignores every other line", () => {
    expect(parseAgentLine("2026-12-03T08:40:01.123Z agent n0 listening on 198.18.0.1:7946")).toBeUndefined();
    expect(parseAgentLine("joined (1 seed(s) answered)")).toBeUndefined();
    expect(parseAgentLine("not-a-date member up n3 198.18.0.4:7946 incarnation 0")).toBeUndefined();
  });
});
