import {mkdtempSync, readFileSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {InvalidConfigError} from "../../../src/core/index.ts";
import {
  EventHandlerRunner,
  type EventHandlerRunnerInit,
  type HandlerEvent,
  type HandlerOutcome,
} from "../../../src/hooks/event-handler.ts";
import {parseEventHandler} from "../../../src/hooks/handler-spec.ts";

/** Alive and not a zombie (a killed orphan may wait for a reaper that this container lacks). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

describe("EventHandlerRunner", () => {
  let dir: string;
  const runners: EventHandlerRunner[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "lifeline-handler-"));
  });
  afterEach(async () => {
    for (const runner of runners.splice(0)) await runner.stop();
    rmSync(dir, {recursive: true, force: true});
  });

  function createRunner(handlers: string[], init: Partial<EventHandlerRunnerInit> = {}) {
    const log: string[] = [];
    const outcomes: HandlerOutcome[] = [];
    const runner = new EventHandlerRunner({
      handlers: handlers.map(parseEventHandler),
      self: () => ({name: "agent-1", tags: {role: "web", "dc-name": "east"}}),
      log: (line) => log.push(line),
      env: {PATH: process.env.PATH ?? "/usr/bin:/bin", DIR: dir},
      ...init,
    });
    runner.onOutcome((o) => outcomes.push(o));
    runners.push(runner);
    return {runner, log, outcomes};
  }

  const failed: HandlerEvent = {
    event: "member-failed",
    members: [{name: "web-2", addr: "127.0.0.1:7001", state: "failed", tags: {role: "web"}}],
  };

  it("runs the handler on a failure with the event, our name and tags in the environment and the member on stdin", async () => {
    const {runner, outcomes} = createRunner([
      'member-failed=cat > "$DIR/stdin"; env | grep ^LIFELINE_ | sort > "$DIR/env"',
    ]);
    runner.enqueue(failed);
    await runner.idle();
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]?.exitCode).toBe(0);
    expect(readFileSync(join(dir, "stdin"), "utf8")).toBe("web-2\t127.0.0.1:7001\tfailed\trole=web\n");
    expect(readFileSync(join(dir, "env"), "utf8").trim().split("\n")).toEqual([
      "LIFELINE_EVENT=member-failed",
      "LIFELINE_SELF_NAME=agent-1",
      "LIFELINE_SELF_TAGS=dc-name=east,role=web",
      "LIFELINE_TAG_DC_NAME=east",
      "LIFELINE_TAG_ROLE=web",
    ]);
    expect(runner.stats).toMatchObject({queued: 1, started: 1, succeeded: 1, failed: 0, dropped: 0});
  });

  it("skips handlers whose filter does not match", async () => {
    const {runner, outcomes} = createRunner(['member-join=echo join >> "$DIR/log"', 'echo any >> "$DIR/log"']);
    runner.enqueue(failed);
    await runner.idle();
    expect(outcomes.map((o) => o.command)).toEqual(['echo any >> "$DIR/log"']);
    expect(readFileSync(join(dir, "log"), "utf8")).toBe("any\n");
  });

  it("runs one handler at a time, in event order", async () => {
    const {runner} = createRunner([
      'echo "start $LIFELINE_EVENT" >> "$DIR/log"; sleep 0.05; echo "end $LIFELINE_EVENT" >> "$DIR/log"',
    ]);
    for (const event of ["member-join", "member-suspect", "member-failed", "heartbeat-down"] as const) {
      runner.enqueue({event, members: []});
    }
    await runner.idle();
    expect(readFileSync(join(dir, "log"), "utf8").trim().split("\n")).toEqual([
      "start member-join",
      "end member-join",
      "start member-suspect",
      "end member-suspect",
      "start member-failed",
      "end member-failed",
      "start heartbeat-down",
      "end heartbeat-down",
    ]);
  });

  it("kills the whole process group of a handler that times out, then runs the next", async () => {
    const {runner, outcomes} = createRunner(['sleep 30 & echo $! > "$DIR/pid"; wait'], {timeoutMs: 300});
    runner.enqueue(failed);
    runner.enqueue({event: "member-join", members: []});
    await runner.idle();
    expect(outcomes).toHaveLength(2);
    expect(outcomes[0]?.timedOut).toBe(true);
    expect(outcomes[0]?.durationMs).toBeLessThan(5_000);
    const pid = Number(readFileSync(join(dir, "pid"), "utf8"));
    // The background sleep died with the group. A SIGKILLed process leaves the run queue only once
    // the kernel schedules it, so on a loaded machine allow it a moment to go.
    const deadline = Date.now() + 5_000;
    while (isRunning(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(isRunning(pid)).toBe(false);
    expect(runner.stats.timedOut).toBe(2);
    expect(runner.stats.failed).toBe(2);
  });

  it("drops and counts events when the queue is full, without blocking the caller", async () => {
    const {runner, outcomes} = createRunner(["sleep 0.2"], {maxQueued: 2});
    const before = performance.now();
    // Five different events, so nothing coalesces.
    for (const event of ["member-failed", "member-join", "member-leave", "member-update", "member-suspect"] as const) {
      runner.enqueue({event, members: []});
    }
    expect(performance.now() - before).toBeLessThan(100);
    expect(runner.stats.dropped).toBe(3); // two waiting; the worker starts on a later turn
    await runner.idle();
    expect(outcomes).toHaveLength(2);
  });

  it("coalesces waiting runs of the same event into one run with several stdin lines, keeping order", async () => {
    const {runner, outcomes} = createRunner(['{ echo "$LIFELINE_EVENT"; cat; } >> "$DIR/log"']);
    const joined = (name: string): HandlerEvent => ({
      event: "member-join",
      members: [{name, addr: "127.0.0.1:1", state: "alive", tags: {}}],
    });
    for (const name of ["a", "b", "c"]) runner.enqueue(joined(name));
    runner.enqueue(failed);
    runner.enqueue(joined("d"));
    runner.enqueue(joined("e"));
    await runner.idle();
    expect(outcomes.map((o) => o.event)).toEqual(["member-join", "member-failed", "member-join"]);
    expect(readFileSync(join(dir, "log"), "utf8")).toBe(
      [
        "member-join",
        "a\t127.0.0.1:1\talive\t",
        "b\t127.0.0.1:1\talive\t",
        "c\t127.0.0.1:1\talive\t",
        "member-failed",
        "web-2\t127.0.0.1:7001\tfailed\trole=web",
        "member-join",
        "d\t127.0.0.1:1\talive\t",
        "e\t127.0.0.1:1\talive\t",
        "",
      ].join("\n"),
    );
    expect(runner.stats.coalesced).toBe(3);
  });

  it("logs a failing handler's output and exit code and carries on", async () => {
    const {runner, log, outcomes} = createRunner(["echo out; echo err >&2; exit 3", "echo second"]);
    runner.enqueue(failed);
    await runner.idle();
    expect(outcomes.map((o) => o.exitCode)).toEqual([3, 0]);
    expect(log).toContain("event handler member-failed stdout: out");
    expect(log).toContain("event handler member-failed stderr: err");
    expect(log.some((line) => line.includes("exited 3"))).toBe(true);
    expect(runner.stats).toMatchObject({succeeded: 1, failed: 1});
  });

  it("caps the output it logs per run and counts the rest", async () => {
    const {runner, log} = createRunner(["head -c 100000 /dev/zero | tr '\\0' x"], {maxOutputBytes: 1000});
    runner.enqueue(failed);
    await runner.idle();
    const logged = log.filter((line) => line.includes("stdout")).join("").length;
    expect(logged).toBeLessThan(2000);
    expect(runner.stats.outputBytesDropped).toBeGreaterThan(90_000);
  });

  it("reports a handler that cannot start as failed", async () => {
    const {runner, outcomes} = createRunner(["echo hi"], {shell: join(dir, "no-such-shell")});
    runner.enqueue(failed);
    await runner.idle();
    expect(outcomes[0]?.error).toBeDefined();
    expect(runner.stats.failed).toBe(1);
  });

  it("rejects a bad timeout, naming the field", () => {
    expect(() => createRunner(["true"], {timeoutMs: 0})).toThrow(InvalidConfigError);
  });
});
