/*
 * The `lifeline` CLI, run in-process through `run(args, io)` (the same code bin/lifeline runs):
 * bad flags exit 2 with a one-line message naming the flag; `agent` runs until a signal and
 * then leaves; `members`, `join` and `leave` talk to a running agent's HTTP API.
 */
import {afterAll, describe, expect, it} from "vitest";
import {type CliIo, COMMANDS, run} from "../../src/cli/main.ts";
import {AgentCluster, addressOf, eventually} from "../helpers/agent-cluster.ts";

function captureIo(): CliIo & {out: string[]; err: string[]; signal: (name: string) => void} {
  const out: string[] = [];
  const err: string[] = [];
  let handler: ((signal: string) => void) | undefined;
  return {
    out,
    err,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    onSignal: (h) => {
      handler = h;
      return () => {
        handler = undefined;
      };
    },
    signal: (name) => handler?.(name),
  };
}

describe("lifeline CLI usage errors", () => {
  const cases: {args: string[]; flag: string}[] = [
    {args: ["agent", "--bogus"], flag: "--bogus"},
    {args: ["agent", "--probe-interval-ms", "abc"], flag: "--probe-interval-ms"},
    {args: ["agent", "--probe-interval-ms", "0"], flag: "--probe-interval-ms"},
    {args: ["agent", "--probe-timeout-ms", "5000"], flag: "--probe-timeout-ms"},
    {args: ["agent", "--bind", "127.0.0.1:70000"], flag: "--bind"},
    {args: ["agent", "--profile", "moon"], flag: "--profile"},
    {args: ["agent", "--tag", "novalue"], flag: "--tag"},
    {args: ["agent", "--encrypt", "not-base64!"], flag: "--encrypt"},
    {args: ["agent", "--join"], flag: "--join"},
    {args: ["agent", "--disable-tcp-pings=maybe"], flag: "--disable-tcp-pings"},
    {args: ["members", "--http", "nohost"], flag: "--http"},
  ];
  for (const {args, flag} of cases) {
    it(`exits 2 naming ${flag} for \`lifeline ${args.join(" ")}\``, async () => {
      const io = captureIo();
      expect(await run(args, io)).toBe(2);
      const text = io.err.join("");
      expect(text.trim().split("\n")).toHaveLength(1);
      expect(text).toContain(flag);
    });
  }

  it("exits 2 for an unknown command and for join without an address", async () => {
    const io = captureIo();
    expect(await run(["frobnicate"], io)).toBe(2);
    expect(await run(["join"], io)).toBe(2);
  });

  it("prints a base64 32-byte key for keygen", async () => {
    const io = captureIo();
    expect(await run(["keygen"], io)).toBe(0);
    expect(Buffer.from(io.out.join("").trim(), "base64")).toHaveLength(32);
  });

  it("lists every SwimConfig field as a flag in `agent --help`", async () => {
    const io = captureIo();
    expect(await run(["agent", "--help"], io)).toBe(0);
    const text = io.out.join("");
    for (const flag of [
      "--probe-interval-ms",
      "--suspicion-max-timeout-mult",
      "--disable-tcp-pings",
      "--max-members",
    ]) {
      expect(text).toContain(flag);
    }
  });

  it("lists every command in `lifeline --help` and prints each command's --help from its flag table", async () => {
    const io = captureIo();
    expect(await run(["--help"], io)).toBe(0);
    const text = io.out.join("");
    for (const entry of COMMANDS) {
      expect(text).toContain(`  ${entry.name} `);
      const command = await entry.load();
      expect(command.name).toBe(entry.name);
      const help = captureIo();
      expect(await run([command.name, "--help"], help)).toBe(0);
      for (const flag of command.flags) expect(help.out.join("")).toContain(`--${flag.name}`);
    }
  });

  it("reads the single-dash -flag and --flag=value forms as it did", async () => {
    const io = captureIo();
    expect(await run(["agent", "-probe-interval-ms", "0"], io)).toBe(2);
    expect(await run(["agent", "--probe-interval-ms=0"], io)).toBe(2);
    expect(io.err).toEqual([
      expect.stringMatching(/^lifeline agent: invalid --probe-interval-ms; /),
      expect.stringMatching(/^lifeline agent: invalid --probe-interval-ms; /),
    ]);
  });

  it("exits 1 with a clear message when no agent listens for `members`", async () => {
    const io = captureIo();
    expect(await run(["members", "--http", "127.0.0.1:1"], io)).toBe(1);
    expect(io.err.join("")).toContain("cannot reach the agent");
  });
});

