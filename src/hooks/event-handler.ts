/*
 * Event handlers: the classic "recovery action". On a member or heartbeat event the agent runs
 * a user command, like Serf's `-event-handler` (docs/memberlist-wire.md §9.5):
 *
 *   lifeline agent --event-handler member-failed,member-leave=/usr/local/bin/failover
 *
 *   /bin/sh -c COMMAND
 *     env:   LIFELINE_EVENT=member-failed  LIFELINE_SELF_NAME=web-1  LIFELINE_SELF_TAGS=role=web,dc=a
 *            LIFELINE_TAG_<KEY>=<value> for each of our tags (KEY upper-cased, non-alphanumerics → _)
 *     stdin: one line per member:  name<TAB>addr<TAB>state<TAB>tags   (tags as k=v,k=v)
 *     stdout/stderr → the agent's log, line by line
 *
 * Like serf, waiting runs coalesce: an event joins the handler's latest waiting run when it is
 * the same event (several stdin lines, one run), so a burst of joins runs a handler once.
 *
 * Handlers run one at a time per agent, in event order, each under a timeout (the whole
 * process group is killed on timeout, so `sh -c 'sleep 100; …'` dies too). The protocol never
 * waits for them: `enqueue` only appends to a bounded queue; when the queue is full the event is
 * dropped and counted. A handler that fails (non-zero exit, signal, spawn error) is logged and
 * counted; the next one runs.
 *
 *   member event ─▶ enqueue (bounded) ─▶ worker: spawn ─▶ write stdin ─▶ wait exit | timeout ─▶ next
 */
import {type ChildProcess, spawn} from "node:child_process";
import {InvalidConfigError} from "../core/index.ts";

/** Every event name a handler can subscribe to. */
export const HANDLER_EVENTS = [
  "member-join",
  "member-leave",
  "member-failed",
  "member-update",
  "member-suspect",
  "heartbeat-up",
  "heartbeat-down",
] as const;

/** An event name a handler can subscribe to. */
export type HandlerEventName = (typeof HANDLER_EVENTS)[number];

/** One `--event-handler` value, parsed. */
export interface EventHandlerSpec {
  /** The events that run the command; `"*"` for all. */
  readonly events: "*" | ReadonlySet<HandlerEventName>;
  /** Passed to `/bin/sh -c`. */
  readonly command: string;
}

