import {describe, expect, it} from "vitest";
import {InvalidConfigError} from "../../../src/core/index.ts";

describe("InvalidConfigError", () => {
  it("carries the field, the rule, a stable code and the message `invalid FIELD; RULE`", () => {
    const error = new InvalidConfigError("probeIntervalMs", "must be an integer ≥ 1");
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: "InvalidConfigError",
      code: "ERR_INVALID_CONFIG",
      field: "probeIntervalMs",
      rule: "must be an integer ≥ 1",
      message: "invalid probeIntervalMs; must be an integer ≥ 1",
    });
  });

  it("is re-labelled under a prefix without touching the rule; the original is the cause", () => {
    const inner = new InvalidConfigError("phi.threshold", "must be a finite number > 0 (got 0)");
    const outer = inner.under("heartbeat");
    expect(outer).toBeInstanceOf(InvalidConfigError);
    expect(outer).toMatchObject({field: "heartbeat.phi.threshold", rule: inner.rule, code: "ERR_INVALID_CONFIG"});
    expect(outer.message).toBe("invalid heartbeat.phi.threshold; must be a finite number > 0 (got 0)");
    expect(outer.cause).toBe(inner);
    expect(inner.field).toBe("phi.threshold");
  });

  it("is re-labelled with another field name", () => {
    const inner = new InvalidConfigError("eventHandler", "must be [FILTER=]COMMAND");
    const outer = inner.withField("eventHandlers");
    expect(outer.message).toBe("invalid eventHandlers; must be [FILTER=]COMMAND");
    expect(outer.cause).toBe(inner);
  });
});
