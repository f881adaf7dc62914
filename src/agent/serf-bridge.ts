/*
 * Connects serf's layer (src/serf) to a running agent: the layer sends through the driver
 * (gossip broadcasts and direct datagrams), keeps its state in every push-pull, reads the member
 * list, and answers queries — internal `_serf_*` ones itself (keys through the driver's keyring,
 * persisted to the keyring file), user ones through the handlers registered with onQuery and the
 * agent's `query` event. What it hears it hands back through callbacks the agent turns into events.
 */
import type {Keyring} from "../codec/index.ts";
import type {Address} from "../core/index.ts";
import type {Driver} from "../runtime/index.ts";
import {
  answerInternalQuery,
  type IncomingQuery,
  KeyManager,
  type KeyringAccess,
  SerfLayer,
  type SerfLimits,
  type SerfMember,
  type UserEvent,
} from "../serf/index.ts";
import {saveKeyringFile} from "./keyring-file.ts";

/** What a query handler returns: the response payload (text is UTF-8), or nothing for no response. */
export type QueryHandlerResult = Uint8Array | string | undefined;

/** Answers one query by name. */
// biome-ignore lint/suspicious/noConfusingVoidType: a handler that sends no response may simply not return.
export type QueryHandler = (query: IncomingQuery) => QueryHandlerResult | Promise<QueryHandlerResult> | void;

export interface SerfBridgeInit {
  readonly name: string;
  readonly driver: Driver;
  readonly self: () => Address;
  readonly members: () => readonly SerfMember[];
  readonly isMember: (name: string) => boolean;
  readonly tags: () => Readonly<Record<string, string>>;
  readonly gossipIntervalMs: number;
  readonly limits: Partial<SerfLimits>;
  readonly keyring: Keyring | undefined;
  readonly keyringFile: string | undefined;
  readonly onUserEvent: (event: UserEvent) => void;
  readonly onQuery: (query: IncomingQuery) => void;
  readonly log: (line: string) => void;
}

export class SerfBridge {
  readonly layer: SerfLayer;
  readonly keys: KeyManager;
  // BOUNDED: one entry per query name the application registered.
  private readonly handlers = new Map<string, QueryHandler>();
  private keyring: Keyring | undefined;
  private readonly init: SerfBridgeInit;

  constructor(init: SerfBridgeInit) {
    this.init = init;
    this.keyring = init.keyring;
    const members = init.members;
    this.layer = new SerfLayer(
      {
        name: init.name,
        self: init.self,
        members,
        isMember: init.isMember,
        tags: init.tags,
        broadcast: (payload) => init.driver.broadcast(payload),
        sendTo: (to, payload) => init.driver.sendUser(to, payload),
        now: () => performance.now(),
        setTimer: (fn, ms) => {
          const timer = setTimeout(fn, ms);
          return () => clearTimeout(timer);
        },
        random: Math.random,
        gossipIntervalMs: init.gossipIntervalMs,
      },
      {
        onUserEvent: init.onUserEvent,
        onQuery: (query) => this.answer(query),
        onInternalQuery: (query) => {
          answerInternalQuery(query, {
            selfName: init.name,
            keys: this.keyringAccess(),
            members,
            responseSizeLimit: this.layer.limits.queryResponseSizeLimit,
            log: init.log,
          });
        },
        onDropped: (reason, detail) => init.log(`serf message dropped (${reason}): ${detail}`),
      },
      init.limits,
    );
    this.keys = new KeyManager(this.layer);
  }

  /** The keyring in use now (undefined without encryption). */
  get currentKeyring(): Keyring | undefined {
    return this.keyring;
  }

  /** Registers the responder for queries named `name` (one per name); returns the unregister function. */
  onQuery(name: string, handler: QueryHandler): () => void {
    this.handlers.set(name, handler);
    return () => {
      if (this.handlers.get(name) === handler) this.handlers.delete(name);
    };
  }

  /** Closes open queries (and so their timers). */
  close(): void {
    this.layer.close();
  }

  private answer(query: IncomingQuery): void {
    this.init.onQuery(query);
    const handler = this.handlers.get(query.name);
    if (handler === undefined) return;
    const respond = (result: QueryHandlerResult): void => {
      if (result === undefined) return;
      try {
        query.respond(typeof result === "string" ? new TextEncoder().encode(result) : result);
      } catch (error) {
        this.init.log(`query ${query.name}: ${(error as Error).message}`);
      }
    };
    try {
      const result = handler(query);
      if (result instanceof Promise) {
        result.then(respond, (error: unknown) => this.init.log(`query handler ${query.name} failed: ${String(error)}`));
      } else {
        respond(result ?? undefined);
      }
    } catch (error) {
      this.init.log(`query handler ${query.name} threw: ${String(error)}`);
    }
  }

  private keyringAccess(): KeyringAccess {
    return {
      get: () => this.keyring,
      set: (keyring) => {
        if (this.init.keyringFile !== undefined) saveKeyringFile(this.init.keyringFile, keyring);
        this.init.driver.setKeyring(keyring);
        this.keyring = keyring;
      },
    };
  }
}
