/*
 * Event handlers: the classic "recovery action". On a member, heartbeat or user event, or a
 * query, the agent runs a user command, like serf's `-event-handler` (handler-spec.ts for the
 * filters, handler-input.ts for the environment and stdin, handler-process.ts for one run):
 *
 *   lifeline agent --event-handler member-failed,member-leave=/usr/local/bin/failover \
 *                  --event-handler user:deploy=/usr/local/bin/deploy \
 *                  --event-handler 'query:uptime=uptime'
 *
 * Two lanes, so a query's answer is never stuck behind a slow member handler:
 *
 *   member / heartbeat event ─────────────────────┐
 *   user event ─▶ coalescer (user-coalescer.ts) ──┴▶ event lane: one run at a time, in order
 *   query ─▶ query lane: up to maxQueryRuns queries at once; a query's matching handlers run in
 *            turn; the first that exits 0 with output answers it (its stdout, at most
 *            queryResponseSizeLimit bytes), if the query's deadline has not passed
 *
 * Serf runs every handler, queries included, in one line (agent.go's event loop), so there a
 * slow member-join script can make a query miss its deadline; here it cannot. A query that waits
 * for a free query slot past its deadline is not run (counted `queriesExpired`): its answer could
 * no longer be sent. A query handler that runs past the deadline is not killed for it (its side
 * effects may be the point, and serf does not kill it either) — only by the usual timeout; its
 * output is then logged and counted (`queryResponsesLate`), not sent. Unlike serf, which answers
 * with stdout and stderr mixed, the answer is stdout alone; stderr goes to the log.
 *
 * Member events coalesce as before: an event joins the handler's latest waiting run when it is
 * the same event (several stdin lines, one run), so a burst of joins runs a handler once. User
 * events coalesce as serf's do (only the latest LTime per name within a window; see
 * user-coalescer.ts). The protocol never waits: `enqueue` only appends to bounded queues; when a
 * queue is full the event is dropped and counted. A handler that fails (non-zero exit, signal,
 * spawn error) is logged and counted; the next one runs.
 */
import {InvalidConfigError} from "../core/index.ts";
import {
  formatHandlerInput,
  formatPayloadInput,
  type HandlerEnvEvent,
  type HandlerMember,
  type HandlerSelf,
  handlerEnvironment,
  withoutEventVariables,
} from "./handler-input.ts";
import {type HandlerProcess, type HandlerProcessResult, startHandlerProcess} from "./handler-process.ts";
import {type EventHandlerSpec, type HandlerEventName, handlesEvent} from "./handler-spec.ts";
import {USER_COALESCE_DEFAULTS, type UserCoalesceConfig, UserEventCoalescer} from "./user-coalescer.ts";

/** A member or heartbeat event for the handlers. */
export interface MemberHandlerEvent {
  readonly event: HandlerEventName;
  readonly members: readonly HandlerMember[];
}

/** A user event for the handlers (serf's `serf event`, or `agent.event`). */
export interface UserHandlerEvent {
  readonly event: "user";
  readonly name: string;
  readonly payload: Uint8Array;
  readonly lTime: number;
  /** Whether the sender allowed coalescing. */
  readonly coalesce: boolean;
}

/** What answering a query may end in (the agent maps its serf layer's refusals onto these). */
export type QueryAnswer = "sent" | "answered" | "late" | "tooLarge";

/** A query for the handlers. */
export interface QueryHandlerEvent {
  readonly event: "query";
  readonly name: string;
  readonly payload: Uint8Array;
  readonly lTime: number;
  /** The querying member. */
  readonly from: string;
  /** On performance.now()'s clock: after it, no response is accepted. */
  readonly deadlineMs: number;
  /** Sends the response; says whether it went or why not. Must not throw. */
  respond(payload: Uint8Array): QueryAnswer;
}

/** One event for the handlers. */
export type HandlerEvent = MemberHandlerEvent | UserHandlerEvent | QueryHandlerEvent;

