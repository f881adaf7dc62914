/*
 * Tunables of the Vivaldi coordinate client, with serf's defaults (serf/coordinate/config.go).
 *
 * Times at this API are milliseconds (`…Ms`); the client converts them once to seconds, the unit
 * serf computes in and puts on the wire, so a Lifeline coordinate and a serf coordinate are the
 * same numbers. The dimensionless factors are serf's unchanged.
 */
import {InvalidConfigError} from "../core/index.ts";

/** Tunables of one coordinate client. */
export interface CoordinateConfig {
  /** Euclidean dimensions of a coordinate (plus the height). serf: 8. Integer ≥ 1; peers must agree. */
  readonly dimensionality: number;
  /** Error of a node that has observed nothing, and the cap on the error. serf: 1.5. > 0. */
  readonly vivaldiErrorMax: number;
  /** How far one observation may move the error estimate (Vivaldi c_e). serf: 0.25. In (0, 1]. */
  readonly vivaldiCE: number;
  /** How far one observation may move the coordinate (Vivaldi c_c). serf: 0.25. In (0, 1]. */
  readonly vivaldiCC: number;
  /** Samples averaged into the adjustment term; 0 turns the adjustment off. serf: 20. Integer ≥ 0. */
  readonly adjustmentWindowSize: number;
  /** Smallest height, in ms. serf: 10e-6 s = 0.01 ms. > 0. */
  readonly heightMinMs: number;
  /** RTT samples kept per peer for the moving median. serf: 3. Integer ≥ 1. */
  readonly latencyFilterSize: number;
  /** Distance scale of the pull back toward the origin, in ms. serf: 150 s = 150 000 ms. > 0. */
  readonly gravityRhoMs: number;
}

/** serf's DefaultConfig, in this API's units. */
export const COORDINATE_DEFAULTS: CoordinateConfig = Object.freeze({
  dimensionality: 8,
  vivaldiErrorMax: 1.5,
  vivaldiCE: 0.25,
  vivaldiCC: 0.25,
  adjustmentWindowSize: 20,
  heightMinMs: 10e-6 * 1000,
  latencyFilterSize: 3,
  gravityRhoMs: 150 * 1000,
});

/** Largest RTT an update accepts, in ms (serf rejects anything above 10 s). */
export const MAX_RTT_MS = 10_000;

/** Merges `init` over the defaults, validates and freezes. Throws InvalidConfigError. */
export function resolveCoordinateConfig(init: Partial<CoordinateConfig> = {}): CoordinateConfig {
  const config: CoordinateConfig = {...COORDINATE_DEFAULTS, ...init};
  const integer = (field: keyof CoordinateConfig, min: number): void => {
    const value = config[field];
    if (!Number.isInteger(value) || value < min) {
      throw new InvalidConfigError(field, `must be an integer ≥ ${min} (got ${value})`);
    }
  };
  const positive = (field: keyof CoordinateConfig, max = Number.POSITIVE_INFINITY): void => {
    const value = config[field];
    if (!Number.isFinite(value) || value <= 0 || value > max) {
      const range = max === Number.POSITIVE_INFINITY ? "> 0" : `in (0, ${max}]`;
      throw new InvalidConfigError(field, `must be a finite number ${range} (got ${value})`);
    }
  };
  integer("dimensionality", 1);
  integer("adjustmentWindowSize", 0);
  integer("latencyFilterSize", 1);
  positive("vivaldiErrorMax");
  positive("vivaldiCE", 1);
  positive("vivaldiCC", 1);
  positive("heightMinMs");
  positive("gravityRhoMs");
  return Object.freeze(config);
}
