/*
 * Where `lifeline agent` takes its options from: flags > LIFELINE_* environment > --config files
 * (later files win) > defaults, and every bad input named by its source (file and key, or variable).
 */
import {mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterAll, describe, expect, it} from "vitest";
import {envName} from "../../../src/cli/agent-sources.ts";
import {AGENT_FLAGS, agentInitFromFlags} from "../../../src/cli/commands/agent.ts";
import {parseFlags} from "../../../src/cli/flags.ts";
import {type CliIo, run} from "../../../src/cli/main.ts";

const files: Record<string, string> = {
  "a.json": JSON.stringify({name: "from-a", probeIntervalMs: 800, tags: {role: "web"}, heartbeat: {threshold: 9}}),
  "b.json": JSON.stringify({name: "from-b", tags: {dc: "x"}}),
  "typo.json": JSON.stringify({probeIntervalMS: 500}),
  "bad-value.json": JSON.stringify({probeIntervalMs: 0}),
  "bad-json.json": '{"name": ',
  "array.json": "[1]",
  "off.json": JSON.stringify({http: "0"}),
};
const read = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error("missing"), {code: "ENOENT"});
  return text;
};
const initOf = (args: string[], env: Record<string, string> = {}) =>
  agentInitFromFlags(parseFlags(args, AGENT_FLAGS), env, read);

describe("agent option sources", () => {
  it("defaults alone: the CLI's HTTP default and nothing else", () => {
    expect(initOf([])).toEqual({http: "127.0.0.1:7947"});
  });

  it("later files win, nested objects merge key by key", () => {
    expect(initOf(["--config", "a.json", "--config", "b.json"])).toEqual({
      http: "127.0.0.1:7947",
      name: "from-b",
      probeIntervalMs: 800,
      tags: {role: "web", dc: "x"},
      heartbeat: {threshold: 9},
    });
  });

  it("takes the cluster label from --label, LIFELINE_LABEL or a config file's label", () => {
    expect(initOf(["--label", "blue"])).toMatchObject({label: "blue"});
    expect(initOf([], {LIFELINE_LABEL: "green"})).toMatchObject({label: "green"});
    expect(initOf(["--label", "blue"], {LIFELINE_LABEL: "green"})).toMatchObject({label: "blue"});
    files["label.json"] = JSON.stringify({label: "red"});
    files["empty-label.json"] = JSON.stringify({label: ""});
    expect(initOf(["--config", "label.json"])).toMatchObject({label: "red"});
    expect(() => initOf(["--config", "empty-label.json"])).toThrow(/empty-label\.json: invalid label/);
  });

  it("the environment beats files, flags beat the environment", () => {
    const env = {
      LIFELINE_NAME: "from-env",
      LIFELINE_PROBE_INTERVAL_MS: "700",
      LIFELINE_JOIN: "10.0.0.1:7946, 10.0.0.2:7946",
    };
    const init = initOf(["--config", "a.json", "--name", "from-flag"], env);
    expect(init.name).toBe("from-flag");
    expect(init.probeIntervalMs).toBe(700);
    expect(init.join).toEqual(["10.0.0.1:7946", "10.0.0.2:7946"]);
  });

  it("turns HTTP off from a file or a flag, and on again from a higher source", () => {
    expect(initOf(["--config", "off.json"]).http).toBeUndefined();
    expect(initOf(["--config", "off.json"], {LIFELINE_HTTP: "127.0.0.1:9000"}).http).toBe("127.0.0.1:9000");
    expect(initOf(["--http", "0"]).http).toBeUndefined();
  });

  it("derives every variable from the flag table", () => {
    expect(envName("probe-interval-ms")).toBe("LIFELINE_PROBE_INTERVAL_MS");
    expect(initOf([], {LIFELINE_TAG: "a=1,b=2"}).tags).toEqual({a: "1", b: "2"});
  });

  it("names the file, the key and the rule for every bad file", () => {
    expect(() => initOf(["--config", "typo.json"])).toThrow(
      /^typo\.json: unknown key "probeIntervalMS" \(did you mean "probeIntervalMs"\?\); known keys are /,
    );
    expect(() => initOf(["--config", "bad-value.json"])).toThrow(
      "bad-value.json: invalid probeIntervalMs; must be an integer between 1 and 3600000",
    );
    expect(() => initOf(["--config", "bad-json.json"])).toThrow(/^bad-json\.json: not valid JSON/);
    expect(() => initOf(["--config", "array.json"])).toThrow(/^array\.json: must be a JSON object/);
    expect(() => initOf(["--config", "nowhere.json"])).toThrow("nowhere.json: cannot read the config file (ENOENT)");
  });

  it("blames a value that is only wrong beside an earlier file's on the file that made it wrong", () => {
    files["slow.json"] = JSON.stringify({probeIntervalMs: 2000, probeTimeoutMs: 1500});
    files["fast.json"] = JSON.stringify({probeIntervalMs: 1000});
    expect(() => initOf(["--config", "slow.json", "--config", "fast.json"])).toThrow(
      "fast.json: invalid probeTimeoutMs; must be < probeIntervalMs",
    );
  });

  it("names the variable for a bad environment value", () => {
    expect(() => initOf([], {LIFELINE_PROBE_INTERVAL_MS: "soon"})).toThrow(/^LIFELINE_PROBE_INTERVAL_MS: /);
  });
});

describe("lifeline agent --config, end to end", () => {
  const dir = mkdtempSync(join(tmpdir(), "lifeline-config-"));
  afterAll(() => rmSync(dir, {recursive: true, force: true}));

  it("refuses a bad file with exit code 2 and one line naming file, key and rule", async () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({suspicionMult: 0}));
    const err: string[] = [];
    const io: CliIo = {stdout: () => {}, stderr: (t) => void err.push(t), env: {}};
    expect(await run(["agent", "--config", file], io)).toBe(2);
    expect(err.join("")).toBe(`lifeline agent: ${file}: invalid suspicionMult; must be an integer between 1 and 100\n`);
  });

  it("blames a rule broken by an environment value on its variable", async () => {
    const err: string[] = [];
    const io: CliIo = {stdout: () => {}, stderr: (t) => void err.push(t), env: {LIFELINE_SUSPICION_MULT: "0"}};
    expect(await run(["agent", "--bind", "127.0.0.1:0", "--http", "0"], io)).toBe(2);
    expect(err.join("")).toBe("lifeline agent: LIFELINE_SUSPICION_MULT: must be an integer between 1 and 100\n");
  });

  it("documents the precedence in --help", async () => {
    const out: string[] = [];
    expect(await run(["agent", "--help"], {stdout: (t) => void out.push(t), stderr: () => {}})).toBe(0);
    expect(out.join("")).toContain("Precedence: flags > environment > config files > defaults");
    expect(out.join("")).toContain("--config FILE");
  });
});
