/*
 * Serf's layer on top of memberlist, as far as Lifeline speaks it (docs/memberlist-wire.md §9): the tags serf keeps
 * in a member's metadata, and the leave intent that makes serf record a graceful leave as `left`.
 * Both are written with the codec's own msgpack writer, so the bytes are go-msgpack's forms (raw
 * str family, never str8; minimal uints) like everything else the codec sends.
 *
 * Tags (serf/serf.go `encodeTags`/`decodeTags`, docs/memberlist-wire.md §9.1), carried in memberlist's `alive.Meta`
 * and push-pull `Meta`:
 *
 *   0xFF | msgpack map[string]string   (keys and values as raw str, in any order)
 *
 * Anything else — empty meta, or a first byte other than 0xFF — is the legacy role-only form:
 * the whole meta is the `role` tag (so empty meta reads as `role=""`). Meta is at most 512 bytes
 * (memberlist's MetaMaxSize); serf panics on its own oversize tags, so encodeTags refuses them.
 * We write keys in sorted order (Go's map order is random; any order decodes the same).
 *
 * Leave intent (docs/memberlist-wire.md §9.2). Serf decides left-versus-failed at its own layer: when memberlist
 * reports a member gone, serf marks it `left` only if it first received a leave intent for it
 * (status `leaving`); otherwise `failed`. A serf agent's own `Leave` gossips the intent, waits for
 * it to be sent, then does memberlist's leave. Lifeline does the same: the agent queues the
 * intent as a user broadcast, gives it a gossip round or two, then leaves.
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
import {DecodeError} from "./errors.ts";
import {MsgpackReader} from "./msgpack-reader.ts";
import {MsgpackWriter, strSize} from "./msgpack-writer.ts";
import {encodeSerfMessage, SerfMessageType} from "./serf-messages.ts";
import {META_MAX_SIZE} from "./wire.ts";

/** serf's `tagMagicByte`. */
export const TAG_MAGIC_BYTE = 0xff;

/** Tags could not be encoded (too large, or not strings). Nothing was changed. */
export class InvalidTagsError extends Error {
  static override name = "InvalidTagsError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidTagsError";
  }
}

/**
 * Encodes tags as serf meta: `0xFF` + a msgpack map of raw strings, keys sorted. Throws
 * InvalidTagsError if a value is not a string or the result exceeds 512 bytes (MetaMaxSize).
 */
export function encodeTags(tags: Record<string, string>): Uint8Array {
  const entries = Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let size = 1 + (entries.length < 16 ? 1 : entries.length < 65536 ? 3 : 5);
  for (const [k, v] of entries) {
    if (typeof v !== "string") throw new InvalidTagsError(`tag ${JSON.stringify(k)} must be a string`);
    size += strSize(k) + strSize(v);
  }
  if (size > META_MAX_SIZE) {
    throw new InvalidTagsError(
      `encoded tags are ${size} bytes; the limit is ${META_MAX_SIZE} bytes (memberlist MetaMaxSize)`,
    );
  }
  const out = new Uint8Array(size);
  const w = new MsgpackWriter(out);
  w.byte(TAG_MAGIC_BYTE);
  w.mapHeader(entries.length);
  for (const [k, v] of entries) {
    w.str(k);
    w.str(v);
  }
  return out;
}

/**
 * Decodes serf meta into tags. Legacy meta (empty, or not starting with 0xFF) becomes
 * `{role: <meta as text>}`. Throws DecodeError for a malformed tag map.
 */
export function decodeTags(meta: Uint8Array): Record<string, string> {
  if (meta.length === 0 || meta[0] !== TAG_MAGIC_BYTE) {
    return {role: new TextDecoder().decode(meta)};
  }
  try {
    const r = new MsgpackReader(meta, 1, meta.length);
    const entries: [string, string][] = [];
    for (let n = r.mapHeader("tags"); n > 0; n--) {
      const k = r.string("tags key");
      entries.push([k, r.string(`tags[${JSON.stringify(k)}]`)]);
    }
    // fromEntries defines own properties, so a "__proto__" tag stays a tag.
    return Object.fromEntries(entries);
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError("badField", `unexpected tags decoder failure: ${String(e)}`, {cause: e});
  }
}

/** Bytes `encodeTags(tags)` would produce, without encoding. */
export function encodedTagsSize(tags: Record<string, string>): number {
  const entries = Object.entries(tags);
  let size = 1 + (entries.length < 16 ? 1 : entries.length < 65536 ? 3 : 5);
  for (const [k, v] of entries) size += strSize(k) + strSize(String(v));
  return size;
}

// ---------------------------------------------------------------- leave intent

/** Serf's message type byte for a leave intent (serf/messages.go messageLeaveType). */
export const SERF_LEAVE_INTENT_TYPE = SerfMessageType.leave;

const LTIME_EPOCH_MS = Date.UTC(2020, 0, 1);

/** The Lamport time Lifeline puts in a leave intent sent at wall-clock `nowMs`. */
export function serfLeaveLTime(nowMs: number = Date.now()): number {
  return Math.max(1, Math.floor((nowMs - LTIME_EPOCH_MS) / 1_000));
}

/**
 * The user-message payload (without memberlist's 0x08) of serf's leave intent for `node`:
 * messageLeave {LTime, Node, Prune: false} through the serf message encoder (serf-messages.ts).
 */
export function encodeSerfLeaveIntent(node: string, lTime: number = serfLeaveLTime()): Uint8Array {
  if (!Number.isInteger(lTime) || lTime < 1 || lTime > 0xffff_ffff) {
    throw new RangeError(`invalid lTime ${lTime}; must be an integer in 1..2^32-1`);
  }
  return encodeSerfMessage({type: "leave", lTime, node, prune: false});
}
