/*
 * The outgoing-stream table: which stream the node opened for what. The node asks the driver to
 * open a stream (a TCP ping fallback or a push-pull) with an id, and the driver later answers
 * that id with the reply or a failure; this table maps the id back to what the stream was for,
 * so a reply is matched to its probe or merged as push-pull state.
 *
 * Ids count up from 1 and wrap at Number.MAX_SAFE_INTEGER. When the table is full the oldest
 * record is forgotten; its reply, if it ever comes, is then dropped as an unknown stream.
 */
import type {Address} from "./messages.ts";

/** What an outgoing stream was opened for. */
export type OutgoingStream =
  | {readonly kind: "ping"; readonly seqNo: number}
  | {
      readonly kind: "pushPull";
      readonly join: boolean;
      readonly to: Address;
      /** 0: not part of a quiet join; 1: the join; k ≥ 2: its (k − 1)th catch-up. Merged without re-gossip when > 0. */
      readonly catchUp: number;
    };

/** A bounded table of open outgoing streams by id. */
export class OutgoingStreams {
  // BOUNDED: `max` records (oldest evicted; the driver answers or fails each within its timeout).
  private readonly byId = new Map<number, OutgoingStream>();
  private readonly max: number;
  private lastId = 0;

  constructor(max: number) {
    this.max = max;
  }

  get size(): number {
    return this.byId.size;
  }

  /** Records a new stream and returns its id, forgetting the oldest record when full. */
  open(record: OutgoingStream): number {
    if (this.byId.size >= this.max) this.byId.delete(this.byId.keys().next().value as number);
    this.lastId = this.lastId >= Number.MAX_SAFE_INTEGER ? 1 : this.lastId + 1;
    this.byId.set(this.lastId, record);
    return this.lastId;
  }

  /** The record of stream `id`, removed from the table; undefined for an unknown (or forgotten) id. */
  take(id: number): OutgoingStream | undefined {
    const record = this.byId.get(id);
    if (record !== undefined) this.byId.delete(id);
    return record;
  }
}
