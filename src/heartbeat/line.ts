/*
 * The plain heartbeat wire format: a device's name followed by a newline.
 *
 *   TCP  one connection per beat ("web-cam-3\n", close) or one long connection with a line per beat
 *   UDP  one datagram per beat holding "web-cam-3\n" (the newline may be left out)
 *
 * Everything here treats the bytes as hostile: a line longer than `maxLineBytes` is skipped
 * up to the next newline and counted once (the buffer never grows past the limit); a line that
 * is not UTF-8 or holds control characters is dropped and counted; a trailing "\r" (telnet, nc
 * -C) and surrounding spaces are removed.
 */

/** Longest accepted device name, in UTF-8 bytes (the line limit is this + 2 for "\r\n"). */
export const HEARTBEAT_NAME_BYTES_MAX = 128;

/** Why a line was dropped. */
export type HeartbeatLineDrop = "tooLong" | "notUtf8" | "badName" | "empty";

const decoder = new TextDecoder("utf-8", {fatal: true});
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Half of a UTF-16 surrogate pair on its own: not encodable as UTF-8 (JSON can smuggle one in). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A device name from one line's bytes (without the "\n"), or why it was dropped. */
export function decodeHeartbeatName(
  line: Uint8Array,
  maxNameBytes = HEARTBEAT_NAME_BYTES_MAX,
): {readonly name: string} | {readonly drop: HeartbeatLineDrop} {
  let end = line.length;
  if (end > 0 && line[end - 1] === 0x0d) end--;
  if (end > maxNameBytes + 64) return {drop: "tooLong"}; // generous for surrounding spaces
  let text: string;
  try {
    text = decoder.decode(line.subarray(0, end));
  } catch {
    return {drop: "notUtf8"};
  }
  const name = text.trim();
  if (name.length === 0) return {drop: "empty"};
  if (Buffer.byteLength(name) > maxNameBytes) return {drop: "tooLong"};
  return isValidDeviceName(name, maxNameBytes) ? {name} : {drop: "badName"};
}

/** A device name is 1..maxNameBytes UTF-8 bytes, without control characters or edge spaces. */
export function isValidDeviceName(name: unknown, maxNameBytes = HEARTBEAT_NAME_BYTES_MAX): name is string {
  return (
    typeof name === "string" &&
    name.length > 0 &&
    name === name.trim() &&
    !CONTROL.test(name) &&
    Buffer.byteLength(name) <= maxNameBytes &&
    !LONE_SURROGATE.test(name)
  );
}

/** What `LineSplitter.push` yields: a complete line's bytes, or a marker for a skipped long line. */
export type SplitLine = Uint8Array | "tooLong";

/**
 * Splits a byte stream into "\n"-terminated lines.
 * BOUNDED: keeps at most `maxLineBytes` bytes of an unfinished line; a longer line is skipped
 * to its newline and reported once as "tooLong".
 */
export class LineSplitter {
  readonly maxLineBytes: number;
  private pending: Uint8Array[] = [];
  private pendingByteCount = 0;
  private skipping = false;

  constructor(maxLineBytes = HEARTBEAT_NAME_BYTES_MAX + 2) {
    this.maxLineBytes = maxLineBytes;
  }

  /** Bytes held for an unfinished line (for tests of the bound). */
  get pendingBytes(): number {
    return this.pendingByteCount;
  }

  /** Feeds a chunk; returns the lines it completed. */
  push(chunk: Uint8Array): SplitLine[] {
    const out: SplitLine[] = [];
    let from = 0;
    while (from < chunk.length) {
      const newline = chunk.indexOf(0x0a, from);
      const end = newline === -1 ? chunk.length : newline;
      const piece = chunk.subarray(from, end);
      if (!this.skipping) {
        if (this.pendingByteCount + piece.length > this.maxLineBytes) {
          this.skipping = true;
          this.pending = [];
          this.pendingByteCount = 0;
          out.push("tooLong");
        } else if (piece.length > 0) {
          this.pending.push(piece.slice());
          this.pendingByteCount += piece.length;
        }
      }
      if (newline === -1) break;
      if (!this.skipping) out.push(this.take());
      this.skipping = false;
      from = newline + 1;
    }
    return out;
  }

  /** Ends the stream: an unfinished line counts as a line (UDP datagrams need no "\n"). */
  end(): SplitLine[] {
    if (this.skipping) {
      this.skipping = false;
      return [];
    }
    return this.pendingByteCount > 0 ? [this.take()] : [];
  }

  private take(): Uint8Array {
    const line = this.pending.length === 1 ? (this.pending[0] as Uint8Array) : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingByteCount = 0;
    return line;
  }
}
