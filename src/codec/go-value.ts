/*
 * A small tree of Go-typed values and its encoder, for the serf messages (serf-messages.ts) whose
 * shapes are too many and too nested to write by hand like memberlist's structs. Each node says
 * which Go type it stands for, so the bytes are exactly go-msgpack's (docs/memberlist-wire.md §4.2):
 * minimal uints, raw-family strings and byte slices, nil for a nil slice, structs as maps with
 * their keys in byte order of the field name, float64 as 0xcb.
 *
 *   size pass (exact)  ─▶  one allocation  ─▶  write pass with MsgpackWriter
 */
import {EncodeError} from "./errors.ts";
import {
  allocOutput,
  arrayHeaderSize,
  assertFilled,
  FLOAT64_SIZE,
  MsgpackWriter,
  rawHeaderSize,
  strSize,
  uintSize,
} from "./msgpack-writer.ts";

/** A Go value: uint, int, string, []byte (null = nil), bool, float64, slice, struct, map[string]T. */
export type GoValue =
  | {readonly uint: number}
  | {readonly int: number}
  | {readonly str: string}
  | {readonly bytes: Uint8Array | null}
  | {readonly bool: boolean}
  | {readonly float: number}
  | {readonly slice: readonly GoValue[] | null}
  | {readonly struct: Readonly<Record<string, GoValue>>}
  | {readonly map: readonly (readonly [string, GoValue])[]}
  | {readonly nil: true};

/** Shorthands for building trees. */
export const go = {
  uint: (v: number): GoValue => ({uint: v}),
  int: (v: number): GoValue => ({int: v}),
  str: (v: string): GoValue => ({str: v}),
  bytes: (v: Uint8Array | null): GoValue => ({bytes: v}),
  bool: (v: boolean): GoValue => ({bool: v}),
  float: (v: number): GoValue => ({float: v}),
  slice: (v: readonly GoValue[] | null): GoValue => ({slice: v}),
  struct: (v: Readonly<Record<string, GoValue>>): GoValue => ({struct: v}),
  map: (v: readonly (readonly [string, GoValue])[]): GoValue => ({map: v}),
  nil: {nil: true} as GoValue,
};

function intSize(v: number): number {
  if (v >= 0) return uintSize(v);
  if (v >= -32) return 1;
  if (v >= -128) return 2;
  if (v >= -32768) return 3;
  if (v >= -2147483648) return 5;
  return 9;
}

function checkInteger(v: number, what: string): void {
  if (!Number.isSafeInteger(v)) throw new EncodeError(what, `${v} is not a safe integer`);
}

function sortedFields(struct: Readonly<Record<string, GoValue>>): string[] {
  // Field names are ASCII identifiers, so UTF-16 order is byte order.
  return Object.keys(struct).sort();
}

/** Exact encoded size of `value`. */
export function goValueSize(value: GoValue): number {
  if ("uint" in value) {
    checkInteger(value.uint, "uint");
    if (value.uint < 0) throw new EncodeError("uint", `${value.uint} is negative`);
    return uintSize(value.uint);
  }
  if ("int" in value) {
    checkInteger(value.int, "int");
    return intSize(value.int);
  }
  if ("str" in value) return strSize(value.str);
  if ("bytes" in value) return value.bytes === null ? 1 : rawHeaderSize(value.bytes.length) + value.bytes.length;
  if ("bool" in value || "nil" in value) return 1;
  if ("float" in value) return FLOAT64_SIZE;
  if ("slice" in value) {
    if (value.slice === null) return 1;
    let size = arrayHeaderSize(value.slice.length);
    for (const item of value.slice) size += goValueSize(item);
    return size;
  }
  if ("struct" in value) {
    const names = sortedFields(value.struct);
    let size = arrayHeaderSize(names.length);
    for (const name of names) size += strSize(name) + goValueSize(value.struct[name] as GoValue);
    return size;
  }
  let size = arrayHeaderSize(value.map.length);
  for (const [key, item] of value.map) size += strSize(key) + goValueSize(item);
  return size;
}

function writeInt(w: MsgpackWriter, v: number): void {
  if (v >= 0) {
    w.uint(v);
    return;
  }
  const view = new DataView(w.buf.buffer, w.buf.byteOffset, w.buf.byteLength);
  if (v >= -32) {
    w.byte(v & 0xff);
  } else if (v >= -128) {
    w.byte(0xd0);
    view.setInt8(w.pos++, v);
  } else if (v >= -32768) {
    w.byte(0xd1);
    view.setInt16(w.pos, v);
    w.pos += 2;
  } else if (v >= -2147483648) {
    w.byte(0xd2);
    view.setInt32(w.pos, v);
    w.pos += 4;
  } else {
    w.byte(0xd3);
    view.setBigInt64(w.pos, BigInt(v));
    w.pos += 8;
  }
}

/** Writes `value` at the writer's position. */
export function writeGoValue(w: MsgpackWriter, value: GoValue): void {
  if ("uint" in value) w.uint(value.uint);
  else if ("int" in value) writeInt(w, value.int);
  else if ("str" in value) w.str(value.str);
  else if ("bytes" in value) {
    if (value.bytes === null) w.byte(0xc0);
    else w.rawBytes(value.bytes);
  } else if ("bool" in value) w.bool(value.bool);
  else if ("nil" in value) w.byte(0xc0);
  else if ("float" in value) w.float64(value.float);
  else if ("slice" in value) {
    if (value.slice === null) {
      w.byte(0xc0);
      return;
    }
    w.arrayHeader(value.slice.length);
    for (const item of value.slice) writeGoValue(w, item);
  } else if ("struct" in value) {
    const names = sortedFields(value.struct);
    w.mapHeader(names.length);
    for (const name of names) {
      w.str(name);
      writeGoValue(w, value.struct[name] as GoValue);
    }
  } else {
    w.mapHeader(value.map.length);
    for (const [key, item] of value.map) {
      w.str(key);
      writeGoValue(w, item);
    }
  }
}

/** `prefix` bytes (type bytes), then `value`, in one exact allocation. */
export function encodeGoValue(prefix: readonly number[], value: GoValue, what: string): Uint8Array {
  const out = allocOutput(prefix.length + goValueSize(value));
  const w = new MsgpackWriter(out);
  for (const b of prefix) w.byte(b);
  writeGoValue(w, value);
  assertFilled(w, what);
  return out;
}
