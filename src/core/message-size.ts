/*
 * A conservative estimate of a message's encoded size, used for the packet byte budget when the
 * driver does not inject the codec's exact `encodedSize`. It follows the msgpack layout the
 * codec writes (type byte, a map with memberlist's Go field names as keys, str-family bytes,
 * uint32 numbers at their widest) and never under-estimates: every string is counted as
 * UTF-8, every address as 16 bytes, every number as 5 bytes.
 */
import type {Message} from "./messages.ts";

function strSize(byteLength: number): number {
  return byteLength + (byteLength < 32 ? 1 : byteLength < 256 ? 2 : byteLength < 65_536 ? 3 : 5);
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
  }
  return n;
}

/** A key of `k` ASCII characters plus its value of `v` bytes. */
function field(k: number, v: number): number {
  return strSize(k) + v;
}

const UINT = 5;
const ADDR = 17;
const PORT = 3;

/** Upper bound on `encodeMessage(m).length`. */
export function estimateMessageSize(m: Message): number {
  const head = 2; // type byte + fixmap header
  switch (m.type) {
    case "ping":
      return (
        head +
        field(4, strSize(utf8Length(m.node))) +
        field(5, UINT) +
        field(10, ADDR) +
        field(10, strSize(utf8Length(m.sourceNode ?? ""))) +
        field(10, PORT)
      );
    case "indirectPing":
      return (
        head +
        field(4, 1) +
        field(4, strSize(utf8Length(m.node))) +
        field(4, PORT) +
        field(5, UINT) +
        field(10, ADDR) +
        field(10, strSize(utf8Length(m.sourceNode ?? ""))) +
        field(10, PORT) +
        field(6, ADDR)
      );
    case "ack":
      return head + field(7, strSize(m.payload.length)) + field(5, UINT);
    case "nack":
      return head + field(5, UINT);
    case "suspect":
    case "dead":
      return head + field(4, strSize(utf8Length(m.from))) + field(11, UINT) + field(4, strSize(utf8Length(m.node)));
    case "alive":
      return (
        head +
        field(4, ADDR) +
        field(11, UINT) +
        field(4, strSize(m.meta.length)) +
        field(4, strSize(utf8Length(m.node))) +
        field(4, PORT) +
        field(3, 7)
      );
    case "user":
      return 1 + m.payload.length;
  }
}
