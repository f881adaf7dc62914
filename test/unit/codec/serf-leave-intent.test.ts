import {describe, expect, it} from "vitest";
import {encodeSerfLeaveIntent, serfLeaveLTime} from "../../../src/codec/serf.ts";

describe("serf leave intent", () => {
  it("encodes serf's messageLeave as type byte 0 and a msgpack map {LTime, Node, Prune}", () => {
    // 00 | 83 a5 "LTime" 05 a4 "Node" a5 "ghost" a5 "Prune" c2  (accepted by serf 0.9.4: "messageLeaveType: ghost")
    const hex = Buffer.from(encodeSerfLeaveIntent("ghost", 5)).toString("hex");
    expect(hex).toBe("0083a54c54696d6505a44e6f6465a567686f7374a55072756e65c2");
  });

  it("writes a 32..255-byte node name as str16 (da), the form go-msgpack writes, never str8 (d9)", () => {
    const name = "n".repeat(40);
    const hex = Buffer.from(encodeSerfLeaveIntent(name, 300)).toString("hex");
    const nameHex = Buffer.from(name).toString("hex");
    expect(hex).toBe(`0083a54c54696d65cd012ca44e6f6465da0028${nameHex}a55072756e65c2`);
  });

  it("uses whole seconds since 2020 as the Lamport time, so a restarted agent's intent is newer", () => {
    expect(serfLeaveLTime(Date.UTC(2020, 0, 1))).toBe(1);
    expect(serfLeaveLTime(Date.UTC(2026, 0, 1))).toBe(189_388_800);
    expect(serfLeaveLTime(Date.UTC(2026, 0, 1, 0, 0, 2))).toBeGreaterThan(serfLeaveLTime(Date.UTC(2026, 0, 1)));
  });

  it("refuses a Lamport time that serf could not read as a uint32", () => {
    expect(() => encodeSerfLeaveIntent("n", 0)).toThrow(RangeError);
    expect(() => encodeSerfLeaveIntent("n", 2 ** 32)).toThrow(RangeError);
  });
});
