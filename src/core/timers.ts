/*
 * Timers are values. The core asks the driver to deliver a Timer after a delay (`setTimer`
 * effect); the driver hands it back as a `timer` input. Timers are never cancelled: each one
 * carries what it was set for (a probe's seqNo, a suspicion's node and incarnation, or a
 * generation token the node bumps on reset), and the handler re-checks that this still holds
 * when it fires, ignoring stale ones (foca's approach; memberlist's StateChange.Equal check).
 */

export type Timer =
  /** Start the next probe. `token` is the probe loop's generation (a restart of the loop bumps it). */
  | {readonly type: "probe"; readonly token: number}
  /** The direct ping of probe `seqNo` got no ack in time: ask others to ping (indirect probe). */
  | {readonly type: "probeTimeout"; readonly seqNo: number}
  /** The whole probe period of `seqNo` ended without an ack: suspect the target. */
  | {readonly type: "probeDeadline"; readonly seqNo: number}
  /** We ping `seqNo` for someone else (indirect probe); send them a nack if still unanswered. */
  | {readonly type: "indirectTimeout"; readonly seqNo: number}
  /** Declare `node` dead if still suspect at `incarnation` under suspicion generation `token`. */
  | {readonly type: "suspicionTimeout"; readonly node: string; readonly incarnation: number; readonly token: number}
  /** Send one gossip round. */
  | {readonly type: "gossip"; readonly token: number}
  /** Start one periodic push-pull. */
  | {readonly type: "pushPull"; readonly token: number}
  /** One push-pull with a random member a little after a quiet join (config.quietJoin). */
  | {readonly type: "catchUp"; readonly token: number; readonly round: number}
  /** Healing: re-contact one dead/left member or the seeds. */
  | {readonly type: "reconnect"; readonly token: number}
  /** The leave broadcast had its chance to spread; finish leaving. */
  | {readonly type: "leaveTimeout"; readonly token: number};

export type TimerType = Timer["type"];
