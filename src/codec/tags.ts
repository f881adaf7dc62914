/*
 * Serf's node metadata format (serf/serf.go `encodeTags`/`decodeTags`, spec §9.1), carried in
 * memberlist's `alive.Meta` and push-pull `Meta`:
 *
 *   0xFF | msgpack map[string]string   (keys and values as raw str, in any order)
 *
 * Anything else — empty meta, or a first byte other than 0xFF — is the legacy role-only form:
 * the whole meta is the `role` tag (so empty meta reads as `role=""`). Meta is at most 512 bytes
 * (memberlist's MetaMaxSize); serf panics on its own oversize tags, so encodeTags refuses them.
 * We write keys in sorted order (Go's map order is random; any order decodes the same).
 */
import {DecodeError} from "./errors.ts";
import {MsgpackReader} from "./msgpack-reader.ts";
import {MsgpackWriter, strSize} from "./msgpack-writer.ts";
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
