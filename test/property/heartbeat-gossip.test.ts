import fc from "fast-check";
import {describe, expect, it} from "vitest";
import {
  decodeHeartbeatReport,
  encodeHeartbeatReports,
  HEARTBEAT_REPORT_BYTES_MAX,
  HeartbeatReportDecodeError,
  isHeartbeatReport,
} from "../../src/heartbeat/gossip.ts";

const entry = (name: string) => ({name, agoMs: 120, meanMs: 4000, stdDeviationMs: 100});

describe("heartbeat reports", () => {
  it("round-trips entries, split into payloads that fit a gossip packet", () => {
    const entries = Array.from({length: 100}, (_, i) => entry(`device-${i}-${"x".repeat(40)}`));
    let seq = 7;
    const payloads = encodeHeartbeatReports("agent-a", entries, () => seq++);
    expect(payloads.length).toBeGreaterThan(5);
    const decoded = payloads.map(decodeHeartbeatReport);
    expect(decoded.flatMap((r) => r.entries)).toEqual(entries);
    expect(decoded.map((r) => r.seq)).toEqual(decoded.map((_, i) => 7 + i));
    for (const payload of payloads) {
      expect(payload.length).toBeLessThanOrEqual(HEARTBEAT_REPORT_BYTES_MAX);
      expect(payload[0]).toBe(0x4c); // 'L': serf drops unknown types ≥ 10 with a warning
      expect(isHeartbeatReport(payload)).toBe(true);
    }
  });

  it("does not claim serf's user messages", () => {
    for (let type = 0; type <= 9; type++) expect(isHeartbeatReport(Uint8Array.of(type, 0x80))).toBe(false);
    expect(isHeartbeatReport(new Uint8Array())).toBe(false);
  });

  const bad: [string, string][] = [
    ["badJson", "{not json"],
    ["badBody", "42"],
    ["badReporter", '{"r":"","s":1,"d":[]}'],
    ["badSeq", '{"r":"a","s":-1,"d":[]}'],
    ["badEntries", '{"r":"a","s":1,"d":{}}'],
    ["badEntry", '{"r":"a","s":1,"d":[["x",1,2]]}'],
    ["badName", '{"r":"a","s":1,"d":[["a\\nb",1,2,3]]}'],
    ["badName", '{"r":"a","s":1,"d":[["\\ud800",1,2,3]]}'],
    ["badNumber", '{"r":"a","s":1,"d":[["x",-1,2,3]]}'],
    ["badNumber", '{"r":"a","s":1,"d":[["x",1,2,0]]}'],
    ["badNumber", '{"r":"a","s":1,"d":[["x",1,1e300,3]]}'],
  ];
  for (const [code, body] of bad) {
    it(`rejects ${body} with code ${code}`, () => {
      const payload = Uint8Array.from([0x4c, 0x48, 0x01, ...new TextEncoder().encode(body)]);
      try {
        decodeHeartbeatReport(payload);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(HeartbeatReportDecodeError);
        expect((error as HeartbeatReportDecodeError).code).toBe(code);
      }
    });
  }

  it("throws only HeartbeatReportDecodeError on arbitrary bytes after the header", () => {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 300}), fc.integer({min: 0, max: 3}), (tail, version) => {
        try {
          decodeHeartbeatReport(Uint8Array.from([0x4c, 0x48, version, ...tail]));
        } catch (error) {
          expect(error).toBeInstanceOf(HeartbeatReportDecodeError);
        }
      }),
      {seed: 0x4c48, numRuns: 500},
    );
  });
});
