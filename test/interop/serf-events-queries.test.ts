/*
 * Serf's layer against the real serf binary, in a mixed cluster of two serf and two Lifeline
 * agents: `serf event` reaches Lifeline once per agent (and Lifeline's events run serf's
 * user:NAME handlers once per serf agent, with no duplicate after push-pulls); `serf query` gets
 * acks and responses from Lifeline agents with node and tag filters; Lifeline's queries get
 * answers from serf's query handlers; `serf keys` rotates the key of every member, Lifeline's
 * included, and Lifeline's key rotation (API and `lifeline keys`) moves the serf agents too. The
 * Lifeline side runs through the CLI clients (`lifeline event`, `query`, `keys`) where an operator would. Every message Lifeline receives
 * from serf re-encodes to the same bytes (the codec is byte-exact against live serf output).
 */
import {existsSync, mkdtempSync, readFileSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterAll, afterEach, expect, it} from "vitest";
import {type Agent, type AgentInit, createAgent} from "../../src/agent/index.ts";
import {type CliIo, run} from "../../src/cli/main.ts";
import {decodeSerfMessage, encodeSerfMessage, generateKeyBase64} from "../../src/codec/index.ts";
import type {UserEvent} from "../../src/serf/index.ts";
import {type SerfAgent, type SerfInit, startSerf} from "../helpers/serf-agent.ts";
import {killAllChildren} from "../helpers/serf-children.ts";
import {describeWithSerf} from "../helpers/serf-gate.ts";
import {freePort} from "../helpers/serf-ports.ts";
import {waitUntil} from "../helpers/serf-wait.ts";

// BOUNDED: the agents of one test; emptied after each.
const agents: Agent[] = [];
const serfs: SerfAgent[] = [];
const scratch = mkdtempSync(join(tmpdir(), "lifeline-serf-events-"));
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Runs a `lifeline` client command against `agent`'s HTTP API; resolves to its exit code and output. */
async function cli(agent: Agent, args: readonly string[]): Promise<{code: number; out: string; err: string}> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {stdout: (t) => out.push(t), stderr: (t) => err.push(t), env: {}};
  const http = agent.httpAddress;
  if (!http) throw new Error(`${agent.name} has no HTTP API`);
  const [command, ...rest] = args;
  const code = await run([command as string, "--http", `${http.host}:${http.port}`, ...rest], io);
  return {code, out: out.join(""), err: err.join("")};
}

async function startLifeline(init: AgentInit & {name: string}): Promise<Agent> {
  const port = await freePort();
  const agent = await createAgent({
    bind: `127.0.0.1:${port}`,
    http: "127.0.0.1:0",
    profile: "local",
    pushPullIntervalMs: 1_000,
    retransmitMult: 4,
    ...init,
  });
  agents.push(agent);
  return agent;
}

/** Two serf agents and two Lifeline agents, all alive in every view. */
async function mixedCluster(
  extra: {serf?: Partial<SerfInit>; lifeline?: AgentInit} = {},
): Promise<{s: SerfAgent[]; l: Agent[]}> {
  const s1 = await startSerf({name: "s1", tags: {role: "web"}, ...extra.serf});
  serfs.push(s1);
  const s2 = await startSerf({name: "s2", tags: {role: "db"}, join: [`127.0.0.1:${s1.port}`], ...extra.serf});
  serfs.push(s2);
  const l1 = await startLifeline({name: "l1", tags: {role: "web"}, join: [`127.0.0.1:${s1.port}`], ...extra.lifeline});
  const l2 = await startLifeline({
    name: "l2",
    tags: {role: "cache"},
    join: [`127.0.0.1:${s2.port}`],
    ...extra.lifeline,
  });
  const names = ["s1", "s2", "l1", "l2"];
  await waitUntil(
    async () => {
      for (const s of [s1, s2]) {
        const members = await s.members();
        if (!names.every((n) => members.some((m) => m.name === n && m.status === "alive"))) return false;
      }
      return [l1, l2].every((l) => names.every((n) => l.members().some((m) => m.name === n && m.state === "alive")));
    },
    {what: "the mixed cluster converged", timeoutMs: 20_000},
  );
  return {s: [s1, s2], l: [l1, l2]};
}

