/*
 * Error classes of the core. Three kinds of failure, three treatments:
 * programmer bugs throw InvariantError via `assert`; API misuse (bad config, calling in the
 * wrong state) throws a typed error synchronously; bad network input never throws — it is
 * dropped and reported as a `dropped` effect.
 */

/** A broken internal invariant: a bug in Lifeline, never caused by network input. */
export class InvariantError extends Error {
  static override name = "InvariantError";
  constructor(message = "invariant violated", options?: ErrorOptions) {
    super(message, options);
    this.name = "InvariantError";
  }
}

/**
 * A configuration value broke a rule; nothing was changed. The one "invalid FIELD; RULE" error of
 * every layer (core, phi, ring, heartbeat, hooks, agent, simulator): inner layers throw it, outer
 * layers pass it on, re-labelled with `under`/`withField` rather than by taking the message apart.
 */
export class InvalidConfigError extends Error {
  static override name = "InvalidConfigError";
  /** Stable across releases; match on this rather than on the message. */
  readonly code = "ERR_INVALID_CONFIG";
  /** The offending field, in the thrower's naming: `probeIntervalMs`, `heartbeat.phi.threshold`, `bind`. */
  readonly field: string;
  /** What the value must be, e.g. `must be an integer ≥ 1`. */
  readonly rule: string;
  constructor(field: string, rule: string, options?: ErrorOptions) {
    super(`invalid ${field}; ${rule}`, options);
    this.name = "InvalidConfigError";
    this.field = field;
    this.rule = rule;
  }

  /** The same rule under another field name; this error becomes the cause. */
  withField(field: string): InvalidConfigError {
    return new InvalidConfigError(field, this.rule, {cause: this});
  }

  /** The same rule with `prefix.` in front of the field: `under("heartbeat")` turns `phi.threshold` into `heartbeat.phi.threshold`. */
  under(prefix: string): InvalidConfigError {
    return this.withField(`${prefix}.${this.field}`);
  }
}

/** The node was used in a way its state does not allow (e.g. `join` after `leave`). State is unchanged. */
export class InvalidStateError extends Error {
  static override name = "InvalidStateError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidStateError";
  }
}

/** Throws InvariantError when `cond` is false. For programmer bugs only. */
export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new InvariantError(message);
}

/** Exhaustiveness check for discriminated unions. */
export function assertNever(x: never): never {
  throw new InvariantError(`unexpected ${JSON.stringify(x)}`);
}