/** Runner options. */
export interface EventHandlerRunnerInit {
  readonly handlers: readonly EventHandlerSpec[];
  /** Our name and tags, read at each run (tags can change). */
  readonly self: () => HandlerSelf;
  /** Kill a handler's process group after this long. Default 30000. Integer 1..86400000. */
  readonly timeoutMs?: number;
  /** Runs waiting to start, per lane; beyond it events are dropped and counted. Default 256. */
  readonly maxQueued?: number;
  /** Queries whose handlers run at the same time. Default 4. Integer 1..64. */
  readonly maxQueryRuns?: number;
  /** Largest query answer in bytes (serf's QueryResponseSizeLimit); more is not sent. Default 1024. */
  readonly queryResponseSizeLimit?: number;
  /** User-event coalescing periods (serf agent's defaults: 3000 and 1000 ms; 0 turns it off). */
  readonly userCoalesce?: UserCoalesceConfig;
  /** Output kept per run (bytes, stdout + stderr); the rest is counted, not logged. Default 64 KiB. */
  readonly maxOutputBytes?: number;
  /** Where handler output and outcomes go, one line per call. Default: nowhere. */
  readonly log?: (line: string) => void;
  /** The shell. Default "/bin/sh". */
  readonly shell?: string;
  /**
   * Base environment. Default: the agent's process.env. Inherited per-event variables
   * (`LIFELINE_*`, SERF_EVENT, SERF_USER_*, …) are removed, so a run's variables always describe
   * the event it runs for.
   */
  readonly env?: NodeJS.ProcessEnv;
}

/** How one handler run ended. */
export interface HandlerOutcome {
  readonly event: HandlerEventName | "user" | "query";
  /** The user event's or query's name. */
  readonly name?: string;
  readonly command: string;
  /** Exit code, or null when killed by a signal or never started. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  /** Set when the process could not be started. */
  readonly error?: string;
  readonly durationMs: number;
  /** For a query run: what became of its output (undefined: it gave none, or failed). */
  readonly answer?: QueryAnswer | "notSent";
}

/** Counters, monotonic. */
export interface EventHandlerStats {
  /** Runs queued (one per matching handler per event, unless coalesced). */
  queued: number;
  /** Member events merged into a waiting run, and user events superseded by a later LTime. */
  coalesced: number;
  started: number;
  succeeded: number;
  /** Non-zero exit, killed by a signal, or could not start. */
  failed: number;
  timedOut: number;
  /** Runs dropped because a queue was full. */
  dropped: number;
  /** Output bytes not logged because a run exceeded maxOutputBytes. */
  outputBytesDropped: number;
  /** Query answers sent. */
  queryResponses: number;
  /** Query answers not sent: larger than queryResponseSizeLimit. */
  queryResponsesTooLarge: number;
  /** Query answers not sent: the handler finished after the query's deadline. */
  queryResponsesLate: number;
  /** Queries not run: their deadline passed while they waited for a query slot. */
  queriesExpired: number;
}

interface EventJob {
  readonly spec: EventHandlerSpec;
  readonly event: MemberHandlerEvent | UserHandlerEvent;
  // BOUNDED: at most COALESCE_MEMBERS_MAX members (then a new job starts).
  readonly members: HandlerMember[];
}

interface QueryJob {
  readonly specs: readonly EventHandlerSpec[];
  readonly query: QueryHandlerEvent;
}

/** Members one coalesced run gets on stdin, at most. */
const COALESCE_MEMBERS_MAX = 1024;

