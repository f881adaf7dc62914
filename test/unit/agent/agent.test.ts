import {describe, expect, it} from "vitest";
import {Agent, resolveAgentConfig} from "../../../src/agent/index.ts";
import {formatMemberTable} from "../../../src/cli/main.ts";
import {encodeTags} from "../../../src/codec/index.ts";
import {DEFAULT_VSN, lanConfig, type MemberView, swiftConfig} from "../../../src/core/index.ts";

function view(name: string, tags: Record<string, string> = {}): MemberView {
  return {
    name,
    addr: {host: "127.0.0.1", port: 7946},
    state: "alive",
    incarnation: 3,
    meta: encodeTags(tags),
    vsn: DEFAULT_VSN,
    stateChangeMs: 0,
  };
}

describe("resolveAgentConfig", () => {
  it("defaults to 127.0.0.1:7946, the swift profile, no HTTP and no encryption", () => {
    const config = resolveAgentConfig({name: "a"});
    expect(config.bind).toEqual({host: "127.0.0.1", port: 7946});
    expect(config.profile).toBe("swift");
    expect(config.swim).toEqual(swiftConfig());
    expect(resolveAgentConfig({name: "a", profile: "lan"}).swim).toEqual(lanConfig());
    expect(config.http).toBeUndefined();
    expect(config.keyring).toBeUndefined();
  });

  it("takes a cluster label of 1 to 255 bytes of UTF-8 (unlabelled by default)", () => {
    expect(resolveAgentConfig({name: "a"}).label).toBeUndefined();
    expect(resolveAgentConfig({name: "a", label: "prod-eu"}).label).toBe("prod-eu");
    expect(resolveAgentConfig({name: "a", label: "x".repeat(255)}).label).toHaveLength(255);
    expect(resolveAgentConfig({name: "a", label: "é".repeat(127)}).label).toHaveLength(127);
  });

  it("coalesces user events for handlers with serf agent's periods by default; 0 turns it off", () => {
    expect(resolveAgentConfig({name: "a"}).userCoalesce).toEqual({coalescePeriodMs: 3_000, quiescentPeriodMs: 1_000});
    expect(resolveAgentConfig({name: "a", userCoalescePeriodMs: 0, userQuiescentPeriodMs: 200}).userCoalesce).toEqual({
      coalescePeriodMs: 0,
      quiescentPeriodMs: 200,
    });
  });

  it("applies SwimConfig fields given directly over the chosen profile", () => {
    const config = resolveAgentConfig({name: "a", profile: "local", probeIntervalMs: 300, probeTimeoutMs: 100});
    expect(config.swim).toMatchObject({probeIntervalMs: 300, probeTimeoutMs: 100, suspicionMult: 3});
  });

  it.each([
    {init: {bind: "nope:99999"}, field: "bind", name: "InvalidConfigError"},
    {init: {join: ["a:b"]}, field: "join", name: "InvalidConfigError"},
    {init: {retryJoinMax: -1}, field: "retryJoinMax", name: "InvalidConfigError"},
    {init: {tags: {big: "x".repeat(600)}}, field: "tags", name: "InvalidConfigError"},
    {init: {encrypt: "short"}, field: "encrypt", name: "InvalidConfigError"},
    {init: {probeTimeoutMs: 5_000}, field: "probeTimeoutMs", name: "InvalidConfigError"},
    {init: {name: ""}, field: "name", name: "InvalidConfigError"},
    {init: {label: ""}, field: "label", name: "InvalidConfigError"},
    {init: {label: "x".repeat(256)}, field: "label", name: "InvalidConfigError"},
    {init: {label: "é".repeat(128)}, field: "label", name: "InvalidConfigError"},
    {init: {label: 7}, field: "label", name: "InvalidConfigError"},
    {init: {eventHandlers: ["user:deploy,membr-join=x"]}, field: "eventHandlers", name: "InvalidConfigError"},
    {init: {userCoalescePeriodMs: -1}, field: "userCoalescePeriodMs", name: "InvalidConfigError"},
    {init: {userCoalescePeriodMs: 1.5}, field: "userCoalescePeriodMs", name: "InvalidConfigError"},
    {init: {userQuiescentPeriodMs: 3_600_001}, field: "userQuiescentPeriodMs", name: "InvalidConfigError"},
  ])("rejects a bad $field with $name naming it", ({init, field, name}) => {
    expect(() => resolveAgentConfig(init as never)).toThrow(
      expect.objectContaining({name, field, code: "ERR_INVALID_CONFIG"}),
    );
  });
});

describe("Agent events", () => {
  it("isolates a throwing listener: it is logged and the other listeners still run", () => {
    const agent = new Agent({name: "a"});
    const seen: string[] = [];
    agent.on("member:up", () => {
      throw new Error("listener bug");
    });
    agent.on("member:up", (m) => seen.push(m.name));
    const deliver = (agent as unknown as {handleNotification(e: unknown): void}).handleNotification.bind(agent);
    expect(() => deliver({type: "memberUp", member: view("b", {role: "web"})})).not.toThrow();
    expect(seen).toEqual(["b"]);
  });

  it("maps memberDown to member:down failed and memberLeft to member:down left, with decoded tags", () => {
    const agent = new Agent({name: "a"});
    const seen: [string, string, Record<string, string>][] = [];
    agent.on("member:down", (m, reason) => seen.push([m.name, reason, {...m.tags}]));
    const deliver = (agent as unknown as {handleNotification(e: unknown): void}).handleNotification.bind(agent);
    deliver({type: "memberDown", member: view("b", {dc: "x"})});
    deliver({type: "memberLeft", member: view("c")});
    expect(seen).toEqual([
      ["b", "failed", {dc: "x"}],
      ["c", "left", {}],
    ]);
  });

  it("refuses join before start with AgentStateError", async () => {
    const agent = new Agent({name: "a"});
    await expect(agent.join(["127.0.0.1:1"])).rejects.toMatchObject({name: "AgentStateError"});
  });
});

describe("formatMemberTable", () => {
  it("prints aligned columns sorted by name, tags as k=v", () => {
    const text = formatMemberTable([
      {name: "web-2", addr: "10.0.0.2", port: 7946, state: "suspect", incarnation: 4, tags: {}},
      {name: "db", addr: "::1", port: 7000, state: "alive", incarnation: 1, tags: {role: "db", dc: "a"}},
    ]);
    expect(text).toBe(
      [
        "NAME   ADDRESS        STATE    INCARNATION  TAGS",
        "db     [::1]:7000     alive    1            role=db,dc=a",
        "web-2  10.0.0.2:7946  suspect  4            -",
        "",
      ].join("\n"),
    );
  });
});