/** A member (or heartbeat device) as a handler sees it on stdin. */
export interface HandlerMember {
  readonly name: string;
  /** "host:port" ("[v6]:port"), or a bare host. */
  readonly addr: string;
  readonly state: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** One event for the handlers. */
export interface HandlerEvent {
  readonly event: HandlerEventName;
  readonly members: readonly HandlerMember[];
}

const FILTER_SHAPE = /^[a-z*][a-z*,-]*$/;

/**
 * Parses `[FILTER=]COMMAND`. FILTER is a comma-separated list of event names or `*`. The text
 * before the first `=` is taken as a filter only when it looks like one (lower-case letters,
 * `-`, `,`, `*`); so `FOO=1 ./script` is a plain command. A filter-shaped prefix with an unknown
 * name is an error (a typo must not silently turn into a command); write `*=COMMAND` to run a
 * command that itself starts with `word=`.
 */
export function parseEventHandler(text: string): EventHandlerSpec {
  if (typeof text !== "string" || text.trim() === "")
    throw new InvalidConfigError("eventHandler", "must be [FILTER=]COMMAND");
  const eq = text.indexOf("=");
  const prefix = eq > 0 ? text.slice(0, eq) : "";
  if (eq > 0 && FILTER_SHAPE.test(prefix)) {
    const command = text.slice(eq + 1);
    if (command.trim() === "") throw new InvalidConfigError("eventHandler", `needs a command after "${prefix}="`);
    const names = prefix.split(",");
    if (names.includes("*")) {
      if (names.length > 1) throw new InvalidConfigError("eventHandler", `"*" cannot be combined with other events`);
      return {events: "*", command};
    }
    const events = new Set<HandlerEventName>();
    for (const name of names) {
      if (!(HANDLER_EVENTS as readonly string[]).includes(name)) {
        throw new InvalidConfigError(
          "eventHandler",
          `unknown event ${JSON.stringify(name)}; must be one of ${HANDLER_EVENTS.join(", ")} or *`,
        );
      }
      events.add(name as HandlerEventName);
    }
    return {events, command};
  }
  return {events: "*", command: text};
}

/** Whether `spec` runs for `event`. */
export function handlesEvent(spec: EventHandlerSpec, event: HandlerEventName): boolean {
  return spec.events === "*" || spec.events.has(event);
}

/** Control characters would forge extra stdin lines or break the environment; replace them. */
function clean(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  return text.replace(/[\u0000-\u001f\u007f]/g, " ");
}

/** `k=v,k=v`, keys sorted (stable output for scripts and tests). */
export function formatHandlerTags(tags: Readonly<Record<string, string>>): string {
  return Object.keys(tags)
    .sort()
    .map((key) => `${clean(key)}=${clean(tags[key] as string)}`)
    .join(",");
}

/** The stdin a handler gets: one `name\taddr\tstate\ttags\n` line per member. */
export function formatHandlerInput(members: readonly HandlerMember[]): string {
  return members
    .map((m) => `${clean(m.name)}\t${clean(m.addr)}\t${clean(m.state)}\t${formatHandlerTags(m.tags)}\n`)
    .join("");
}

/** The variables a handler gets on top of the agent's own environment. */
export function handlerEnvironment(
  event: HandlerEventName,
  self: {readonly name: string; readonly tags: Readonly<Record<string, string>>},
): Record<string, string> {
  const env: Record<string, string> = {
    LIFELINE_EVENT: event,
    LIFELINE_SELF_NAME: clean(self.name),
    LIFELINE_SELF_TAGS: formatHandlerTags(self.tags),
  };
  for (const [key, value] of Object.entries(self.tags)) {
    env[`LIFELINE_TAG_${key.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`] = clean(value);
  }
  return env;
}

/** Runner options. */
export interface EventHandlerRunnerInit {
  readonly handlers: readonly EventHandlerSpec[];
  /** Our name and tags, read at each run (tags can change). */
  readonly self: () => {readonly name: string; readonly tags: Readonly<Record<string, string>>};
  /** Kill a handler's process group after this long. Default 30000. Integer 1..86400000. */
  readonly timeoutMs?: number;
  /** Handler runs waiting to start; beyond it events are dropped and counted. Default 256. */
  readonly maxQueued?: number;
  /** Output kept per run (bytes, stdout + stderr); the rest is counted, not logged. Default 64 KiB. */
  readonly maxOutputBytes?: number;
  /** Where handler output and outcomes go, one line per call. Default: nowhere. */
  readonly log?: (line: string) => void;
  /** The shell. Default "/bin/sh". */
  readonly shell?: string;
  /**
   * Base environment. Default: the agent's process.env. Inherited `LIFELINE_*` variables are
   * removed, so a handler's `LIFELINE_*` variables always describe the event it runs for.
   */
  readonly env?: NodeJS.ProcessEnv;
}

/** How one handler run ended. */
export interface HandlerOutcome {
  readonly event: HandlerEventName;
  readonly command: string;
  /** Exit code, or null when killed by a signal or never started. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  /** Set when the process could not be started. */
  readonly error?: string;
  readonly durationMs: number;
}

/** Counters, monotonic. */
export interface EventHandlerStats {
  /** Runs queued (one per matching handler per event, unless coalesced). */
  queued: number;
  /** Events merged into a waiting run of the same handler and event. */
  coalesced: number;
  started: number;
  succeeded: number;
  /** Non-zero exit, killed by a signal, or could not start. */
  failed: number;
  timedOut: number;
  /** Runs dropped because the queue was full. */
  dropped: number;
  /** Output bytes not logged because a run exceeded maxOutputBytes. */
  outputBytesDropped: number;
}

interface Job {
  readonly spec: EventHandlerSpec;
  readonly event: HandlerEventName;
  // BOUNDED: at most COALESCE_MEMBERS_MAX members (then a new job starts).
  readonly members: HandlerMember[];
}

/** Members one coalesced run gets on stdin, at most. */
const COALESCE_MEMBERS_MAX = 1024;

/** Runs event handlers one at a time, in order, never blocking the caller. */
export class EventHandlerRunner {
  readonly stats: EventHandlerStats = {
    queued: 0,
    coalesced: 0,
    started: 0,
    succeeded: 0,
    failed: 0,
    timedOut: 0,
    dropped: 0,
    outputBytesDropped: 0,
  };
  private readonly handlers: readonly EventHandlerSpec[];
  private readonly self: EventHandlerRunnerInit["self"];
  private readonly timeoutMs: number;
  private readonly maxQueued: number;
  private readonly maxOutputBytes: number;
  private readonly log: (line: string) => void;
  private readonly shell: string;
  private readonly env: NodeJS.ProcessEnv;
  // BOUNDED: at most maxQueued jobs; enqueue drops and counts beyond it.
  private readonly queue: Job[] = [];
  private running: ChildProcess | undefined;
  private working = false;
  private stopped = false;
  // BOUNDED: resolved and cleared each time the runner becomes idle; one entry per idle() caller.
  private idleWaiters: (() => void)[] = [];
  private outcomeListener: ((outcome: HandlerOutcome) => void) | undefined;

