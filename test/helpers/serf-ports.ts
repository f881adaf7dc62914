/*
 * Free loopback ports for real agents in interop tests. A memberlist agent needs the same port
 * free for UDP and TCP, so a candidate is accepted only when both binds succeed. Candidates are
 * drawn at random below Linux's ephemeral range (32768–60999): outgoing connections (the `serf`
 * CLI, HTTP clients) take their local ports from that range, so a port we release here is not
 * grabbed by one of them before the agent binds it. Ports handed out in this process are never
 * handed out twice.
 */
import {createSocket} from "node:dgram";
import {createServer} from "node:net";

const RANGE_MIN = 20_000;
const RANGE_MAX = 32_000;
// BOUNDED: at most (RANGE_MAX - RANGE_MIN) entries; a test run uses a few hundred at most.
const handedOut = new Set<number>();

function tcpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({host, port, exclusive: true}, () => server.close(() => resolve(true)));
  });
}

function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket(host.includes(":") ? "udp6" : "udp4");
    socket.once("error", () => {
      socket.close();
      resolve(false);
    });
    socket.bind({address: host, port, exclusive: true}, () => socket.close(() => resolve(true)));
  });
}

/**
 * A port on `host` that is currently free for both UDP and TCP and was not returned before by
 * this process. Throws after 200 unlucky candidates (the range is then effectively full).
 */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = RANGE_MIN + Math.floor(Math.random() * (RANGE_MAX - RANGE_MIN));
    if (handedOut.has(port)) continue;
    if ((await tcpFree(host, port)) && (await udpFree(host, port))) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`freePort: no port free for UDP and TCP on ${host} in ${RANGE_MIN}..${RANGE_MAX} after 200 tries`);
}