/** Runs event handlers in two lanes (events in order, queries beside them), never blocking the caller. */
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
    queryResponses: 0,
    queryResponsesTooLarge: 0,
    queryResponsesLate: 0,
    queriesExpired: 0,
  };
  private readonly handlers: readonly EventHandlerSpec[];
  private readonly self: () => HandlerSelf;
  private readonly timeoutMs: number;
  private readonly maxQueued: number;
  private readonly maxQueryRuns: number;
  private readonly queryResponseSizeLimit: number;
  private readonly maxOutputBytes: number;
  private readonly log: (line: string) => void;
  private readonly shell: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly coalescer: UserEventCoalescer<UserHandlerEvent>;
  private coalesceTimer: ReturnType<typeof setTimeout> | undefined;
  // BOUNDED: at most maxQueued jobs; enqueue drops and counts beyond it.
  private readonly queue: EventJob[] = [];
  // BOUNDED: at most maxQueued jobs; enqueue drops and counts beyond it.
  private readonly queryQueue: QueryJob[] = [];
  // BOUNDED: one per running lane slot (1 + maxQueryRuns).
  private readonly running = new Set<HandlerProcess>();
  private working = false;
  private queryWorkers = 0;
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
    const maxQueryRuns = init.maxQueryRuns ?? 4;
    if (!Number.isInteger(maxQueryRuns) || maxQueryRuns < 1 || maxQueryRuns > 64) {
      throw new InvalidConfigError(
        "eventHandler",
        `maxQueryRuns must be an integer between 1 and 64 (got ${maxQueryRuns})`,
      );
    }
    const queryResponseSizeLimit = init.queryResponseSizeLimit ?? 1024;
    if (!Number.isInteger(queryResponseSizeLimit) || queryResponseSizeLimit < 1) {
      throw new InvalidConfigError("queryResponseSizeLimit", `must be an integer ≥ 1 (got ${queryResponseSizeLimit})`);
    }
    this.handlers = init.handlers;
    this.self = init.self;
    this.timeoutMs = timeoutMs;
    this.maxQueued = maxQueued;
    this.maxQueryRuns = maxQueryRuns;
    this.queryResponseSizeLimit = queryResponseSizeLimit;
    this.maxOutputBytes = init.maxOutputBytes ?? 64 * 1024;
    this.log = init.log ?? (() => undefined);
    this.shell = init.shell ?? "/bin/sh";
    this.env = withoutEventVariables(init.env ?? process.env);
    this.coalescer = new UserEventCoalescer(init.userCoalesce ?? USER_COALESCE_DEFAULTS);
  }

  /** Number of configured handlers. */
  get size(): number {
    return this.handlers.length;
  }

  /** Runs waiting to start, both lanes. */
  get pending(): number {
    return this.queue.length + this.queryQueue.length;
  }

  /** User events held by coalescing now (they run when their window closes). */
  get held(): number {
    return this.coalescer.size;
  }

  /** Called after every run (for tests and metrics). */
  onOutcome(listener: (outcome: HandlerOutcome) => void): void {
    this.outcomeListener = listener;
  }

  /** Queues the runs of every handler whose filter matches. Never blocks, never throws. */
  enqueue(event: HandlerEvent): void {
    if (this.stopped) return;
    if (event.event === "query") this.enqueueQuery(event);
    else if (event.event === "user") this.offerUserEvent(event);
    else this.enqueueEvent(event);
  }

  /**
   * Lets every user event held by coalescing through now, as if its window had closed (the
   * timer does this on its own; tests and a graceful shutdown call it directly).
   */
  flushUserEvents(): void {
    if (this.coalesceTimer !== undefined) clearTimeout(this.coalesceTimer);
    this.coalesceTimer = undefined;
    this.release(this.coalescer.flush());
  }

  /** Resolves when no run is queued or running (user events held by coalescing do not count). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops queued and held runs and kills the running ones (their whole process groups). Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    this.queryQueue.length = 0;
    if (this.coalesceTimer !== undefined) clearTimeout(this.coalesceTimer);
    this.coalesceTimer = undefined;
    this.coalescer.flush();
    for (const run of this.running) run.kill();
    await this.idle();
  }

  // ---- the event lane ------------------------------------------------------------------------

  private offerUserEvent(event: UserHandlerEvent): void {
    if (!this.handlers.some((spec) => handlesEvent(spec, event))) return;
    const before = this.coalescer.superseded;
    const pass = this.coalescer.offer(performance.now(), event);
    this.stats.coalesced += this.coalescer.superseded - before;
    this.release(pass);
    this.armCoalesceTimer();
  }

  private armCoalesceTimer(): void {
    const due = this.coalescer.dueMs;
    if (due === undefined || this.stopped) return;
    if (this.coalesceTimer !== undefined) clearTimeout(this.coalesceTimer);
    this.coalesceTimer = setTimeout(
      () => {
        this.coalesceTimer = undefined;
        this.release(this.coalescer.flushDue(performance.now()));
        this.armCoalesceTimer();
      },
      Math.max(0, due - performance.now()),
    );
    this.coalesceTimer.unref?.();
  }

  /** Queues runs for user events let through (passed, or flushed by the coalescer). */
  private release(events: readonly UserHandlerEvent[]): void {
    for (const event of events) this.enqueueEvent(event);
  }

  private enqueueEvent(event: MemberHandlerEvent | UserHandlerEvent): void {
    if (this.stopped) return;
    const members = event.event === "user" ? [] : event.members;
    for (const spec of this.handlers) {
      if (!handlesEvent(spec, event)) continue;
      // Coalesce member events, as serf does: when this handler's latest waiting run is for the
      // same event, the members join it (one run, several stdin lines). A join that brings in
      // 500 members runs the member-join handler once or twice, not 500 times. Each handler still
      // sees its events in order: only its latest waiting run is extended.
      const latest = event.event === "user" ? undefined : this.latestWaiting(spec);
      if (
        latest &&
        latest.event.event === event.event &&
        latest.members.length + members.length <= COALESCE_MEMBERS_MAX
      ) {
        latest.members.push(...members);
        this.stats.coalesced++;
        continue;
      }
      if (this.queue.length >= this.maxQueued) {
        this.stats.dropped++;
        this.log(`event handler queue full (${this.maxQueued}); dropped ${describe(event)} for ${spec.command}`);
        continue;
      }
      this.stats.queued++;
      this.queue.push({spec, event, members: [...members]});
    }
    if (!this.working && this.queue.length > 0) {
      // Start on a later turn: spawning is synchronous and can take milliseconds; the caller
      // (the protocol's event dispatch) must not wait for it.
      this.working = true;
      setImmediate(() => void this.work());
    }
  }

  private latestWaiting(spec: EventHandlerSpec): EventJob | undefined {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const job = this.queue[i] as EventJob;
      if (job.spec === spec) return job;
    }
    return undefined;
  }

  private async work(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const job = this.queue.shift() as EventJob;
        const {event} = job;
        const result = await this.run(
          job.spec,
          event.event === "user" ? {event: "user", name: event.name, lTime: event.lTime} : {event: event.event},
          event.event === "user" ? formatPayloadInput(event.payload) : formatHandlerInput(job.members),
        );
        this.record(job.spec, event, result);
      }
    } finally {
      this.working = false;
      this.wakeIdle();
    }
  }

  // ---- the query lane ------------------------------------------------------------------------

  private enqueueQuery(query: QueryHandlerEvent): void {
    const specs = this.handlers.filter((spec) => handlesEvent(spec, query));
    if (specs.length === 0) return;
    if (this.queryQueue.length >= this.maxQueued) {
      this.stats.dropped++;
      this.log(`event handler query queue full (${this.maxQueued}); dropped ${describe(query)}`);
      return;
    }
    this.stats.queued += specs.length;
    this.queryQueue.push({specs, query});
    while (this.queryWorkers < this.maxQueryRuns && this.queryWorkers < this.queryQueue.length) {
      this.queryWorkers++;
      setImmediate(() => void this.workQueries());
    }
  }

  private async workQueries(): Promise<void> {
    try {
      while (this.queryQueue.length > 0 && !this.stopped) {
        const job = this.queryQueue.shift() as QueryJob;
        await this.answer(job);
      }
    } finally {
      this.queryWorkers--;
      this.wakeIdle();
    }
  }

  /** Runs a query's handlers in turn; the first that exits 0 with output answers it. */
  private async answer({specs, query}: QueryJob): Promise<void> {
    let answered = false;
    for (const spec of specs) {
      if (this.stopped) return;
      if (performance.now() >= query.deadlineMs) {
        if (!answered) {
          this.stats.queriesExpired++;
          this.log(
            `event handler ${describe(query)}: deadline passed before ${JSON.stringify(spec.command)} could start; not run`,
          );
        }
        return;
      }
      const result = await this.run(
        spec,
        {event: "query", name: query.name, lTime: query.lTime, from: query.from},
        formatPayloadInput(query.payload),
        this.queryResponseSizeLimit,
      );
      let answer: HandlerOutcome["answer"];
      const ok = result.exitCode === 0 && !result.timedOut && result.error === undefined;
      if (ok && (result.stdout.length > 0 || result.stdoutOverflow)) {
        answer = answered ? "notSent" : this.respond(query, result);
        if (answer === "sent") answered = true;
      }
      this.record(spec, query, result, answer);
    }
  }

  private respond(query: QueryHandlerEvent, result: HandlerProcessResult): NonNullable<HandlerOutcome["answer"]> {
    const what = describe(query);
    if (result.stdoutOverflow) {
      this.stats.queryResponsesTooLarge++;
      this.log(
        `event handler ${what}: output exceeds ${this.queryResponseSizeLimit} bytes (queryResponseSizeLimit); no response sent`,
      );
      return "tooLarge";
    }
    let answer: QueryAnswer;
    try {
      answer = performance.now() > query.deadlineMs ? "late" : query.respond(result.stdout);
    } catch (error) {
      this.log(`event handler ${what}: could not respond: ${(error as Error).message}`);
      return "notSent";
    }
    if (answer === "sent") this.stats.queryResponses++;
    else if (answer === "late") {
      this.stats.queryResponsesLate++;
      this.log(`event handler ${what}: finished after the query's deadline; no response sent`);
    } else if (answer === "tooLarge") {
      this.stats.queryResponsesTooLarge++;
      this.log(`event handler ${what}: the encoded response exceeds queryResponseSizeLimit; no response sent`);
    } else {
      this.log(`event handler ${what}: the query was already answered; output not sent`);
    }
    return answer;
  }

  // ---- both lanes ----------------------------------------------------------------------------

  private run(
    spec: EventHandlerSpec,
    env: HandlerEnvEvent,
    stdin: string | Uint8Array,
    captureStdoutBytes?: number,
  ): Promise<HandlerProcessResult> {
    this.stats.started++;
    const label = env.event === "user" || env.event === "query" ? `${env.event}:${env.name}` : env.event;
    const child = startHandlerProcess({
      shell: this.shell,
      command: spec.command,
      env: {...this.env, ...handlerEnvironment(env, this.self())},
      stdin,
      timeoutMs: this.timeoutMs,
      maxOutputBytes: this.maxOutputBytes,
      ...(captureStdoutBytes !== undefined ? {captureStdoutBytes} : {}),
      onLine: (stream, line) => this.log(`event handler ${label} ${stream}: ${line}`),
    });
    this.running.add(child);
    return child.done.finally(() => this.running.delete(child));
  }

  private record(
    spec: EventHandlerSpec,
    event: HandlerEvent,
    result: HandlerProcessResult,
    answer?: HandlerOutcome["answer"],
  ): void {
    this.stats.outputBytesDropped += result.outputBytesDropped;
    if (result.timedOut) this.stats.timedOut++;
    if (result.exitCode === 0 && !result.timedOut) this.stats.succeeded++;
    else this.stats.failed++;
    const how = result.error
      ? `could not start: ${result.error}`
      : result.timedOut
        ? `timed out after ${this.timeoutMs} ms; process group killed`
        : result.signal
          ? `killed by ${result.signal}`
          : `exited ${result.exitCode}`;
    this.log(`event handler ${describe(event)} ${JSON.stringify(spec.command)} ${how} (${result.durationMs} ms)`);
    const outcome: HandlerOutcome = {
      event: event.event,
      ...(event.event === "user" || event.event === "query" ? {name: event.name} : {}),
      command: spec.command,
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      ...(result.error !== undefined ? {error: result.error} : {}),
      durationMs: result.durationMs,
      ...(answer !== undefined ? {answer} : {}),
    };
    try {
      this.outcomeListener?.(outcome);
    } catch {
      // a listener's bug must not stop the worker
    }
  }

  private isIdle(): boolean {
    return !this.working && this.queryWorkers === 0 && this.queue.length === 0 && this.queryQueue.length === 0;
  }

  private wakeIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** `member-failed`, `user:deploy`, `query:uptime`: for log lines. */
function describe(event: HandlerEvent): string {
  return event.event === "user" || event.event === "query" ? `${event.event}:${event.name}` : event.event;
}
