/*
 * The HTTP routes for serf's layer: user events, queries and cluster-wide key rotation.
 *
 *   POST /v1/event   {name, payload?, payloadBase64?, coalesce?}  → {name, lTime}
 *   POST /v1/query   {name, payload?, payloadBase64?, nodes?, tags?, timeoutMs?, requestAck?, relayFactor?}
 *                    → 200, application/x-ndjson, one line per answer as it arrives, then a summary:
 *                      {"type":"ack","from":N}
 *                      {"type":"response","from":N,"payload":TEXT,"payloadBase64":B64}
 *                      {"type":"done","name":Q,"lTime":T,"members":M,"acks":A,"responses":R}
 *   GET  /v1/keys                               → the cluster's keys: how many members hold each
 *   POST /v1/keys/install|use|remove  {key}     → {numNodes, numResponses, numErrors, messages, …}
 *
 * A payload is text (UTF-8) in `payload` or bytes in `payloadBase64`, never both. Everything is
 * checked before anything is sent; a refused request gets 400 naming the field.
 */
import type {IncomingMessage, ServerResponse} from "node:http";
import type {HttpAgentView, KeyOperationView, QueryRequest} from "./agent-view.ts";
import {asHttpError, HttpError, readJson, sendJson} from "./http-basics.ts";

const KEY_OPERATIONS = ["install", "use", "remove"] as const;

/** Serves `path` if it is one of serf's routes; false when it is not. */
export async function serfRoute(
  agent: HttpAgentView,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  allow: (methods: string) => void,
): Promise<boolean> {
  switch (path) {
    case "/v1/event": {
      allow("POST");
      const body = (await readJson(req)) as Record<string, unknown>;
      const name = requireName(body);
      const payload = readPayload(body);
      const coalesce = optionalBoolean(body, "coalesce") ?? true;
      const sent = agentCall(() => agent.event(name, payload, {coalesce}));
      sendJson(res, 200, {name, lTime: sent.lTime, coalesce});
      return true;
    }
    case "/v1/query": {
      allow("POST");
      const body = (await readJson(req)) as Record<string, unknown>;
      const name = requireName(body);
      const payload = readPayload(body);
      const request = readQueryRequest(body);
      const query = agentCall(() => agent.query(name, payload, request));
      await streamQuery(query, req, res);
      return true;
    }
    case "/v1/keys":
      allow("GET");
      sendJson(res, 200, await keyCall(() => agent.keys.list()));
      return true;
    default: {
      const op = /^\/v1\/keys\/([a-z]+)$/.exec(path)?.[1];
      if (op === undefined) return false;
      if (!(KEY_OPERATIONS as readonly string[]).includes(op))
        throw new HttpError(404, `no route ${path}; key operations are ${KEY_OPERATIONS.join(", ")}`);
      allow("POST");
      const body = (await readJson(req)) as Record<string, unknown>;
      const key = body.key;
      if (typeof key !== "string" || key === "")
        throw new HttpError(400, "invalid key; must be a base64 key of 16, 24 or 32 bytes", "key");
      const keys = agent.keys;
      const run = op === "install" ? keys.install : op === "use" ? keys.use : keys.remove;
      sendJson(res, 200, await keyCall(() => run(key)));
      return true;
    }
  }
}

/** Writes each answer as an NDJSON line as it arrives, then the summary; stops early if the client goes. */
async function streamQuery(
  query: ReturnType<HttpAgentView["query"]>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  res.writeHead(200, {"content-type": "application/x-ndjson", "cache-control": "no-cache"});
  let gone = false;
  req.on("close", () => {
    gone = true;
  });
  let acks = 0;
  let responses = 0;
  for await (const answer of query) {
    if (gone) break;
    if (answer.type === "ack") {
      acks++;
      res.write(`${JSON.stringify({type: "ack", from: answer.from})}\n`);
    } else {
      responses++;
      const bytes = Buffer.from(answer.payload.buffer, answer.payload.byteOffset, answer.payload.byteLength);
      res.write(
        `${JSON.stringify({type: "response", from: answer.from, payload: bytes.toString("utf8"), payloadBase64: bytes.toString("base64")})}\n`,
      );
    }
  }
  res.end(
    `${JSON.stringify({type: "done", name: query.name, lTime: query.lTime, members: query.members, acks, responses})}\n`,
  );
}

function requireName(body: Record<string, unknown>): string {
  const name = body.name;
  if (typeof name !== "string" || name === "")
    throw new HttpError(400, "invalid name; must be a non-empty string", "name");
  return name;
}

/** The payload from `payload` (text) or `payloadBase64` (bytes); empty when neither. */
function readPayload(body: Record<string, unknown>): Uint8Array {
  const text = body.payload;
  const base64 = body.payloadBase64;
  if (text !== undefined && base64 !== undefined)
    throw new HttpError(400, "invalid payload; give payload (text) or payloadBase64 (bytes), not both", "payload");
  if (text !== undefined) {
    if (typeof text !== "string") throw new HttpError(400, "invalid payload; must be a string (UTF-8 text)", "payload");
    return new TextEncoder().encode(text);
  }
  if (base64 !== undefined) {
    if (typeof base64 !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0)
      throw new HttpError(400, "invalid payloadBase64; must be standard base64 text", "payloadBase64");
    return new Uint8Array(Buffer.from(base64, "base64"));
  }
  return new Uint8Array(0);
}

function optionalBoolean(body: Record<string, unknown>, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") throw new HttpError(400, `invalid ${field}; must be true or false`, field);
  return value;
}

function readQueryRequest(body: Record<string, unknown>): QueryRequest {
  const {nodes, tags, timeoutMs, relayFactor} = body;
  if (nodes !== undefined && (!Array.isArray(nodes) || !nodes.every((n) => typeof n === "string" && n !== "")))
    throw new HttpError(400, "invalid nodes; must be an array of node names", "nodes");
  if (
    tags !== undefined &&
    (typeof tags !== "object" ||
      tags === null ||
      Array.isArray(tags) ||
      !Object.values(tags).every((v) => typeof v === "string"))
  )
    throw new HttpError(
      400,
      'invalid tags; must be an object of tag name to regular expression, e.g. {"role": "^web"}',
      "tags",
    );
  if (timeoutMs !== undefined && (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs <= 0))
    throw new HttpError(400, "invalid timeoutMs; must be a positive number of milliseconds", "timeoutMs");
  if (relayFactor !== undefined && typeof relayFactor !== "number")
    throw new HttpError(400, "invalid relayFactor; must be an integer between 0 and 5", "relayFactor");
  return {
    nodes: nodes as string[] | undefined,
    tags: tags as Record<string, string> | undefined,
    timeoutMs: timeoutMs as number | undefined,
    requestAck: optionalBoolean(body, "requestAck"),
    relayFactor: relayFactor as number | undefined,
  };
}

/** Runs an agent call; an error with a known `code` becomes that HTTP status, naming its field. */
function agentCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw asHttpError(error);
  }
}

async function keyCall(fn: () => Promise<KeyOperationView>): Promise<KeyOperationView> {
  try {
    return await fn();
  } catch (error) {
    throw asHttpError(error);
  }
}
