/*
 * Serf's internal queries (serf/internal_query.go, serf/keymanager.go), both sides:
 *
 *   answering   _serf_ping          nothing beyond the ack
 *               _serf_conflict      [6][serf.Member] for the name asked about (nil if unknown)
 *               _serf_install-key   [7][{Key}] ─▶ install ─▶ [8][{Result, Message, Keys, PrimaryKey}]
 *               _serf_use-key       likewise, make primary
 *               _serf_remove-key    likewise, remove (never the primary)
 *               _serf_list-keys     every key in base64 and the primary (truncated to fit a response)
 *   asking      KeyManager.install/use/remove/list ─▶ one query to every member ─▶ a summary
 *
 * The keyring itself lives in the agent (the driver encrypts with it); this file reads and
 * replaces it through KeyringAccess.
 */
import {
  decodeSerfKeyRequest,
  decodeSerfKeyResponse,
  encodeSerfConflictResponse,
  encodeSerfKeyRequest,
  encodeSerfKeyResponse,
  hostToBytes,
  InvalidKeyError,
  Keyring,
  keyringEdits,
  type SerfKeyResponse,
} from "../codec/index.ts";
import {InvalidConfigError} from "../core/index.ts";
import type {IncomingQuery, QueryOptions, SerfLayer, SerfMember} from "./serf-layer.ts";

/** How internal queries read and replace the agent's keyring. */
export interface KeyringAccess {
  /** Undefined when encryption is off. */
  get(): Keyring | undefined;
  /** Installs the new keyring (and persists it); throws when it cannot be saved. */
  set(keyring: Keyring): void;
}

/** serf's minEncodedKeyLength: the shortest base64 key, used to bound the list-keys response. */
const MIN_ENCODED_KEY_LENGTH = 25;

/** Answers `_serf_*` queries. Returns false for a name it does not know. */
export function answerInternalQuery(
  query: IncomingQuery,
  context: {
    /** Our node name. */
    readonly selfName: string;
    readonly keys: KeyringAccess;
    readonly members: () => readonly SerfMember[];
    readonly responseSizeLimit: number;
    readonly log: (line: string) => void;
  },
): boolean {
  const name = query.name.slice("_serf_".length);
  switch (name) {
    case "ping":
      return true;
    case "conflict": {
      const asked = new TextDecoder().decode(query.payload);
      // A vote about our own name is not ours to answer (we are one of the claimants).
      if (asked === context.selfName) return true;
      const member = context.members().find((m) => m.name === asked);
      const addr = member ? hostToBytes(member.host) : undefined;
      respondQuietly(
        query,
        encodeSerfConflictResponse(
          member && addr
            ? {
                name: member.name,
                addr,
                port: member.port,
                tags: member.tags,
                status: member.state === "alive" || member.state === "suspect" ? 1 : member.state === "left" ? 3 : 4,
                protocol: [1, 5, 2],
                delegate: [2, 5, 4],
              }
            : undefined,
        ),
        context.log,
      );
      return true;
    }
    case "install-key":
    case "use-key":
    case "remove-key":
      respondQuietly(
        query,
        encodeSerfKeyResponse(editKeyring(name, query.payload, context.keys, context.log)),
        context.log,
      );
      return true;
    case "list-keys":
      respondQuietly(query, listKeysResponse(context.keys.get(), context.responseSizeLimit), context.log);
      return true;
    default:
      context.log(`unhandled internal query ${query.name}`);
      return false;
  }
}

