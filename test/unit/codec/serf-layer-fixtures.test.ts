/*
 * Golden bytes of serf's own layer (serf/messages.go) from three real Debian serf agents, captured
 * by `scripts/capture-fixtures.sh serf-layer` (test/fixtures/serf/README.md): every serf message
 * type 0–9 appears, and each re-encodes to serf's exact bytes — the messages gossiped in user
 * messages, the push/pull user state of the joins, the key requests inside `_serf_*-key` queries,
 * and the key and conflict responses inside query responses.
 */
import {readFileSync} from "node:fs";
import {describe, expect, it} from "vitest";
import {
  decodePacket,
  decodeSerfConflictResponse,
  decodeSerfKeyRequest,
  decodeSerfKeyResponse,
  decodeSerfMessage,
  decodeStream,
  encodeSerfConflictResponse,
  encodeSerfKeyRequest,
  encodeSerfKeyResponse,
  encodeSerfMessage,
  Keyring,
  type SerfMessage,
} from "../../../src/codec/index.ts";

interface Fixture {
  udp: {t: number; src: string; dst: string; hex: string}[];
  tcp: {t: number; client: string; server: string; request: string; response: string}[];
}

/** The test-only keys of the capture: traffic starts under KEY and moves to KEY2. */
const KEY = "KbLAEHxSxvrwf9Gx5kVRakFyITTZ1qHaTgNQh7Ms1aA=";
const KEY2 = "3Hu2yI0sIv0yPbBo2b8CRyMDTzi0jv1Qu5pIjwz8n0o=";

const fixture = JSON.parse(
  readFileSync(new URL("../../fixtures/serf/serf-layer.json", import.meta.url), "utf8"),
) as Fixture;
const fromHex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const keyring = Keyring.fromBase64([KEY, KEY2]);

/** Every serf payload seen: user messages from datagrams and streams, and push/pull user states. */
const payloads: Uint8Array[] = [];
for (const d of fixture.udp) {
  for (const m of decodePacket(fromHex(d.hex), {keyring})) if (m.type === "user") payloads.push(m.payload);
}
for (const c of fixture.tcp) {
  for (const side of [c.request, c.response]) {
    if (side === "") continue;
    const message = decodeStream(fromHex(side), {keyring})?.message;
    if (message?.type === "pushPull" && message.userState.length > 0) payloads.push(message.userState);
    if (message?.type === "user") payloads.push(message.payload);
  }
}
const decoded: {bytes: Uint8Array; message: SerfMessage}[] = payloads
  .filter((p) => p.length > 0 && (p[0] as number) <= 9)
  .map((bytes) => ({bytes, message: decodeSerfMessage(bytes)}));

describe("serf fixture: serf-layer", () => {
  it("holds every serf message type, from leave intents to relays", () => {
    const types = new Set(decoded.map((d) => d.message.type));
    expect([...types].sort()).toEqual(
      ["join", "leave", "pushPull", "query", "queryResponse", "relay", "userEvent"].sort(),
    );
    const queries = decoded.flatMap((d) => (d.message.type === "query" ? [d.message.name] : []));
    for (const name of [
      "uptime",
      "_serf_install-key",
      "_serf_use-key",
      "_serf_list-keys",
      "_serf_remove-key",
      "_serf_conflict",
    ])
      expect(queries, name).toContain(name);
  });

  it("re-encodes every serf message to serf's exact bytes", () => {
    expect(decoded.length).toBeGreaterThan(50);
    for (const {bytes, message} of decoded) expect(toHex(encodeSerfMessage(message)), message.type).toBe(toHex(bytes));
  });

  it("re-encodes the key requests, key responses and conflict responses inside queries", () => {
    let requests = 0;
    let keyResponses = 0;
    let conflictResponses = 0;
    for (const {message} of decoded) {
      if (message.type === "query" && /^_serf_(install|use|remove)-key$/.test(message.name)) {
        expect(toHex(encodeSerfKeyRequest(decodeSerfKeyRequest(message.payload)))).toBe(toHex(message.payload));
        requests++;
      }
      const inner = message.type === "relay" ? decodeSerfMessage(message.inner) : message;
      if (inner.type !== "queryResponse" || inner.payload.length === 0) continue;
      if (inner.payload[0] === 8) {
        expect(toHex(encodeSerfKeyResponse(decodeSerfKeyResponse(inner.payload)))).toBe(toHex(inner.payload));
        keyResponses++;
      } else if (inner.payload[0] === 6) {
        const member = decodeSerfConflictResponse(inner.payload);
        expect(member?.name).toBe("s3");
        expect(toHex(encodeSerfConflictResponse(member))).toBe(toHex(inner.payload));
        conflictResponses++;
      }
    }
    expect(requests).toBeGreaterThanOrEqual(3);
    expect(keyResponses).toBeGreaterThanOrEqual(4);
    expect(conflictResponses).toBeGreaterThanOrEqual(1);
  });

  it("carries the coalesce flag and the payloads serf was given", () => {
    const events = decoded.flatMap((d) => (d.message.type === "userEvent" ? [d.message] : []));
    const deploy = events.find((e) => e.name === "deploy");
    const restart = events.find((e) => e.name === "restart");
    expect(deploy && {cc: deploy.cc, payload: new TextDecoder().decode(deploy.payload)}).toEqual({
      cc: true,
      payload: "v1",
    });
    expect(restart && {cc: restart.cc, payload: new TextDecoder().decode(restart.payload)}).toEqual({
      cc: false,
      payload: "now please",
    });
  });
});
