/*
 * The agent's HTTP API (plain node:http, loopback by default):
 *
 *   GET  /v1/members   JSON array of {name, addr, port, state, incarnation, tags}
 *   GET  /v1/health    {status, name, incarnation, awarenessScore, members: {alive, suspect, dead, left},
 *                      eventLoopDelayMs: {p50Ms, p99Ms, maxMs}}
 *   POST /v1/join      {"addrs": ["HOST:PORT", ...]} → {"joined": n}   (502 when none answered)
 *   POST /v1/leave     leave gracefully → {"left": true}
 *   GET  /v1/events    Server-Sent Events: one `event: member:up|suspect|alive|down|updated` per change,
 *                      and `event: heartbeat:up|down` ({type, device, time}) for plain-heartbeat devices
 *   GET  /metrics      Prometheus text format (the agent's prom-client registry)
 *   GET  /v1/ring?key=K[&n=N]   {key, position, owner, owners} (n distinct owners, default 1);
 *                      without key: {members, vnodes, ownership}
 *   GET  /v1/leader[?key=K][&tag=k=v]...   {key, tags, leader}  (leader null when no candidate)
 *   GET  /v1/heartbeats    JSON array of plain-heartbeat devices {name, state, phi, lastBeatAgoMs, addr, sources, …}
 *   GET  /v1/coordinates   JSON array of {node, coordinate: {vec, error, adjustment, height}} (seconds, as
 *                      serf's), ours first; 404 when the agent runs with disableCoordinates
 *   GET  /v1/stats     {name, state, incarnation, awarenessScore, core, driver, transport}: the protocol counters
 *   GET  /ui           the live dashboard (dashboard-page.ts), one self-contained page
 *   POST /v1/event, POST /v1/query (streamed), GET /v1/keys, POST /v1/keys/install|use|remove:
 *                      serf's user events, queries and key rotation (serf-routes.ts)
 *
 * Bad requests get 400 with {"error": "...", "field": "..."} naming the field. With a token, every
 * request but GET /v1/health and GET /ui without `Authorization: Bearer <token>` gets 401 and does nothing.
 */
import {createServer, type IncomingMessage, type ServerResponse} from "node:http";
import {createRequire} from "node:module";
import type {AddressInfo, Socket} from "node:net";
import createDebug from "debug";
import type {Address} from "../core/index.ts";
import {DEFAULT_LEADER_KEY} from "../ring/index.ts";
import {isoTime} from "../runtime/index.ts";
import type {HttpAgentView} from "./agent-view.ts";
import {asHttpError, HttpError, readJson, sendJson} from "./http-basics.ts";
import {serfRoute} from "./serf-routes.ts";

const require = createRequire(import.meta.url);

const log = createDebug("lifeline:http");

/** Concurrent /v1/events subscribers. */
const SUBSCRIBERS_MAX = 64;
/** A comment line on every event stream this often, so idle proxies and clients keep it open. */
const KEEPALIVE_MS = 15_000;

/** A running HTTP API. */
export interface HttpApi {
  readonly address: Address;
  close(): Promise<void>;
}

/** Routes served without the token (GET only). */
const OPEN_PATHS: ReadonlySet<string> = new Set(["/v1/health", "/ui", "/ui/"]);

/** Serves the HTTP API for `agent` on `at` (host and port). Throws when the address cannot be bound. */
export async function startHttpApi(
  agent: HttpAgentView,
  at: {readonly host: string; readonly port: number},
  options: {readonly token?: string | undefined} = {},
): Promise<HttpApi> {
  const authorized = bearerCheck(options.token);
  // BOUNDED: at most SUBSCRIBERS_MAX event-stream responses.
  const subscribers = new Set<ServerResponse>();
  // BOUNDED: one per open connection (Node's server caps them by the OS limits).
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    if (!authorized(req)) {
      // Nothing has been read or done: a request without the token changes nothing.
      res.setHeader("www-authenticate", 'Bearer realm="lifeline"');
      sendJson(res, 401, {error: "missing or wrong bearer token; send Authorization: Bearer <token>"});
      req.resume();
      return;
    }
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
  const unsubscribe = agent.subscribe((event) => {
    const {type, ...rest} = event;
    const data = JSON.stringify({type, ...rest, time: isoTime()});
    for (const res of subscribers) res.write(`event: ${type}\ndata: ${data}\n\n`);
  });
  const keepalive = setInterval(() => {
    for (const res of subscribers) res.write(": keepalive\n\n");
  }, KEEPALIVE_MS);
  keepalive.unref();
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      clearInterval(keepalive);
      unsubscribe();
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
        unsubscribe();
        for (const res of subscribers) res.end();
        subscribers.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

async function route(
  agent: HttpAgentView,
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
        incarnation: agent.protocolStats.incarnation,
        awarenessScore: agent.protocolStats.awarenessScore,
        members: counts,
        eventLoopDelayMs: agent.eventLoopDelay(),
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
        throw asHttpError(error);
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
    case "/v1/coordinates": {
      allow("GET");
      const coordinates = agent.coordinates();
      if (coordinates === undefined) {
        throw new HttpError(404, "network coordinates are disabled on this agent (disableCoordinates)");
      }
      sendJson(res, 200, coordinates);
      return;
    }
    case "/v1/heartbeats":
      allow("GET");
      sendJson(res, 200, agent.heartbeats());
      return;
    case "/v1/stats": {
      allow("GET");
      const {core, driver, transport, awarenessScore, incarnation} = agent.protocolStats;
      sendJson(res, 200, {name: agent.name, state: agent.state, incarnation, awarenessScore, core, driver, transport});
      return;
    }
    case "/ui":
    case "/ui/": {
      allow("GET");
      // Loaded on the first request: an agent nobody looks at never holds the page (~55 KB of heap).
      const {DASHBOARD_HTML} = await import("./dashboard-page.ts");
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "content-length": Buffer.byteLength(DASHBOARD_HTML),
        "cache-control": "no-cache",
        // Everything is inline and same-origin: no other origin may serve a script or be framed around it.
        "content-security-policy":
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        "x-content-type-options": "nosniff",
      });
      res.end(DASHBOARD_HTML);
      return;
    }
    case "/metrics":
      allow("GET");
      {
        const text = await agent.metrics.metrics();
        res.writeHead(200, {"content-type": agent.metrics.contentType});
        res.end(text);
      }
      return;
    default:
      if (await serfRoute(agent, req, res, path, allow)) return;
      throw new HttpError(404, `no route ${path}`);
  }
}

/**
 * Whether a request may pass: with a token, every route but GET /v1/health needs
 * `Authorization: Bearer <token>`, compared in constant time (SHA-256 of both, so the lengths match).
 */
function bearerCheck(token: string | undefined): (req: IncomingMessage) => boolean {
  if (token === undefined) return () => true;
  // node:crypto only with a token: loading it costs an agent ~1 MB of RSS (README "Memory").
  const {createHash, timingSafeEqual} = require("node:crypto") as typeof import("node:crypto");
  const expected = createHash("sha256").update(`Bearer ${token}`).digest();
  return (req) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    // Health for probes; the dashboard page holds no data and asks for the token itself.
    if (OPEN_PATHS.has(path) && (req.method ?? "GET") === "GET") return true;
    const given = createHash("sha256")
      .update(req.headers.authorization ?? "")
      .digest();
    return timingSafeEqual(given, expected);
  };
}
