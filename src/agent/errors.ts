/* Typed errors of the agent (libp2p's error-class form; tests assert on `name`). */

/** No seed answered a join. The member table is unchanged except for what partial merges added (none). */
export class JoinError extends Error {
  static override name = "JoinError";
  /** Why each address failed (resolution errors included). */
  readonly errors: readonly string[];
  /** Stable across releases. */
  readonly code = "ERR_JOIN_FAILED";
  constructor(message: string, errors: readonly string[], options?: ErrorOptions) {
    super(message, options);
    this.name = "JoinError";
    this.errors = errors;
  }
}

/** The agent was used in a state that does not allow it (join before start, after stop). State is unchanged. */
export class AgentStateError extends Error {
  static override name = "AgentStateError";
  /** Stable across releases. */
  readonly code = "ERR_AGENT_STATE";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AgentStateError";
  }
}
