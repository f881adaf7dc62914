/*
 * Error classes of the core. Three kinds of failure, three treatments (STYLE §E):
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

/** A configuration value broke a rule. The message names the field and the rule. Nothing was changed. */
export class InvalidConfigError extends Error {
  static override name = "InvalidConfigError";
  readonly field: string;
  constructor(field: string, rule: string, options?: ErrorOptions) {
    super(`invalid ${field}; ${rule}`, options);
    this.name = "InvalidConfigError";
    this.field = field;
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
