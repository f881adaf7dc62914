import {describe, expect, it} from "vitest";
import {DecodeError, decodeTags, encodeTags, InvalidTagsError} from "../../../src/codec/index.ts";

const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("serf tags in meta", () => {
  it("encodes no tags as ff 80 (magic byte + empty fixmap)", () => {
    expect(toHex(encodeTags({}))).toBe("ff80");
  });

  it("encodes tags as raw strings with sorted keys", () => {
    // ff 82 a2 "dc" a3 "lab" a4 "role" a4 "seed"
    expect(toHex(encodeTags({role: "seed", dc: "lab"}))).toBe(
      `ff82a2${Buffer.from("dc").toString("hex")}a3${Buffer.from("lab").toString("hex")}a4${Buffer.from("role").toString("hex")}a4${Buffer.from("seed").toString("hex")}`,
    );
  });

  it("round-trips tags with unicode, long values and a __proto__ key", () => {
    const tags = {role: "wéb", long: "x".repeat(100), ["__proto__"]: "p", "": ""};
    const t = Object.fromEntries(Object.entries(tags));
    const back = decodeTags(encodeTags(t));
    expect(Object.entries(back).sort()).toEqual(Object.entries(t).sort());
  });

  it("reads legacy role-only meta, and empty meta as role=''", () => {
    expect(decodeTags(new TextEncoder().encode("web"))).toEqual({role: "web"});
    expect(decodeTags(new Uint8Array(0))).toEqual({role: ""});
  });

  it("accepts str8 and bin-free maps written by other encoders", () => {
    // ff 81 a1 'k' d9 20 <32 x 'v'>
    const meta = Uint8Array.from([0xff, 0x81, 0xa1, 0x6b, 0xd9, 32, ...new Array(32).fill(0x76)]);
    expect(decodeTags(meta)).toEqual({k: "v".repeat(32)});
  });

  it("refuses tags over 512 bytes with an error naming the limit", () => {
    expect(() => encodeTags({big: "x".repeat(600)})).toThrow(InvalidTagsError);
    expect(() => encodeTags({big: "x".repeat(600)})).toThrow(/512/);
    expect(encodeTags({big: "x".repeat(500)}).length).toBeLessThanOrEqual(512);
  });

  it("throws DecodeError for a malformed tag map", () => {
    expect(() => decodeTags(Uint8Array.from([0xff, 0x81, 0xa1]))).toThrow(DecodeError);
    expect(() => decodeTags(Uint8Array.from([0xff, 0x81, 0xc4, 0x01, 0x61, 0xa0]))).toThrow(DecodeError);
  });
});
