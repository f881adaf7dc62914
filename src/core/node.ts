/*
 * SwimNode: the protocol as a pure state machine. STUB — being implemented (see issue 2).
 */
import type {SwimConfig} from "./config.ts";
import type {MemberView} from "./events.ts";
import type {Effect, Input} from "./io.ts";
import type {Address, Message, Vsn} from "./messages.ts";
import type {Random} from "./random.ts";

/** Who this node is. */
export interface LocalMemberInit {
  readonly name: string;
  /** The address others reach us at (advertise address). */
  readonly addr: Address;
  readonly meta?: Uint8Array;
  readonly vsn?: Vsn;
  /** Starting incarnation, ≥ 1 (serf ignores 0). Default 1. */
  readonly incarnation?: number;
}

/** Injected collaborators. */
export interface SwimNodeComponents {
  readonly random: Random;
  /** Encoded size of a message in bytes (the codec's `encodedSize`); a conservative estimate by default. */
  readonly sizeOf?: (message: Message) => number;
}

export class SwimNode {
  constructor(config: SwimConfig, self: LocalMemberInit, components: SwimNodeComponents) {
    void config;
    void self;
    void components;
  }
  handle(nowMs: number, input: Input): Effect[] {
    void nowMs;
    void input;
    return [];
  }
  members(): MemberView[] {
    return [];
  }
}
