/*
 * `lifeline monitor` against a real agent: one line per event as it happens (and NDJSON with
 * --json), a reconnect when the agent restarts on the same HTTP address, and a clean stop on a signal.
 */
import {afterEach, describe, expect, it} from "vitest";
import {type Agent, createAgent} from "../../src/agent/index.ts";
import {type CliIo, run} from "../../src/cli/main.ts";
import {eventually} from "../helpers/agent-cluster.ts";

const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});

/** An agent on loopback; `http` undefined: no HTTP API. */
async function start(name: string, http: string | undefined, join?: string): Promise<Agent> {
  const agent = await createAgent({
    name,
    bind: "127.0.0.1:0",
    profile: "local",
    ...(http ? {http} : {}),
    ...(join ? {join: [join]} : {}),
  });
  agents.push(agent);
  return agent;
}

function monitorIo(): CliIo & {out: string[]; err: string[]; stop: () => void} {
  const out: string[] = [];
  const err: string[] = [];
  let handler: ((signal: string) => void) | undefined;
  return {
    out,
    err,
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    env: {},
    onSignal: (h) => {
      handler = h;
      return () => {
        handler = undefined;
      };
    },
    stop: () => handler?.("SIGINT"),
  };
}

const addrOf = (agent: Agent): string => `${agent.address.host}:${agent.address.port}`;

describe("lifeline monitor", () => {
  it("prints one line per member event, reconnects after the agent restarts, and stops on a signal", async () => {
    const first = await start("watched", "127.0.0.1:0");
    const http = `127.0.0.1:${first.httpAddress?.port}`;
    const io = monitorIo();
    const done = run(["monitor", "--http", http], io);
    await eventually(() => io.err.join("").includes("following"), 5_000, "monitor connected");
    await start("joiner", undefined, addrOf(first));
    await eventually(
      () => io.out.some((l) => / member:up joiner 127\.0\.0\.1:\d+ alive\n$/.test(l)),
      5_000,
      "member:up line",
    );

    await first.stop();
    await eventually(() => /closed the stream|cannot reach/.test(io.err.join("")), 5_000, "monitor saw the agent go");
    const second = await start("watched-again", http);
    const followed = (): number => io.err.join("").split("following").length - 1;
    await eventually(() => followed() >= 2, 10_000, "monitor reconnected");
    await start("second-joiner", undefined, addrOf(second));
    await eventually(
      () => io.out.some((l) => l.includes("member:up second-joiner")),
      15_000,
      "an event after the restart",
    );

    io.stop();
    expect(await done).toBe(0);
  });

  it("prints NDJSON with --json", async () => {
    const watched = await start("json-watched", "127.0.0.1:0");
    const io = monitorIo();
    const done = run(["monitor", "--http", `127.0.0.1:${watched.httpAddress?.port}`, "--json"], io);
    await eventually(() => io.err.join("").includes("following"), 5_000, "monitor connected");
    await start("json-joiner", undefined, addrOf(watched));
    await eventually(() => io.out.length > 0, 5_000, "an event");
    const event = JSON.parse(io.out[0] as string) as {type: string; member: {name: string}; time: string};
    expect(event).toMatchObject({type: "member:up", member: {name: "json-joiner"}});
    expect(Number.isNaN(Date.parse(event.time))).toBe(false);
    io.stop();
    expect(await done).toBe(0);
  });
});