  constructor(init: EventHandlerRunnerInit) {
    const timeoutMs = init.timeoutMs ?? 30_000;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 86_400_000) {
      throw new InvalidConfigError(
        "eventHandler",
        `timeout must be an integer between 1 and 86400000 ms (got ${timeoutMs})`,
      );
    }
    const maxQueued = init.maxQueued ?? 256;
    if (!Number.isInteger(maxQueued) || maxQueued < 1) {
      throw new InvalidConfigError("eventHandler", `maxQueued must be an integer ≥ 1 (got ${maxQueued})`);
    }
    this.handlers = init.handlers;
    this.self = init.self;
    this.timeoutMs = timeoutMs;
    this.maxQueued = maxQueued;
    this.maxOutputBytes = init.maxOutputBytes ?? 64 * 1024;
    this.log = init.log ?? (() => undefined);
    this.shell = init.shell ?? "/bin/sh";
    this.env = withoutLifelineVariables(init.env ?? process.env);
  }

  /** Number of configured handlers. */
  get size(): number {
    return this.handlers.length;
  }

  /** Runs waiting to start. */
  get pending(): number {
    return this.queue.length;
  }

  /** Called after every run (for tests and metrics). */
  onOutcome(listener: (outcome: HandlerOutcome) => void): void {
    this.outcomeListener = listener;
  }

  /** Queues a run of every handler whose filter matches. Never blocks, never throws. */
  enqueue(event: HandlerEvent): void {
    if (this.stopped) return;
    for (const spec of this.handlers) {
      if (!handlesEvent(spec, event.event)) continue;
      // Coalesce, as serf does: when this handler's latest waiting run is for the same event, the
      // members join it (one run, several stdin lines). A join that brings in 500 members runs
      // the member-join handler once or twice, not 500 times. Each handler still sees its
      // events in order: only its latest waiting run is extended.
      const latest = this.latestWaiting(spec);
      if (
        latest &&
        latest.event === event.event &&
        latest.members.length + event.members.length <= COALESCE_MEMBERS_MAX
      ) {
        latest.members.push(...event.members);
        this.stats.coalesced++;
        continue;
      }
      if (this.queue.length >= this.maxQueued) {
        this.stats.dropped++;
        this.log(`event handler queue full (${this.maxQueued}); dropped ${event.event} for ${spec.command}`);
        continue;
      }
      this.stats.queued++;
      this.queue.push({spec, event: event.event, members: [...event.members]});
    }
    if (!this.working && this.queue.length > 0) {
      // Start on a later turn: spawning is synchronous and can take milliseconds; the caller
      // (the protocol's event dispatch) must not wait for it.
      this.working = true;
      setImmediate(() => void this.work());
    }
  }

