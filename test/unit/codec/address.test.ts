import {isIP} from "node:net";
import {describe, expect, it} from "vitest";
import {bytesToHost, hostToBytes, MappedAddresses} from "../../../src/codec/index.ts";

const toHex = (b: Uint8Array | undefined) => (b === undefined ? "none" : Buffer.from(b).toString("hex"));

describe("IP addresses between text and wire bytes", () => {
  it("encodes IPv4 as 4 bytes and IPv6 as 16", () => {
    expect(toHex(hostToBytes("10.0.0.1"))).toBe("0a000001");
    expect(toHex(hostToBytes("255.255.255.255"))).toBe("ffffffff");
    expect(toHex(hostToBytes("::1"))).toBe(`${"00".repeat(15)}01`);
    expect(toHex(hostToBytes("::"))).toBe("00".repeat(16));
    expect(toHex(hostToBytes("2001:db8::8:800:200c:417a"))).toBe("20010db8000000000008080020 0c417a".replace(" ", ""));
    expect(toHex(hostToBytes("fe80::1%eth0"))).toBe(`fe80${"00".repeat(13)}01`);
    expect(toHex(hostToBytes("::ffff:10.0.0.5"))).toBe(`${"00".repeat(10)}ffff0a000005`);
    expect(toHex(hostToBytes("1:2:3:4:5:6:7:8"))).toBe("00010002000300040005000600070008");
  });

  it("rejects anything that is not an IP literal", () => {
    for (const bad of [
      "",
      "localhost",
      "10.0.0",
      "10.0.0.256",
      "10.0.0.1.",
      "1.2.3.4.5",
      "1::2::3",
      ":::",
      "1:2:3:4:5:6:7:8:9",
      "12345::",
      "1:",
      ":1",
      "g::1",
      "1.2.3.04444",
    ]) {
      expect(hostToBytes(bad), bad).toBeUndefined();
    }
  });

  it("formats IPv6 per RFC 5952 and agrees with node:net on validity", () => {
    const cases: [string, string][] = [
      ["20010db8000000000000000000000001", "2001:db8::1"],
      ["20010db8000000010000000000000001", "2001:db8:0:1::1"],
      ["20010db8000000000001000000000001", "2001:db8::1:0:0:1"],
      ["00000000000000000000000000000000", "::"],
      ["fe800000000000000000000000000000", "fe80::"],
      ["20010db8000100010001000100010001", "2001:db8:1:1:1:1:1:1"],
    ];
    for (const [bytes, text] of cases) {
      const host = bytesToHost(Uint8Array.from(Buffer.from(bytes, "hex")));
      expect(host).toBe(text);
      expect(isIP(host ?? "")).toBe(6);
      expect(toHex(hostToBytes(text))).toBe(bytes);
    }
  });

  it("maps ::ffff:a.b.c.d to IPv4 text and remembers the 16-byte form for that host and port", () => {
    const mapped = new MappedAddresses();
    const wire = Uint8Array.from(Buffer.from(`${"00".repeat(10)}ffff0a010203`, "hex"));
    expect(toHex(hostToBytes("10.1.2.3", 7946, mapped))).toBe("0a010203");
    expect(bytesToHost(wire, 7946, mapped)).toBe("10.1.2.3");
    expect(toHex(hostToBytes("10.1.2.3", 7946, mapped))).toBe(`${"00".repeat(10)}ffff0a010203`);
    // Another port on the same host (e.g. our own agent next to a serf bound to 0.0.0.0) keeps 4 bytes.
    expect(toHex(hostToBytes("10.1.2.3", 7947, mapped))).toBe("0a010203");
    expect(toHex(hostToBytes("10.1.2.4", 7946, mapped))).toBe("0a010204");
    // The memory is its owner's: without it (or with another one) the address stays 4 bytes.
    expect(toHex(hostToBytes("10.1.2.3", 7946))).toBe("0a010203");
    expect(toHex(hostToBytes("10.1.2.3", 7946, new MappedAddresses()))).toBe("0a010203");
  });

  it("returns undefined for byte strings that are not 4 or 16 long", () => {
    expect(bytesToHost(new Uint8Array(0))).toBeUndefined();
    expect(bytesToHost(new Uint8Array(6))).toBeUndefined();
  });
});
