/*
 * Serf's network coordinate in memberlist's ack payload (serf/ping_delegate.go): the payload a
 * serf node returns with every ack is
 *
 *   01 | msgpack Coordinate
 *   (serf PingVersion)
 *
 * where the Coordinate is go-msgpack's struct-as-map, keys in field order, every number a float64:
 *
 *   84  a3 "Vec" 9n [cb f64]…   a5 "Error" cb f64   aa "Adjustment" cb f64   a6 "Height" cb f64
 *
 * (an 8-dimensional coordinate is 130 bytes). Vec, Adjustment and Height are seconds. Decoding
 * accepts what go-msgpack accepts — keys in any order, unknown keys skipped, missing ones zero,
 * float32 or integer numbers, nil as zero or an empty vector, bytes after the map ignored (Go
 * reads one value and stops) — and then refuses non-finite numbers, which serf's client would
 * refuse anyway. The dimensionality is the coordinate client's business, not the codec's.
 */
import type {Coordinate} from "../coordinate/index.ts";
import {DecodeError, EncodeError} from "./errors.ts";
import {MsgpackReader} from "./msgpack-reader.ts";
import {arrayHeaderSize, assertFilled, FLOAT64_SIZE, keyBytes, MsgpackWriter} from "./msgpack-writer.ts";

/** serf's PingVersion: the first byte of the ack payload. */
export const COORDINATE_PING_VERSION = 1;

const KEY_VEC = keyBytes("Vec");
const KEY_ERROR = keyBytes("Error");
const KEY_ADJUSTMENT = keyBytes("Adjustment");
const KEY_HEIGHT = keyBytes("Height");
const FIXED_SIZE = 2 + KEY_VEC.length + KEY_ERROR.length + KEY_ADJUSTMENT.length + KEY_HEIGHT.length + 3 * FLOAT64_SIZE;

/** Bytes encodeCoordinatePayload produces for a coordinate of `dimensionality` dimensions. */
export function coordinatePayloadSize(dimensionality: number): number {
  return FIXED_SIZE + arrayHeaderSize(dimensionality) + dimensionality * FLOAT64_SIZE;
}

/** Encodes serf's ack payload for `c`. Throws EncodeError if a component is not a finite number. */
export function encodeCoordinatePayload(c: Coordinate): Uint8Array {
  c.vec.forEach((x, i) => {
    if (typeof x !== "number" || !Number.isFinite(x)) throw new EncodeError(`vec[${i}]`, "must be a finite number");
  });
  for (const field of ["error", "adjustment", "height"] as const) {
    if (typeof c[field] !== "number" || !Number.isFinite(c[field]))
      throw new EncodeError(field, "must be a finite number");
  }
  const out = new Uint8Array(coordinatePayloadSize(c.vec.length));
  const w = new MsgpackWriter(out);
  w.byte(COORDINATE_PING_VERSION);
  w.mapHeader(4);
  w.raw(KEY_VEC);
  w.arrayHeader(c.vec.length);
  for (const x of c.vec) w.float64(x);
  w.raw(KEY_ERROR);
  w.float64(c.error);
  w.raw(KEY_ADJUSTMENT);
  w.float64(c.adjustment);
  w.raw(KEY_HEIGHT);
  w.float64(c.height);
  assertFilled(w, "coordinate payload");
  return out;
}

function finite(v: number, field: string): number {
  if (!Number.isFinite(v)) throw new DecodeError("badField", `${field}: ${v} is not a finite number`);
  return v;
}

/**
 * Decodes serf's ack payload into a frozen Coordinate. Throws DecodeError: "truncated" for an
 * empty or cut-off payload, "unknownType" for a ping version other than 1, "badField" for a
 * value of the wrong type or a non-finite number. (Serf ignores an empty payload; callers that
 * want to do the same check the length first.)
 */
export function decodeCoordinatePayload(bytes: Uint8Array): Coordinate {
  if (bytes.length === 0) throw new DecodeError("truncated", "empty coordinate payload");
  const version = bytes[0] as number;
  if (version !== COORDINATE_PING_VERSION) {
    throw new DecodeError("unknownType", `unsupported ping version ${version} (expected ${COORDINATE_PING_VERSION})`);
  }
  const r = new MsgpackReader(bytes, 1);
  let vec: number[] = [];
  let error = 0;
  let adjustment = 0;
  let height = 0;
  if (!r.nil()) {
    const fields = r.mapHeader("Coordinate");
    for (let f = 0; f < fields; f++) {
      const key = r.key();
      switch (key) {
        case "Vec": {
          if (r.nil()) {
            vec = [];
            break;
          }
          const n = r.arrayHeader("Vec");
          // Every element takes at least one byte: a huge declared length fails here, not in an allocation.
          r.need(n);
          vec = new Array<number>(n);
          for (let i = 0; i < n; i++) vec[i] = finite(r.float64(`Vec[${i}]`), `Vec[${i}]`);
          break;
        }
        case "Error":
          error = finite(r.float64(key), key);
          break;
        case "Adjustment":
          adjustment = finite(r.float64(key), key);
          break;
        case "Height":
          height = finite(r.float64(key), key);
          break;
        default:
          r.skip();
      }
    }
  }
  return Object.freeze({vec: Object.freeze(vec), error, adjustment, height});
}
