import {describe, expect, it} from "vitest";
import {hostFamily, normalizeHost} from "../../../src/transport/index.ts";

describe("transport addresses", () => {
  it("maps IPv4-mapped IPv6 peers back to IPv4 and leaves others alone", () => {
    expect(normalizeHost("::ffff:10.0.0.1")).toBe("10.0.0.1");
    expect(normalizeHost("::FFFF:127.0.0.1")).toBe("127.0.0.1");
    expect(normalizeHost("::1")).toBe("::1");
    expect(normalizeHost("192.168.1.1")).toBe("192.168.1.1");
  });

  it("tells IPv6 literals from IPv4", () => {
    expect(hostFamily("::")).toBe(6);
    expect(hostFamily("0.0.0.0")).toBe(4);
  });
});