function editKeyring(
  op: "install-key" | "use-key" | "remove-key",
  payload: Uint8Array,
  keys: KeyringAccess,
  log: (line: string) => void,
): SerfKeyResponse {
  const fail = (message: string): SerfKeyResponse => {
    log(`${op} refused: ${message}`);
    return {result: false, message, keys: [], primaryKey: ""};
  };
  let key: Uint8Array;
  try {
    key = decodeSerfKeyRequest(payload);
  } catch (error) {
    return fail(`bad key request: ${(error as Error).message}`);
  }
  const current = keys.get();
  if (current === undefined) return fail("No keyring to modify (encryption not enabled)");
  try {
    const next =
      op === "install-key"
        ? keyringEdits.install(current, key)
        : op === "use-key"
          ? keyringEdits.use(current, key)
          : keyringEdits.remove(current, key);
    if (next !== current) keys.set(next);
  } catch (error) {
    return fail(
      error instanceof InvalidKeyError ? error.message.replace(/^invalid key #\d+: /, "") : (error as Error).message,
    );
  }
  log(`${op} done`);
  return {result: true, message: "", keys: [], primaryKey: ""};
}

function listKeysResponse(keyring: Keyring | undefined, responseSizeLimit: number): Uint8Array {
  if (keyring === undefined) {
    return encodeSerfKeyResponse({
      result: false,
      message: "Keyring is empty (encryption not enabled)",
      keys: [],
      primaryKey: "",
    });
  }
  const all = keyring.toBase64();
  const primaryKey = all[0] as string;
  // Leave room for the query response around the payload (its LTime, ID, From, Flags): 100 bytes.
  for (let n = Math.min(all.length, Math.floor(responseSizeLimit / MIN_ENCODED_KEY_LENGTH)); n >= 0; n--) {
    const message = n < all.length ? `truncated key list response, showing first ${n} of ${all.length} keys` : "";
    const bytes = encodeSerfKeyResponse({result: true, message, keys: all.slice(0, n), primaryKey});
    if (bytes.length + 100 <= responseSizeLimit) return bytes;
  }
  return encodeSerfKeyResponse({
    result: false,
    message: "key list does not fit in a response",
    keys: [],
    primaryKey: "",
  });
}

function respondQuietly(query: IncomingQuery, payload: Uint8Array, log: (line: string) => void): void {
  try {
    query.respond(payload);
  } catch (error) {
    log(`could not answer ${query.name}: ${(error as Error).message}`);
  }
}

/** What a cluster-wide key operation found (serf's KeyResponse). */
export interface KeyOperationResult {
  /** Members when the query was sent. */
  readonly numNodes: number;
  readonly numResponses: number;
  readonly numErrors: number;
  /** Error messages by member. */
  readonly messages: Readonly<Record<string, string>>;
  /** For list: how many members hold each key (base64). */
  readonly keys: Readonly<Record<string, number>>;
  /** For list: how many members use each key as primary. */
  readonly primaryKeys: Readonly<Record<string, number>>;
}

/** Drives key rotation across the cluster with internal queries (serf's KeyManager). */
export class KeyManager {
  private readonly serf: SerfLayer;

  constructor(serf: SerfLayer) {
    this.serf = serf;
  }

  install(keyBase64: string, options?: QueryOptions): Promise<KeyOperationResult> {
    return this.run("install-key", keyBase64, options);
  }

  use(keyBase64: string, options?: QueryOptions): Promise<KeyOperationResult> {
    return this.run("use-key", keyBase64, options);
  }

  remove(keyBase64: string, options?: QueryOptions): Promise<KeyOperationResult> {
    return this.run("remove-key", keyBase64, options);
  }

  list(options?: QueryOptions): Promise<KeyOperationResult> {
    return this.run("list-keys", undefined, options);
  }

  private async run(
    op: string,
    keyBase64: string | undefined,
    options: QueryOptions = {},
  ): Promise<KeyOperationResult> {
    let payload: Uint8Array = new Uint8Array(0);
    if (keyBase64 !== undefined) {
      let key: Uint8Array;
      try {
        key = Keyring.fromBase64([keyBase64]).primary;
      } catch (error) {
        throw new InvalidConfigError("key", (error as Error).message.replace(/^invalid key #\d+: /, ""));
      }
      payload = encodeSerfKeyRequest(key);
    }
    const outcome = await this.serf.query(`_serf_${op}`, payload, {...options, requestAck: false}).result();
    const messages: Record<string, string> = {};
    const keys: Record<string, number> = {};
    const primaryKeys: Record<string, number> = {};
    let numErrors = 0;
    for (const {from, payload: body} of outcome.responses) {
      let response: SerfKeyResponse;
      try {
        response = decodeSerfKeyResponse(body);
      } catch (error) {
        numErrors++;
        messages[from] = `invalid key query response: ${(error as Error).message}`;
        continue;
      }
      if (response.message !== "") messages[from] = response.message;
      if (!response.result) {
        numErrors++;
        continue;
      }
      for (const key of response.keys) keys[key] = (keys[key] ?? 0) + 1;
      if (response.primaryKey !== "") primaryKeys[response.primaryKey] = (primaryKeys[response.primaryKey] ?? 0) + 1;
    }
    return {numNodes: outcome.members, numResponses: outcome.responses.length, numErrors, messages, keys, primaryKeys};
  }
}