/** Every serf message a Lifeline agent receives must re-encode to the bytes serf sent. */
function checkByteExact(agent: Agent, mismatches: string[]): void {
  const layer = (agent as unknown as {serf: {layer: {handleMessage(p: Uint8Array): boolean}}}).serf.layer;
  const original = layer.handleMessage.bind(layer);
  layer.handleMessage = (payload: Uint8Array) => {
    if (payload.length > 0 && (payload[0] as number) <= 9) {
      const again = encodeSerfMessage(decodeSerfMessage(payload));
      if (Buffer.compare(Buffer.from(again), Buffer.from(payload)) !== 0)
        mismatches.push(`${Buffer.from(payload).toString("hex")} re-encoded as ${Buffer.from(again).toString("hex")}`);
    }
    return original(payload);
  };
}

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
  serfs.splice(0);
  await killAllChildren();
});
afterAll(() => rmSync(scratch, {recursive: true, force: true}));

describeWithSerf("serf's user events, queries and keys with Lifeline agents", () => {
  it("user events cross both ways exactly once per agent and run the handlers filtered on user:deploy", async () => {
    const logFile = (name: string) => join(scratch, `${name}-deploy.log`);
    const handler = (name: string) => `user:deploy=cat >> ${logFile(name)}; echo >> ${logFile(name)}`;
    const s1 = await startSerf({name: "s1", eventHandlers: [handler("s1")]});
    serfs.push(s1);
    const s2 = await startSerf({name: "s2", join: [`127.0.0.1:${s1.port}`], eventHandlers: [handler("s2")]});
    serfs.push(s2);
    const l1 = await startLifeline({name: "l1", join: [`127.0.0.1:${s1.port}`]});
    const l2 = await startLifeline({name: "l2", join: [`127.0.0.1:${s2.port}`]});
    const mismatches: string[] = [];
    for (const l of [l1, l2]) checkByteExact(l, mismatches);
    await waitUntil(
      async () => (await s1.members()).filter((m) => m.status === "alive").length === 4 && l2.members().length === 4,
      {
        what: "4 members",
        timeoutMs: 20_000,
      },
    );
    const got = new Map<string, UserEvent[]>();
    for (const l of [l1, l2]) l.on("user:event", (e) => got.set(l.name, [...(got.get(l.name) ?? []), e]));
    await s1.rpc(["event", "-coalesce=false", "deploy", "v1"]);
    await waitUntil(() => [l1, l2].every((l) => (got.get(l.name) ?? []).length >= 1), {
      what: "serf's event at both Lifeline agents",
      timeoutMs: 10_000,
    });
    expect((await cli(l1, ["event", "--no-coalesce", "deploy", "v2"])).code).toBe(0);
    const lines = (name: string) =>
      existsSync(logFile(name))
        ? readFileSync(logFile(name), "utf8")
            .split("\n")
            .filter((l) => l !== "")
        : [];
    await waitUntil(() => lines("s1").includes("v2") && lines("s2").includes("v2"), {
      what: "serf handlers ran for Lifeline's event",
      timeoutMs: 10_000,
    });
    // Push-pulls every second carry the recent events both ways: nothing may run twice.
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    for (const l of [l1, l2]) {
      expect(
        (got.get(l.name) ?? []).map((e) => `${e.name}=${text(e.payload)}`),
        l.name,
      ).toEqual(["deploy=v1", "deploy=v2"]);
    }
    for (const s of ["s1", "s2"]) expect(lines(s), s).toEqual(["v1", "v2"]);
    expect(mismatches).toEqual([]);
  });

  it("serf query gets acks and responses from Lifeline agents, filters honoured; Lifeline's query gets serf's answers", async () => {
    const {s, l} = await mixedCluster({serf: {eventHandlers: ["query:uptime=echo serf-up"]}});
    for (const agent of l) agent.onQuery("uptime", () => `${agent.name}-up`);
    const [s1] = s as [SerfAgent, SerfAgent];
    const [l1] = l as [Agent, Agent];
    const all = JSON.parse(await s1.rpc(["query", "-format=json", "-timeout=2s", "uptime"])) as {
      Acks: string[];
      Responses: Record<string, string>;
    };
    expect([...all.Acks].sort()).toEqual(["l1", "l2", "s1", "s2"]);
    expect(all.Responses.l1?.trim()).toBe("l1-up");
    expect(all.Responses.l2?.trim()).toBe("l2-up");
    expect(all.Responses.s2?.trim()).toBe("serf-up");
    const tagged = JSON.parse(await s1.rpc(["query", "-format=json", "-timeout=2s", "-tag", "role=^ca", "uptime"])) as {
      Acks: string[];
    };
    expect(tagged.Acks).toEqual(["l2"]);
    const named = JSON.parse(
      await s1.rpc(["query", "-format=json", "-timeout=2s", "-node", "l1", "-node", "s2", "uptime"]),
    ) as {Acks: string[]};
    expect([...named.Acks].sort()).toEqual(["l1", "s2"]);
    const ours = await l1.query("uptime", "", {timeoutMs: 2_000, relayFactor: 1}).result();
    expect([...ours.acks].sort()).toEqual(["l1", "l2", "s1", "s2"]);
    const answers = Object.fromEntries(ours.responses.map((r) => [r.from, text(r.payload).trim()]));
    expect(answers).toEqual({l1: "l1-up", l2: "l2-up", s1: "serf-up", s2: "serf-up"});
    // `lifeline query` against the serf agents only, as an operator would type it.
    const byCli = await cli(l1, ["query", "--timeout-ms", "2s", "--node", "s1", "--node", "s2", "--json", "uptime"]);
    expect(byCli.code, byCli.err).toBe(0);
    const parsed = JSON.parse(byCli.out) as {acks: string[]; responses: Record<string, string>};
    expect([...parsed.acks].sort()).toEqual(["s1", "s2"]);
    expect(parsed.responses.s1?.trim()).toBe("serf-up");
    expect(parsed.responses.s2?.trim()).toBe("serf-up");
  });

  it("serf keys rotates Lifeline agents too, and Lifeline's rotation moves the serf agents", async () => {
    const k1 = generateKeyBase64();
    const k2 = generateKeyBase64();
    const k3 = generateKeyBase64();
    const {s, l} = await mixedCluster({serf: {encrypt: k1}, lifeline: {encrypt: k1}});
    const [s1, s2] = s as [SerfAgent, SerfAgent];
    const [l1, l2] = l as [Agent, Agent];
    await s1.rpc(["keys", "-install", k2]);
    await s1.rpc(["keys", "-use", k2]);
    await s1.rpc(["keys", "-remove", k1]);
    for (const agent of l) expect(agent.keyring, agent.name).toEqual([k2]);
    const keyLine = (key: string, output: string) =>
      output
        .split("\n")
        .find((line) => line.startsWith(key))
        ?.replace(/\s+/g, " ");
    expect(keyLine(k2, await s1.rpc(["keys", "-list"]))).toBe(`${k2} [4/4]`);
    // The same rotation driven from Lifeline: the API, then `lifeline keys`.
    expect(await l2.keys.install(k3)).toMatchObject({numNodes: 4, numResponses: 4, numErrors: 0});
    expect(await l2.keys.use(k3)).toMatchObject({numResponses: 4, numErrors: 0});
    expect(await l2.keys.remove(k2)).toMatchObject({numResponses: 4, numErrors: 0});
    expect((await l2.keys.list()).keys).toEqual({[k3]: 4});
    expect(keyLine(k3, await s2.rpc(["keys", "-list"]))).toBe(`${k3} [4/4]`);
    const k4 = generateKeyBase64();
    for (const step of [
      ["--install", k4],
      ["--use", k4],
      ["--remove", k3],
    ]) {
      const result = await cli(l1, ["keys", ...step]);
      expect(result.code, `${step[0]}: ${result.err}`).toBe(0);
    }
    const ours = await cli(l1, ["keys", "--list"]);
    expect(ours.code, ours.err).toBe(0);
    const theirs = await s1.rpc(["keys", "-list"]);
    expect(keyLine(k4, theirs)).toBe(`${k4} [4/4]`);
    expect(ours.out).toContain(`${k4} [4/4] primary on 4`);
    expect(ours.out).not.toContain(k3);
    expect(theirs).not.toContain(k3);
    // Nobody dropped out on the way.
    for (const agent of [l1, l2])
      expect(
        agent
          .members()
          .filter((m) => m.state === "alive")
          .map((m) => m.name)
          .sort(),
      ).toEqual(["l1", "l2", "s1", "s2"]);
    expect((await s2.members()).filter((m) => m.status === "alive")).toHaveLength(4);
  });
});
