/*
 * The agent's HTTP API (plain node:http, loopback by default):
 *
 *   GET  /v1/members   JSON array of {name, addr, port, state, incarnation, tags}
 *   GET  /v1/health    {status, name, incarnation, awarenessScore, members: {alive, suspect, dead, left}}
 *   POST /v1/join      {"addrs": ["HOST:PORT", ...]} → {"joined": n}   (502 when none answered)
 *   POST /v1/leave     leave gracefully → {"left": true}
 *   GET  /v1/events    Server-Sent Events: one `event: member:up|suspect|alive|down|updated` per change,
 *                      and `event: heartbeat:up|down` ({type, device, time}) for plain-heartbeat devices
 *   GET  /metrics      Prometheus text format
 *   GET  /v1/ring?key=K[&n=N]   {key, position, owner, owners} (n distinct owners, default 1);
 *                      without key: {members, vnodes, ownership}
 *   GET  /v1/leader[?key=K][&tag=k=v]...   {key, tags, leader}  (leader null when no candidate)
 *   GET  /v1/heartbeats    JSON array of plain-heartbeat devices {name, state, phi, lastBeatAgoMs, addr, sources, …}
 *
 * Bad requests get 400 with {"error": "...", "field": "..."} naming the field.
 */
import {createServer, type IncomingMessage, type ServerResponse} from "node:http";
import type {AddressInfo, Socket} from "node:net";
import createDebug from "debug";
import type {HostPort} from "../agent/address.ts";
import type {Agent, AgentEvents, AgentMember} from "../agent/agent.ts";
import {AgentStateError, JoinError} from "../agent/errors.ts";
import {type Address, InvalidConfigError} from "../core/index.ts";
import type {DeviceView} from "../heartbeat/registry.ts";
import {DEFAULT_LEADER_KEY} from "../ring/leader.ts";
import {renderMetrics} from "./metrics.ts";

const log = createDebug("lifeline:http");

/** Largest request body accepted. */
const BODY_BYTES_MAX = 64 * 1024;
/** Concurrent /v1/events subscribers. */
const SUBSCRIBERS_MAX = 64;
/** A comment line on every event stream this often, so idle proxies and clients keep it open. */
const KEEPALIVE_MS = 15_000;

/** A running HTTP API. */
export interface HttpApi {
  readonly address: Address;
  close(): Promise<void>;
}

class HttpError extends Error {
  readonly status: number;
  readonly field: string | undefined;
  constructor(status: number, message: string, field?: string) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

const MEMBER_EVENTS = ["member:up", "member:suspect", "member:alive", "member:updated", "member:down"] as const;

/** Serves the HTTP API for `agent` on `at`. Throws when the address cannot be bound. */
export async function startHttpApi(agent: Agent, at: HostPort): Promise<HttpApi> {
  // BOUNDED: at most SUBSCRIBERS_MAX event-stream responses.
  const subscribers = new Set<ServerResponse>();
  // BOUNDED: one per open connection (Node's server caps them by the OS limits).
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    route(agent, req, res, subscribers).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const body: Record<string, string> = {error: error instanceof Error ? error.message : String(error)};
      if (error instanceof HttpError && error.field) body.field = error.field;
      if (status === 500) log("internal error on %s %s: %O", req.method, req.url, error);
      if (!res.headersSent) sendJson(res, status, body);
      else res.end();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const listeners: {event: keyof AgentEvents; fn: (...args: never[]) => void}[] = [];
  for (const event of MEMBER_EVENTS) {
    const fn = (member: AgentMember, reason?: "failed" | "left"): void => {
      const data = JSON.stringify({type: event, member, ...(reason ? {reason} : {}), time: new Date().toISOString()});
      for (const res of subscribers) res.write(`event: ${event}\ndata: ${data}\n\n`);
    };
    agent.on(event as "member:down", fn);
    listeners.push({event, fn});
  }
  for (const event of ["heartbeat:up", "heartbeat:down"] as const) {
    const fn = (device: DeviceView): void => {
      const data = JSON.stringify({type: event, device, time: new Date().toISOString()});
      for (const res of subscribers) res.write(`event: ${event}\ndata: ${data}\n\n`);
    };
    agent.on(event, fn);
    listeners.push({event, fn: fn as (...args: never[]) => void});
  }
  const keepalive = setInterval(() => {
    for (const res of subscribers) res.write(": keepalive\n\n");
  }, KEEPALIVE_MS);
  keepalive.unref();
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      clearInterval(keepalive);
      reject(error);
    };
    server.once("error", onError);
    server.listen({host: at.host, port: at.port}, () => {
      server.off("error", onError);
      server.on("error", (error) => log("HTTP server error: %O", error));
      resolve();
    });
  });
  const info = server.address() as AddressInfo;
  const address = {host: info.address, port: info.port};
  log("HTTP API on %s:%d", info.address, info.port);
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(keepalive);
        for (const {event, fn} of listeners) agent.off(event as "member:down", fn as never);
        for (const res of subscribers) res.end();
        subscribers.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