  private latestWaiting(spec: EventHandlerSpec): Job | undefined {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const job = this.queue[i] as Job;
      if (job.spec === spec) return job;
    }
    return undefined;
  }

  /** Resolves when no run is queued or running. */
  idle(): Promise<void> {
    if (!this.working && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops queued runs and kills the running one (its whole process group). Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    if (this.running) killGroup(this.running);
    await this.idle();
  }

  async work(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const job = this.queue.shift() as Job;
        const outcome = await this.run(job);
        this.record(outcome);
      }
    } finally {
      this.working = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private record(outcome: HandlerOutcome): void {
    if (outcome.timedOut) this.stats.timedOut++;
    if (outcome.exitCode === 0 && !outcome.timedOut) this.stats.succeeded++;
    else this.stats.failed++;
    const how = outcome.error
      ? `could not start: ${outcome.error}`
      : outcome.timedOut
        ? `timed out after ${this.timeoutMs} ms; process group killed`
        : outcome.signal
          ? `killed by ${outcome.signal}`
          : `exited ${outcome.exitCode}`;
    this.log(`event handler ${outcome.event} ${JSON.stringify(outcome.command)} ${how} (${outcome.durationMs} ms)`);
    try {
      this.outcomeListener?.(outcome);
    } catch {
      // a listener's bug must not stop the worker
    }
  }

  private run(job: Job): Promise<HandlerOutcome> {
    const {spec, event, members} = job;
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    this.stats.started++;
    return new Promise((resolve) => {
      let child: ChildProcess;
      try {
        child = spawn(this.shell, ["-c", spec.command], {
          env: {...this.env, ...handlerEnvironment(event, this.self())},
          stdio: ["pipe", "pipe", "pipe"],
          detached: true, // own process group, so a timeout kills the whole tree
        });
      } catch (error) {
        resolve({
          event: event,
          command: spec.command,
          exitCode: null,
          signal: null,
          timedOut: false,
          error: (error as Error).message,
          durationMs: elapsed(),
        });
        return;
      }
      this.running = child;
      let timedOut = false;
      let spawnError: string | undefined;
      let outputBytes = 0;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child);
      }, this.timeoutMs);
      const pipeLines = (stream: NodeJS.ReadableStream | null, name: string): void => {
        if (!stream) return;
        let partial = "";
        stream.setEncoding("utf8");
        stream.on("data", (chunk: string) => {
          const bytes = Buffer.byteLength(chunk);
          if (outputBytes + bytes > this.maxOutputBytes) {
            this.stats.outputBytesDropped += bytes;
            return;
          }
          outputBytes += bytes;
          partial += chunk;
          const lines = partial.split("\n");
          partial = lines.pop() ?? "";
          for (const line of lines) this.log(`event handler ${event} ${name}: ${line}`);
        });
        stream.on("end", () => {
          if (partial !== "") this.log(`event handler ${event} ${name}: ${partial}`);
        });
      };
      pipeLines(child.stdout, "stdout");
      pipeLines(child.stderr, "stderr");
      // A handler that does not read stdin closes it early: EPIPE is expected, not an error.
      child.stdin?.on("error", () => undefined);
      child.stdin?.end(formatHandlerInput(members));
      let exit: {code: number | null; signal: string | null} | undefined;
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearTimeout(closeGrace);
        this.running = undefined;
        // A grandchild that escaped the group may hold the pipes open; do not wait for it.
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve({
          event: event,
          command: spec.command,
          exitCode: spawnError ? null : (exit?.code ?? null),
          signal: exit?.signal ?? null,
          timedOut,
          ...(spawnError ? {error: spawnError} : {}),
          durationMs: elapsed(),
        });
      };
      let closeGrace: ReturnType<typeof setTimeout> | undefined;
      child.once("error", (error) => {
        spawnError = error.message;
        closeGrace = setTimeout(finish, 200);
      });
      child.once("exit", (code, signal) => {
        exit = {code, signal};
        // Normally "close" follows at once (the pipes drain); give it a moment, then move on.
        closeGrace = setTimeout(finish, 200);
      });
      child.once("close", (code, signal) => {
        exit ??= {code, signal};
        finish();
      });
    });
  }
}

/** SIGKILL the child's process group (it leads one: spawned detached); fall back to the child. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** A copy of `env` without `LIFELINE_*` variables (those are set per event). */
function withoutLifelineVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) if (!key.startsWith("LIFELINE_")) out[key] = value;
  return out;
}
