/*
 * Child agent processes for the benchmark: free loopback ports (UDP and TCP both free, chosen
 * below the ephemeral range), spawning with a registry by PID, kill -9 by PID, and a cleanup that
 * kills every registered process on normal exit, on Ctrl-C and on an uncaught error, so a broken
 * run never leaves 64 agents behind.
 */
import {spawn} from "node:child_process";
import {createSocket} from "node:dgram";
import {createServer} from "node:net";

// BOUNDED: one entry per process started by this run; entries leave on exit.
const live = new Map();
// BOUNDED: ports handed out in this run, at most the 12,000 of the range.
const usedPorts = new Set();

function tcpFree(host, port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({host, port, exclusive: true}, () => server.close(() => resolve(true)));
  });
}

function udpFree(host, port) {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    socket.once("error", () => {
      socket.close();
      resolve(false);
    });
    socket.bind({address: host, port, exclusive: true}, () => socket.close(() => resolve(true)));
  });
}

/** A port free for UDP and TCP on `host`, never returned twice in one run. */
export async function freePort(host = "127.0.0.1") {
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (usedPorts.has(port)) continue;
    if ((await tcpFree(host, port)) && (await udpFree(host, port))) {
      usedPorts.add(port);
      return port;
    }
  }
  throw new Error(`no free UDP+TCP port on ${host}`);
}

/**
 * Spawns a registered child; output is discarded except the last 50 lines (for errors), after
 * `onLine` (when given) has seen each line.
 */
export function spawnAgent(label, command, args, onLine) {
  const child = spawn(command, args, {stdio: ["ignore", "pipe", "pipe"]});
  if (child.pid === undefined) throw new Error(`could not spawn ${label}`);
  // BOUNDED: 50 lines.
  const tail = [];
  const collect = (chunk) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (!line) continue;
      onLine?.(line);
      tail.push(line);
      if (tail.length > 50) tail.shift();
    }
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const proc = {label, pid: child.pid, child, exited: false, tail};
  proc.exitPromise = new Promise((resolve) => {
    child.once("exit", (code, signal) => {
      proc.exited = true;
      live.delete(proc.pid);
      resolve({code, signal});
    });
  });
  live.set(proc.pid, proc);
  return proc;
}

/** kill -9 by PID and wait for the exit. */
export async function kill9(proc) {
  if (proc.exited) return;
  try {
    process.kill(proc.pid, "SIGKILL");
  } catch {
    // already gone
  }
  await proc.exitPromise;
}

/** Kills every registered process and waits for them. */
export async function killAll() {
  await Promise.all([...live.values()].map(kill9));
}

let hooked = false;

/** Installs exit/SIGINT/SIGTERM hooks that kill every registered child. */
export function installCleanup() {
  if (hooked) return;
  hooked = true;
  const killSync = () => {
    for (const pid of live.keys()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  };
  process.once("exit", killSync);
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => {
      killSync();
      process.exit(130);
    });
  }
}
