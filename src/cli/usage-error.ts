/*
 * The one usage error of the command line (every command, the simulator's included): a bad flag,
 * an unknown flag or command, a missing argument. The CLI prints its message on one line after
 * `lifeline COMMAND:` and exits 2.
 */

/** Bad command-line usage; `flag` is set when one flag is to blame. */
export class UsageError extends Error {
  static override name = "UsageError";
  /** Stable across releases; match on this rather than on the message. */
  readonly code = "ERR_USAGE";
  /** The flag to blame, with its dashes (`--probe-interval-ms`), when there is one. */
  readonly flag: string | undefined;
  constructor(message: string, options?: ErrorOptions & {readonly flag?: string}) {
    super(message, options);
    this.name = "UsageError";
    this.flag = options?.flag;
  }

  /** `invalid FLAG; RULE`, the same shape as InvalidConfigError's message. */
  static invalid(flag: string, rule: string, options?: ErrorOptions): UsageError {
    return new UsageError(`invalid ${flag}; ${rule}`, {...options, flag});
  }
}
