/*
 * Heartbeat reports shared through the cluster as memberlist user messages (the core's
 * `broadcast` input and `deliver` effect), so any agent can answer for any device.
 *
 *   payload = 0x4C 'L'  0x48 'H'  0x01 (version)  JSON {"r": reporter, "s": seq, "d": [[name, agoMs, meanMs, σMs], …]}
 *
 * The first byte 0x4C (76) is outside serf's message types (0–9), so a serf agent in the same
 * cluster logs "Received message of unknown type: 76" and drops it (docs/memberlist-wire.md §9.2); nothing breaks.
 * A Lifeline agent tells its own payloads by the first two bytes and ignores everything else.
 *
 * memberlist only lets the originator retransmit a broadcast (about retransmitMult·log10(n+1)
 * times), which does not reach every member of a larger cluster; so each agent relays a report
 * it sees for the first time, once (epidemic spread, as serf does for its user events). A
 * bounded cache of (reporter, seq) stops loops.
 *
 * Decoding treats the payload as hostile: wrong sizes, bad JSON, bad names or numbers throw
 * HeartbeatReportDecodeError, which the caller counts and drops.
 */
import {HEARTBEAT_NAME_BYTES_MAX, isValidDeviceName} from "./line.ts";
import type {HeartbeatReportEntry} from "./registry.ts";

/** First byte of every Lifeline user message: 'L'. */
export const LIFELINE_MESSAGE_MAGIC = 0x4c;
/** Second byte of a heartbeat report: 'H'. */
export const HEARTBEAT_REPORT_KIND = 0x48;
/** Third byte: the format version. */
export const HEARTBEAT_REPORT_VERSION = 1;
/** Largest report payload sent; it must ride in a gossip packet (maxPacketBytes 1400) with headers. */
export const HEARTBEAT_REPORT_BYTES_MAX = 1_000;
/** Largest report payload accepted. */
const REPORT_BYTES_ACCEPTED_MAX = 64 * 1024;
/** Entries accepted in one report. */
const ENTRIES_MAX = 512;
/** Largest number accepted in a report field (ms): about 11.5 days. */
const MS_MAX = 1e9;

const HEADER = [LIFELINE_MESSAGE_MAGIC, HEARTBEAT_REPORT_KIND, HEARTBEAT_REPORT_VERSION] as const;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", {fatal: true});

/** One decoded report message. */
export interface HeartbeatReport {
  /** The agent that heard the devices. */
  readonly reporter: string;
  /** The reporter's message counter (for de-duplication of relays). */
  readonly seq: number;
  readonly entries: readonly HeartbeatReportEntry[];
}

/** A payload that claims to be a heartbeat report but is malformed. Dropped and counted by the caller. */
export class HeartbeatReportDecodeError extends Error {
  static override name = "HeartbeatReportDecodeError";
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "HeartbeatReportDecodeError";
    this.code = code;
  }
}

/** Whether `payload` is a heartbeat report (by its first two bytes); says nothing about validity. */
export function isHeartbeatReport(payload: Uint8Array): boolean {
  return payload.length >= 2 && payload[0] === LIFELINE_MESSAGE_MAGIC && payload[1] === HEARTBEAT_REPORT_KIND;
}

function frame(body: string): Uint8Array {
  const json = encoder.encode(body);
  const out = new Uint8Array(HEADER.length + json.length);
  out.set(HEADER, 0);
  out.set(json, HEADER.length);
  return out;
}

/**
 * Encodes `entries` as one or more payloads of at most `maxBytes` bytes each; `nextSeq` is
 * called once per payload. An entry too large for any payload (impossible with valid names) is
 * skipped.
 */
export function encodeHeartbeatReports(
  reporter: string,
  entries: readonly HeartbeatReportEntry[],
  nextSeq: () => number,
  maxBytes = HEARTBEAT_REPORT_BYTES_MAX,
): Uint8Array[] {
  const payloads: Uint8Array[] = [];
  let batch: string[] = [];
  let batchBytes = 0;
  const prefix = (seq: number) => `{"r":${JSON.stringify(reporter)},"s":${seq},"d":[`;
  const overhead = HEADER.length + encoder.encode(prefix(2 ** 52)).length + 2;
  const flush = () => {
    if (batch.length === 0) return;
    payloads.push(frame(`${prefix(nextSeq())}${batch.join(",")}]}`));
    batch = [];
    batchBytes = 0;
  };
  for (const entry of entries) {
    const item = JSON.stringify([entry.name, entry.agoMs, entry.meanMs, entry.stdDeviationMs]);
    const itemBytes = encoder.encode(item).length + 1;
    if (overhead + itemBytes > maxBytes) continue;
    if (overhead + batchBytes + itemBytes > maxBytes) flush();
    batch.push(item);
    batchBytes += itemBytes;
  }
  flush();
  return payloads;
}

function isMs(value: unknown, min: number): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= min && value <= MS_MAX;
}

/** Decodes a heartbeat report. Throws HeartbeatReportDecodeError for anything malformed. */
export function decodeHeartbeatReport(payload: Uint8Array): HeartbeatReport {
  if (!isHeartbeatReport(payload)) throw new HeartbeatReportDecodeError("notReport", "not a heartbeat report");
  if (payload.length < 3 || payload[2] !== HEARTBEAT_REPORT_VERSION) {
    throw new HeartbeatReportDecodeError("version", `unsupported heartbeat report version ${payload[2]}`);
  }
  if (payload.length > REPORT_BYTES_ACCEPTED_MAX) {
    throw new HeartbeatReportDecodeError("tooLarge", `heartbeat report of ${payload.length} bytes`);
  }
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(payload.subarray(3)));
  } catch {
    throw new HeartbeatReportDecodeError("badJson", "heartbeat report body is not UTF-8 JSON");
  }
  if (typeof body !== "object" || body === null) throw new HeartbeatReportDecodeError("badBody", "not an object");
  const {r: reporter, s: seq, d: list} = body as {r?: unknown; s?: unknown; d?: unknown};
  if (typeof reporter !== "string" || reporter.length === 0 || reporter.length > 255) {
    throw new HeartbeatReportDecodeError("badReporter", "reporter must be a string of 1..255 characters");
  }
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) {
    throw new HeartbeatReportDecodeError("badSeq", "seq must be a safe integer ≥ 0");
  }
  if (!Array.isArray(list) || list.length > ENTRIES_MAX) {
    throw new HeartbeatReportDecodeError("badEntries", `entries must be an array of at most ${ENTRIES_MAX}`);
  }
  const entries: HeartbeatReportEntry[] = [];
  for (const item of list) {
    if (!Array.isArray(item) || item.length !== 4) {
      throw new HeartbeatReportDecodeError("badEntry", "an entry must be [name, agoMs, meanMs, stdDeviationMs]");
    }
    const [name, agoMs, meanMs, stdDeviationMs] = item as unknown[];
    if (!isValidDeviceName(name, HEARTBEAT_NAME_BYTES_MAX)) {
      throw new HeartbeatReportDecodeError("badName", "an entry has an invalid device name");
    }
    if (!isMs(agoMs, 0) || !isMs(meanMs, 0) || !isMs(stdDeviationMs, 1)) {
      throw new HeartbeatReportDecodeError("badNumber", `entry ${JSON.stringify(name)} has an out-of-range number`);
    }
    entries.push({name, agoMs, meanMs, stdDeviationMs});
  }
  return {reporter, seq, entries};
}
