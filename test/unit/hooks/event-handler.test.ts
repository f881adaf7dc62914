import {existsSync, mkdtempSync, readFileSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {InvalidConfigError} from "../../../src/core/index.ts";
import {
  EventHandlerRunner,
  type EventHandlerRunnerInit,
  type HandlerEvent,
  type HandlerOutcome,
  type QueryAnswer,
  type QueryHandlerEvent,
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

  const enc = (t: string) => new TextEncoder().encode(t);
  const userEvent = (name: string, lTime: number, payload: string, coalesce = false): HandlerEvent => ({
    event: "user",
    name,
    lTime,
    payload: enc(payload),
    coalesce,
  });

  /** A query whose answers are recorded; `respondAs` says what the serf layer would make of one. */
  function query(name: string, init: {deadlineInMs?: number; respondAs?: QueryAnswer; payload?: string} = {}) {
    const answers: string[] = [];
    const event: QueryHandlerEvent = {
      event: "query",
      name,
      payload: enc(init.payload ?? ""),
      lTime: 9,
      from: "s1",
      deadlineMs: performance.now() + (init.deadlineInMs ?? 10_000),
      respond: (payload) => {
        const answer = init.respondAs ?? "sent";
        if (answer === "sent") answers.push(new TextDecoder().decode(payload));
        return answer;
      },
    };
    return {event, answers};
  }

  it("runs a user:NAME handler with the event's name and LTime in the environment and the payload on stdin", async () => {
    const {runner, outcomes} = createRunner([
      'user:deploy=cat > "$DIR/stdin"; env | grep -E "^(LIFELINE|SERF)_(EVENT|USER)" | sort > "$DIR/env"',
      'user:restart=echo wrong >> "$DIR/wrong"',
    ]);
    runner.enqueue(userEvent("deploy", 42, "v1"));
    await runner.idle();
    expect(outcomes.map((o) => `${o.event}:${o.name}`)).toEqual(["user:deploy"]);
    expect(readFileSync(join(dir, "stdin"), "utf8")).toBe("v1\n");
    expect(readFileSync(join(dir, "env"), "utf8").trim().split("\n")).toEqual([
      "LIFELINE_EVENT=user",
      "LIFELINE_USER_EVENT=deploy",
      "LIFELINE_USER_LTIME=42",
      "SERF_EVENT=user",
      "SERF_USER_EVENT=deploy",
      "SERF_USER_LTIME=42",
    ]);
    expect(existsSync(join(dir, "wrong"))).toBe(false);
  });

  it("runs only the latest of a burst of coalescible user events, and non-coalescible ones at once", async () => {
    const {runner} = createRunner(['user=echo "$LIFELINE_USER_EVENT $(cat)" >> "$DIR/log"'], {
      userCoalesce: {coalescePeriodMs: 3_600_000, quiescentPeriodMs: 3_600_000},
    });
    runner.enqueue(userEvent("deploy", 1, "v1", true));
    runner.enqueue(userEvent("deploy", 2, "v2", true));
    runner.enqueue(userEvent("restart", 3, "r1", false));
    runner.enqueue(userEvent("deploy", 4, "v3", true));
    await runner.idle();
    expect(readFileSync(join(dir, "log"), "utf8")).toBe("restart r1\n");
    expect(runner.held).toBe(1);
    runner.flushUserEvents();
    await runner.idle();
    expect(readFileSync(join(dir, "log"), "utf8")).toBe("restart r1\ndeploy v3\n");
    expect(runner.stats.coalesced).toBe(2);
  });

  it("answers a query with the handler's stdout, the query's payload on stdin and its name in the environment", async () => {
    const {runner, outcomes} = createRunner([
      'query:uptime=printf "%s %s %s from %s" "$LIFELINE_QUERY_NAME" "$SERF_QUERY_LTIME" "$(cat)" "$LIFELINE_QUERY_FROM"',
    ]);
    const q = query("uptime", {payload: "please"});
    runner.enqueue(q.event);
    await runner.idle();
    expect(q.answers).toEqual(["uptime 9 please from s1"]);
    expect(outcomes[0]?.answer).toBe("sent");
    expect(runner.stats.queryResponses).toBe(1);
  });

  it("sends no answer for a handler that prints nothing or exits non-zero (as serf)", async () => {
    const {runner, outcomes} = createRunner(["query:a=true", "query:b=echo partial; exit 1"]);
    const a = query("a");
    const b = query("b");
    runner.enqueue(a.event);
    runner.enqueue(b.event);
    await runner.idle();
    expect(a.answers).toEqual([]);
    expect(b.answers).toEqual([]);
    expect(outcomes.map((o) => o.answer)).toEqual([undefined, undefined]);
    expect(runner.stats.queryResponses).toBe(0);
  });

  it("logs, counts and does not send an answer larger than queryResponseSizeLimit", async () => {
    const {runner, log, outcomes} = createRunner(["query:big=head -c 5000 /dev/zero | tr '\\0' x"], {
      queryResponseSizeLimit: 1024,
    });
    const q = query("big");
    runner.enqueue(q.event);
    await runner.idle();
    expect(q.answers).toEqual([]);
    expect(outcomes[0]?.answer).toBe("tooLarge");
    expect(runner.stats.queryResponsesTooLarge).toBe(1);
    expect(log.some((line) => line.includes("queryResponseSizeLimit"))).toBe(true);
  });

  it("counts an answer the serf layer refuses as too large once encoded", async () => {
    const {runner, outcomes} = createRunner(["query:edge=echo almost-too-big"]);
    const q = query("edge", {respondAs: "tooLarge"});
    runner.enqueue(q.event);
    await runner.idle();
    expect(outcomes[0]?.answer).toBe("tooLarge");
    expect(runner.stats.queryResponsesTooLarge).toBe(1);
  });

  it("answers with the first matching handler that prints; later handlers still run but are not sent", async () => {
    const {runner, outcomes} = createRunner([
      "query:uptime=true",
      "query:uptime=echo first",
      'query=echo second; touch "$DIR/second-ran"',
    ]);
    const q = query("uptime");
    runner.enqueue(q.event);
    await runner.idle();
    expect(q.answers).toEqual(["first\n"]);
    expect(outcomes.map((o) => o.answer)).toEqual([undefined, "sent", "notSent"]);
    expect(existsSync(join(dir, "second-ran"))).toBe(true);
  });

  it("answers a query while a slow member handler is still running", async () => {
    const {runner, outcomes} = createRunner(
      [
        'member-failed=while [ ! -e "$DIR/release" ]; do sleep 0.02; done',
        'query:uptime=echo up; touch "$DIR/release"',
      ],
      {timeoutMs: 5_000},
    );
    runner.enqueue(failed);
    const q = query("uptime");
    runner.enqueue(q.event);
    await runner.idle();
    // The member handler only ends once the query handler ran: the query did not wait behind it.
    expect(q.answers).toEqual(["up\n"]);
    expect(outcomes.map((o) => o.event)).toEqual(["query", "member-failed"]);
  });

  it("does not run a query whose deadline passed while it waited for a query slot", async () => {
    const {runner, outcomes, log} = createRunner(["query:slow=sleep 0.4; echo slow", "query:fast=echo fast"], {
      maxQueryRuns: 1,
    });
    const slow = query("slow");
    const fast = query("fast", {deadlineInMs: 150});
    runner.enqueue(slow.event);
    runner.enqueue(fast.event);
    await runner.idle();
    expect(slow.answers).toEqual(["slow\n"]);
    expect(fast.answers).toEqual([]);
    expect(outcomes.map((o) => o.name)).toEqual(["slow"]);
    expect(runner.stats.queriesExpired).toBe(1);
    expect(log.some((line) => line.includes("query:fast") && line.includes("not run"))).toBe(true);
  });

  it("does not send the output of a query handler that finished after the deadline", async () => {
    const {runner, outcomes} = createRunner(["query:late=sleep 0.3; echo late"]);
    const q = query("late", {deadlineInMs: 100});
    runner.enqueue(q.event);
    await runner.idle();
    expect(q.answers).toEqual([]);
    expect(outcomes[0]?.answer).toBe("late");
    expect(outcomes[0]?.exitCode).toBe(0); // not killed at the deadline: its side effects may matter
    expect(runner.stats.queryResponsesLate).toBe(1);
  });

  it("runs * handlers for user events and queries too, as serf does", async () => {
    const {runner} = createRunner(['echo "$LIFELINE_EVENT" >> "$DIR/log"; echo answer']);
    const q = query("anything");
    runner.enqueue(userEvent("deploy", 1, "v1"));
    runner.enqueue(q.event);
    await runner.idle();
    expect(readFileSync(join(dir, "log"), "utf8").split("\n").sort()).toEqual(["", "query", "user"]);
    expect(q.answers).toEqual(["answer\n"]);
  });
});
