/*
 * The HTTP API's bearer token: without it every request but GET /v1/health gets 401 and changes
 * nothing; a non-loopback API without a token refuses to start unless told it is insecure; the CLI
 * sends the token from --http-token or LIFELINE_HTTP_TOKEN; the token appears in no log line.
 */
import createDebug from "debug";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {type Agent, createAgent, resolveAgentConfig} from "../../src/agent/index.ts";
import {type CliIo, run} from "../../src/cli/main.ts";

const TOKEN = "tok-3f9a-unique-secret";
const logged: string[] = [];
let agent: Agent;
let base: string;
let addr: string;

beforeAll(async () => {
  createDebug.enable("lifeline:*");
  createDebug.log = (...args: unknown[]) => void logged.push(args.map(String).join(" "));
  agent = await createAgent({
    name: "guarded",
    bind: "127.0.0.1:0",
    http: "127.0.0.1:0",
    httpToken: TOKEN,
    profile: "local",
  });
  const http = agent.httpAddress as {host: string; port: number};
  addr = `${http.host}:${http.port}`;
  base = `http://${addr}`;
});

afterAll(async () => {
  await agent.stop();
  createDebug.disable();
});

const auth = (token: string) => ({headers: {authorization: `Bearer ${token}`}});

function io(env: Record<string, string> = {}): CliIo & {out: string[]; err: string[]} {
  const out: string[] = [];
  const err: string[] = [];
  return {out, err, env, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t)};
}

describe("the HTTP API with a token", () => {
  it("answers 401 with WWW-Authenticate without the token or with a wrong one", async () => {
    for (const init of [{}, auth("wrong"), {headers: {authorization: TOKEN}}]) {
      const response = await fetch(`${base}/v1/members`, init);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(JSON.stringify(await response.json())).not.toContain(TOKEN);
    }
  });

  it("serves with the token, and /v1/health without it", async () => {
    expect((await fetch(`${base}/v1/members`, auth(TOKEN))).status).toBe(200);
    expect((await fetch(`${base}/metrics`, auth(TOKEN))).status).toBe(200);
    expect((await fetch(`${base}/v1/health`)).status).toBe(200);
  });

  it("changes nothing on a refused request: a leave without the token leaves the agent running", async () => {
    expect((await fetch(`${base}/v1/leave`, {method: "POST"})).status).toBe(401);
    const join = await fetch(`${base}/v1/join`, {method: "POST", body: JSON.stringify({addrs: ["127.0.0.1:9"]})});
    expect(join.status).toBe(401);
    expect(agent.state).toBe("running");
    expect(agent.members().map((m) => m.name)).toEqual(["guarded"]);
  });

  it("the CLI sends the token from --http-token or LIFELINE_HTTP_TOKEN, and fails without it", async () => {
    const withFlag = io();
    expect(await run(["members", "--http", addr, "--http-token", TOKEN, "--json"], withFlag)).toBe(0);
    expect(JSON.parse(withFlag.out.join(""))[0].name).toBe("guarded");
    const withEnv = io({LIFELINE_HTTP_TOKEN: TOKEN});
    expect(await run(["members", "--http", addr, "--json"], withEnv)).toBe(0);
    const without = io();
    expect(await run(["members", "--http", addr], without)).toBe(1);
    expect(without.err.join("")).toContain("bearer token");
    for (const captured of [withFlag, withEnv, without]) expect(captured.err.join("")).not.toContain(TOKEN);
  });

  it("never writes the token to a log line", () => {
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.filter((line) => line.includes(TOKEN))).toEqual([]);
  });
});

describe("a non-loopback HTTP API", () => {
  it("is refused without a token, naming http and both ways out", () => {
    expect(() => resolveAgentConfig({name: "x", http: "0.0.0.0:7947"})).toThrow(
      expect.objectContaining({
        name: "InvalidConfigError",
        field: "http",
        message: expect.stringMatching(/--http-token.*--http-insecure/),
      }),
    );
    expect(() => resolveAgentConfig({name: "x", http: "[::]:7947"})).toThrow(expect.objectContaining({field: "http"}));
  });

  it("is allowed with a token or httpInsecure, and loopback needs neither", () => {
    expect(resolveAgentConfig({name: "x", http: "0.0.0.0:7947", httpToken: TOKEN}).httpToken).toBe(TOKEN);
    expect(() => resolveAgentConfig({name: "x", http: "0.0.0.0:7947", httpInsecure: true})).not.toThrow();
    expect(() => resolveAgentConfig({name: "x", http: "127.0.0.2:7947"})).not.toThrow();
  });

  it("refuses a token with spaces, naming httpToken but not the value", () => {
    expect(() => resolveAgentConfig({name: "x", httpToken: "has space"})).toThrow(
      expect.objectContaining({field: "httpToken", message: expect.not.stringContaining("has space")}),
    );
  });

  it("the agent CLI refuses --http 0.0.0.0 without a token, with exit code 2", async () => {
    const captured = io();
    expect(await run(["agent", "--bind", "127.0.0.1:0", "--http", "0.0.0.0:0"], captured)).toBe(2);
    expect(captured.err.join("")).toMatch(/^lifeline agent: invalid --http; binds 0\.0\.0\.0/);
  });
});