async function route(
  agent: Agent,
  req: IncomingMessage,
  res: ServerResponse,
  subscribers: Set<ServerResponse>,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const path = url.pathname;
  const method = req.method ?? "GET";
  const allow = (methods: string): void => {
    if (!methods.split(",").includes(method))
      throw new HttpError(405, `${method} not allowed on ${path}; use ${methods}`);
  };
  switch (path) {
    case "/v1/members":
      allow("GET");
      sendJson(res, 200, agent.members());
      return;
    case "/v1/health": {
      allow("GET");
      const counts: Record<string, number> = {alive: 0, suspect: 0, dead: 0, left: 0};
      for (const member of agent.members()) counts[member.state] = (counts[member.state] ?? 0) + 1;
      const running = agent.state === "running";
      sendJson(res, running ? 200 : 503, {
        status: running ? "ok" : agent.state,
        name: agent.name,
        incarnation: agent.node.incarnation,
        awarenessScore: agent.node.awarenessScore,
        members: counts,
      });
      return;
    }
    case "/v1/join": {
      allow("POST");
      const body = await readJson(req);
      const addrs = (body as {addrs?: unknown}).addrs;
      if (!Array.isArray(addrs) || addrs.length === 0 || !addrs.every((a) => typeof a === "string")) {
        throw new HttpError(400, 'invalid addrs; must be a non-empty array of "HOST:PORT" strings', "addrs");
      }
      try {
        const joined = await agent.join(addrs as string[]);
        sendJson(res, 200, {joined});
      } catch (error) {
        if (error instanceof InvalidConfigError) throw new HttpError(400, error.message, error.field);
        if (error instanceof JoinError) throw new HttpError(502, error.message);
        if (error instanceof AgentStateError) throw new HttpError(409, error.message);
        throw error;
      }
      return;
    }
    case "/v1/leave":
      allow("POST");
      if (agent.state !== "running" && agent.state !== "leaving" && agent.state !== "left") {
        throw new HttpError(409, `cannot leave: the agent is ${agent.state}`);
      }
      await agent.leave();
      sendJson(res, 200, {left: true});
      return;
    case "/v1/events":
      allow("GET");
      if (subscribers.size >= SUBSCRIBERS_MAX)
        throw new HttpError(503, `too many event subscribers (max ${SUBSCRIBERS_MAX})`);
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
      });
      res.write(`: lifeline ${agent.name} events\n\n`);
      subscribers.add(res);
      req.on("close", () => subscribers.delete(res));
      return;
    case "/v1/ring": {
      allow("GET");
      const key = url.searchParams.get("key");
      const ring = agent.ring;
      if (key === null) {
        sendJson(res, 200, {
          members: ring.members(),
          vnodes: ring.vnodes,
          ownership: Object.fromEntries(ring.ownership()),
        });
        return;
      }
      const nText = url.searchParams.get("n") ?? "1";
      const n = Number(nText);
      if (!/^\d+$/.test(nText) || n < 1 || n > 1000) {
        throw new HttpError(400, "invalid n; must be an integer between 1 and 1000", "n");
      }
      sendJson(res, 200, {
        key,
        position: ring.position(key),
        owner: ring.owner(key) ?? null,
        owners: ring.owners(key, n),
      });
      return;
    }
    case "/v1/leader": {
      allow("GET");
      const key = url.searchParams.get("key") ?? undefined;
      const tags: Record<string, string> = {};
      for (const tag of url.searchParams.getAll("tag")) {
        const eq = tag.indexOf("=");
        if (eq <= 0) throw new HttpError(400, "invalid tag; must be KEY=VALUE with a non-empty KEY", "tag");
        tags[tag.slice(0, eq)] = tag.slice(eq + 1);
      }
      const options = {...(key !== undefined ? {key} : {}), ...(Object.keys(tags).length > 0 ? {tags} : {})};
      sendJson(res, 200, {key: key ?? DEFAULT_LEADER_KEY, tags, leader: agent.leader(options) ?? null});
      return;
    }
    case "/v1/heartbeats":
      allow("GET");
      sendJson(res, 200, agent.heartbeats());
      return;
    case "/metrics":
      allow("GET");
      res.writeHead(200, {"content-type": "text/plain; version=0.0.4; charset=utf-8"});
      res.end(renderMetrics(agent));
      return;
    default:
      throw new HttpError(404, `no route ${path}`);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {"content-type": "application/json", "content-length": Buffer.byteLength(text)});
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req) {
    length += (chunk as Buffer).length;
    if (length > BODY_BYTES_MAX)
      throw new HttpError(400, `invalid body; must be at most ${BODY_BYTES_MAX} bytes`, "body");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid body; must be a JSON object", "body");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(400, "invalid body; must be a JSON object", "body");
  }
  return value;
}