describe("lifeline agent, members, join, leave", () => {
  const cluster = new AgentCluster();
  afterAll(async () => {
    await cluster.stopAll();
  });

  it("runs an agent that logs state changes, serves members/join, and leaves on SIGTERM", async () => {
    const peer = await cluster.add({name: "peer", tags: {role: "db"}});
    const io = captureIo();
    const exit = run(
      [
        "agent",
        "--name",
        "cli-1",
        "--bind",
        "127.0.0.1:0",
        "--http",
        "127.0.0.1:0",
        "--profile",
        "local",
        "--tag",
        "role=web",
      ],
      io,
    );
    await eventually(() => io.err.join("").includes("listening on"), 5_000, "the agent's start line");
    const line = io.err.join("");
    const http = /http (\S+)/.exec(line)?.[1] as string;
    expect(line).toMatch(
      /agent cli-1 listening on 127\.0\.0\.1:\d+ advertise 127\.0\.0\.1:\d+ http 127\.0\.0\.1:\d+ profile local/,
    );

    const join = captureIo();
    expect(await run(["join", "--http", http, addressOf(peer)], join)).toBe(0);
    expect(join.out.join("")).toContain("joined: 1");
    await eventually(() => io.err.join("").includes("member up peer"), 5_000, "a 'member up peer' line");

    const table = captureIo();
    expect(await run(["members", "--http", http], table)).toBe(0);
    const rows = table.out.join("").trim().split("\n");
    expect(rows[0]).toMatch(/^NAME\s+ADDRESS\s+STATE\s+INCARNATION\s+TAGS$/);
    expect(rows.slice(1).map((r) => r.split(/\s+/)[0])).toEqual(["cli-1", "peer"]);
    expect(rows.find((r) => r.startsWith("peer"))).toMatch(/alive\s+1\s+role=db$/);

    const json = captureIo();
    expect(await run(["members", "--http", http, "--json"], json)).toBe(0);
    const members = JSON.parse(json.out.join("")) as {name: string; state: string; tags: Record<string, string>}[];
    expect(members.find((m) => m.name === "cli-1")).toMatchObject({state: "alive", tags: {role: "web"}});

    io.signal("SIGTERM");
    expect(await exit).toBe(0);
    expect(io.err.join("")).toContain("SIGTERM: leaving the cluster");
    await eventually(
      () => peer.members().find((m) => m.name === "cli-1")?.state === "left",
      5_000,
      "peer sees cli-1 left",
    );
  });

  it("exits 1 when --retry-join-max attempts all fail", async () => {
    const gone = await cluster.add({name: "gone"});
    const deadSeed = addressOf(gone);
    await gone.stop();
    const io = captureIo();
    const args = ["agent", "--name", "cli-3", "--bind", "127.0.0.1:0", "--http", "0", "--join", deadSeed];
    const code = await run(
      [...args, "--retry-join-max", "2", "--retry-join-interval-ms", "50", "--tcp-timeout-ms", "300"],
      io,
    );
    expect(code).toBe(1);
    const text = io.err.join("");
    expect(text.match(/join attempt \d failed/g)).toHaveLength(2);
    expect(text).toContain("could not join any of 1 seed(s) in 2 attempt(s)");
  });

  it("`lifeline leave` makes a running agent leave and exit 0", async () => {
    const peer = await cluster.add({name: "peer-2"});
    const io = captureIo();
    const exit = run(
      [
        "agent",
        "--name",
        "cli-2",
        "--bind",
        "127.0.0.1:0",
        "--http",
        "127.0.0.1:0",
        "--profile",
        "local",
        "--join",
        addressOf(peer),
      ],
      io,
    );
    await eventually(() => io.err.join("").includes("joined"), 5_000, "the agent joined");
    const http = /http (\S+)/.exec(io.err.join(""))?.[1] as string;
    const leave = captureIo();
    expect(await run(["leave", "--http", http], leave)).toBe(0);
    expect(await exit).toBe(0);
    await eventually(
      () => peer.members().find((m) => m.name === "cli-2")?.state === "left",
      5_000,
      "peer sees cli-2 left",
    );
  });
});
