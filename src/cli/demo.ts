/*
 * `lifeline demo`: a whole cluster on loopback in ~20 s. It starts N agents as child processes
 * (real sockets, local profile with 200 ms probes), shows a live member table (rows: who is
 * looking, columns: whom they see), SIGKILLs one agent — a real kill -9, no leave — and prints
 * who noticed and when, then stops another with SIGTERM (a graceful leave), and finally prints
 * the measured detection and dissemination times next to the bound the config implies.
 *
 * Observation is through each agent's HTTP API: /v1/events (Server-Sent Events) timestamps
 * every member event as it arrives here; /v1/members feeds the table.
 */
import {type ChildProcess, spawn} from "node:child_process";
import {existsSync} from "node:fs";
import {get, type IncomingMessage} from "node:http";
import {createInterface} from "node:readline";
import {fileURLToPath} from "node:url";
import type {AgentMember} from "../agent/index.ts";
import {detectionBound, localConfig, resolveConfig, type SwimConfig} from "../core/index.ts";
import type {CliIo} from "./command.ts";

export interface DemoOptions {
  readonly nodes: number;
  readonly io: CliIo;
  /** Use ANSI colours and redraw the table in place (default: stdout is a TTY and NO_COLOR unset). */
  readonly color?: boolean;
  /** Skip the pauses that let a human watch the table (for tests). Default false. */
  readonly quick?: boolean;
}

const PROBE_INTERVAL_MS = 200;
const PROBE_TIMEOUT_MS = 100;
/** Anti-entropy every 5 s (local profile: 15 s), so a start-up on a busy machine converges quickly. */
const PUSH_PULL_INTERVAL_MS = 5_000;
const CONVERGE_TIMEOUT_MS = 20_000;

interface DemoNode {
  readonly name: string;
  readonly child: ChildProcess;
  gossip: string;
  http: string;
  status: "running" | "killed" | "left";
  view: readonly AgentMember[];
  /** Highest Lifeguard awareness score seen on /v1/health since the last reset. */
  awareness: number;
  events?: IncomingMessage;
}

interface SeenEvent {
  readonly observer: string;
  readonly type: string;
  readonly member: string;
  readonly reason?: string;
  readonly atMs: number;
}

/** Runs the demo; returns the exit code (0 when every agent noticed both changes in time). */
export async function runDemo(options: DemoOptions): Promise<number> {
  const {io} = options;
  const color = options.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR);
  const paint = (code: string, text: string): string => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const bold = (t: string): string => paint("1", t);
  const dim = (t: string): string => paint("2", t);
  const bin = findBin();
  const pause = (ms: number): number => (options.quick ? 0 : ms);
  const config: SwimConfig = resolveConfig(
    {probeIntervalMs: PROBE_INTERVAL_MS, probeTimeoutMs: PROBE_TIMEOUT_MS, pushPullIntervalMs: PUSH_PULL_INTERVAL_MS},
    localConfig(),
  );
  const n = options.nodes;
  const bound = detectionBound(config, n);
  const nodes: DemoNode[] = [];
  const events: SeenEvent[] = [];
  const t0 = performance.now();
  const clock = (): number => performance.now() - t0;
  // BOUNDED: the demo's N child processes.
  const spawned = new Set<ChildProcess>();
  const killAll = (): void => {
    for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.once("exit", killAll);
  // Interrupted (Ctrl-C, kill): take the agents down too, then exit as the signal would.
  const onSignal = (signal: NodeJS.Signals): void => {
    killAll();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let table: LiveTable | undefined;
  const say = (text: string): void => {
    table?.freeze();
    io.stdout(`${text}\n`);
  };

  try {
    say(
      bold(`Lifeline demo — ${n} agents on 127.0.0.1, SWIM + Lifeguard, one process each`) +
        dim(
          `\n  local profile, probe every ${PROBE_INTERVAL_MS} ms (timeout ${PROBE_TIMEOUT_MS} ms), suspicion ${config.suspicionMult}×, gossip every ${config.gossipIntervalMs} ms, push-pull every ${PUSH_PULL_INTERVAL_MS / 1000} s`,
        ),
    );
    // 1. Start the agents: the first one, then the others joining it.
    const names = Array.from({length: n}, (_, i) => `node${i + 1}`);
    const startedAt = clock();
    const first = await startNode(bin, names[0] as string, [], spawned);
    nodes.push(first);
    const rest = await Promise.all(names.slice(1).map((name) => startNode(bin, name, [first.gossip], spawned)));
    nodes.push(...rest);
    const listeningAt = clock();
    for (const node of nodes) subscribe(node, events, clock);
    say(`\n${bold("▸ started")} ${nodes.map((x) => `${x.name} ${dim(x.gossip)}`).join(", ")}`);
    table = new LiveTable(io, nodes, paint);
    const converged = await waitFor(async () => {
      await refreshViews(nodes);
      table?.draw();
      return nodes.every((x) => x.view.filter((m) => m.state === "alive").length === n);
    }, CONVERGE_TIMEOUT_MS);
    const convergedMs = clock() - startedAt;
    const joinedMs = clock() - listeningAt;
    if (!converged) {
      table.freeze();
      say(paint("31", `✗ the agents did not converge within ${fmt(CONVERGE_TIMEOUT_MS)}`));
      return 1;
    }
    await watch(nodes, table, pause(2_500));
    say(
      `  every agent sees ${n} alive members ${dim(`(${fmt(joinedMs)} after the last agent started; ${fmt(convergedMs)} after the first was spawned)`)}`,
    );

    // 2. kill -9 one agent.
    const victim = nodes[Math.floor(n / 2)] as DemoNode;
    const observers = nodes.filter((x) => x !== victim);
    say(`\n${bold(`▸ kill -9 ${victim.name}`)} ${dim(`(pid ${victim.child.pid}; no leave, its sockets just vanish)`)}`);
    for (const o of observers) o.awareness = 0;
    const killAt = clock();
    victim.child.kill("SIGKILL");
    victim.status = "killed";
    victim.events?.destroy();
    // Lifeguard stretches an overloaded observer's probe interval by (awareness score + 1): the
    // bound follows the highest score the observers reported.
    const awareness = (): number => Math.max(0, ...observers.map((o) => o.awareness));
    const boundNow = (): number => detectionBound(config, n, awareness()).totalMs;
    const failedAll = await waitFor(
      async () => {
        await refreshViews(nodes);
        table?.draw();
        return observers.every((o) => findEvent(events, o.name, victim.name, "member:down", killAt));
      },
      detectionBound(config, n, config.awarenessMaxMultiplier).totalMs + 5_000,
      () => clock() - killAt > boundNow() + 5_000,
    );
    await watch(nodes, table, pause(1_000));
    const suspects = observers
      .map((o) => findEvent(events, o.name, victim.name, "member:suspect", killAt))
      .filter((e): e is SeenEvent => e !== undefined);
    const downs = observers
      .map((o) => findEvent(events, o.name, victim.name, "member:down", killAt))
      .filter((e): e is SeenEvent => e !== undefined)
      .sort((a, b) => a.atMs - b.atMs);
    const firstSuspect = suspects.sort((a, b) => a.atMs - b.atMs)[0];
    if (firstSuspect)
      say(`  ${dim(`+${fmt(firstSuspect.atMs - killAt)}`)}  ${firstSuspect.observer} suspects ${victim.name} first`);
    for (const down of downs) {
      say(`  ${dim(`+${fmt(down.atMs - killAt)}`)}  ${down.observer} marks ${victim.name} ${paint("31", "failed")}`);
    }
    if (!failedAll) {
      const missing = observers.filter((o) => !findEvent(events, o.name, victim.name, "member:down", killAt));
      say(paint("31", `✗ ${missing.map((m) => m.name).join(", ")} did not notice within ${fmt(boundNow() + 5_000)}`));
      return 1;
    }

    // 3. A graceful leave.
    const leaver = nodes[n - 1] as DemoNode;
    const remaining = observers.filter((x) => x !== leaver);
    say(`\n${bold(`▸ ${leaver.name} leaves gracefully`)} ${dim("(SIGTERM: it gossips its leave, then exits)")}`);
    const leaveAt = clock();
    leaver.child.kill("SIGTERM");
    const leftAll = await waitFor(async () => {
      await refreshViews(nodes);
      table?.draw();
      return remaining.every((o) => findEvent(events, o.name, leaver.name, "member:down", leaveAt));
    }, 10_000);
    leaver.status = "left";
    await new Promise<void>((resolve) => {
      if (leaver.child.exitCode !== null) resolve();
      else leaver.child.once("exit", () => resolve());
      setTimeout(resolve, 8_000).unref();
    });
    await watch(nodes, table, pause(1_000));
    const lefts = remaining
      .map((o) => findEvent(events, o.name, leaver.name, "member:down", leaveAt))
      .filter((e): e is SeenEvent => e !== undefined)
      .sort((a, b) => a.atMs - b.atMs);
    for (const left of lefts) {
      say(
        `  ${dim(`+${fmt(left.atMs - leaveAt)}`)}  ${left.observer} sees ${leaver.name} ${paint("33", left.reason ?? "left")}`,
      );
    }
    if (!leftAll) {
      say(paint("31", "✗ not every agent saw the leave within 10 s"));
      return 1;
    }

    // 4. Report.
    const firstDown = (downs[0] as SeenEvent).atMs - killAt;
    const lastDown = (downs[downs.length - 1] as SeenEvent).atMs - killAt;
    const lastLeft = lefts.length > 0 ? (lefts[lefts.length - 1] as SeenEvent).atMs - leaveAt : Number.NaN;
    say(`\n${bold("Results")} ${dim(`(${n} agents, measured here from each agent's /v1/events stream)`)}`);
    const row = (label: string, value: string, note = ""): void =>
      say(`  ${label.padEnd(46)} ${bold(value.padStart(7))}  ${dim(note)}`);
    row("convergence (last agent started → all see all)", fmt(joinedMs), `${fmt(convergedMs)} from the first spawn`);
    if (firstSuspect) row("kill -9 → first suspicion", fmt(firstSuspect.atMs - killAt));
    row("failure detection (kill -9 → first 'failed')", fmt(firstDown));
    row("dissemination (first → last 'failed')", fmt(lastDown - firstDown));
    const score = awareness();
    row(
      "kill -9 → every agent marked it failed",
      fmt(lastDown),
      `config bound ${fmt(boundNow())}${score > 0 ? ` (observers' awareness score reached ${score})` : ""}`,
    );
    row("graceful leave → every agent saw 'left'", fmt(lastLeft));
    say(
      dim(
        `  bound = first probe 2·(n−1)·${PROBE_INTERVAL_MS}·(score+1) + probe period ${PROBE_INTERVAL_MS}·(score+1) + max suspicion ${fmt(bound.suspicionMaxMs)} + gossip ${fmt(bound.disseminationMs)}`,
      ),
    );
    return 0;
  } finally {
    table?.freeze();
    for (const node of nodes) node.events?.destroy();
    await stopAll(nodes);
    killAll(); // any agent that was spawned but never reported it was listening
    process.off("exit", killAll);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function fmt(ms: number): string {
  return Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : "n/a";
}

function findBin(): string {
  for (const relative of ["../../../bin/lifeline", "../../bin/lifeline"]) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error("cannot find bin/lifeline next to the compiled CLI");
}

const LISTENING = /agent (\S+) listening on (\S+) advertise (\S+) http (\S+)/;

function startNode(bin: string, name: string, join: readonly string[], spawned: Set<ChildProcess>): Promise<DemoNode> {
  const args = [
    bin,
    "agent",
    "--name",
    name,
    "--bind",
    "127.0.0.1:0",
    "--http",
    "127.0.0.1:0",
    "--profile",
    "local",
    "--probe-interval-ms",
    String(PROBE_INTERVAL_MS),
    "--probe-timeout-ms",
    String(PROBE_TIMEOUT_MS),
    "--push-pull-interval-ms",
    String(PUSH_PULL_INTERVAL_MS),
    "--retry-join-interval-ms",
    "200",
    "--quiet",
    ...join.flatMap((seed) => ["--join", seed]),
  ];
  const child = spawn(process.execPath, args, {stdio: ["ignore", "ignore", "pipe"]});
  spawned.add(child);
  return new Promise((resolve, reject) => {
    const lines = createInterface({input: child.stderr as NodeJS.ReadableStream});
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not start within 10 s`));
    }, 10_000);
    const output: string[] = [];
    lines.on("line", (line) => {
      output.push(line);
      const match = LISTENING.exec(line);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        name,
        child,
        gossip: match[3] as string,
        http: match[4] as string,
        status: "running",
        view: [],
        awareness: 0,
      });
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited early (${signal ?? code}): ${output.join(" | ")}`));
    });
  });
}

function subscribe(node: DemoNode, events: SeenEvent[], clock: () => number): void {
  const request = get(`http://${node.http}/v1/events`, (res) => {
    node.events = res;
    res.setEncoding("utf8");
    let buffer = "";
    res.on("data", (chunk: string) => {
      const at = clock();
      buffer += chunk;
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const type = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (!type || !data) continue;
        try {
          const parsed = JSON.parse(data) as {member: AgentMember; reason?: string};
          events.push({
            observer: node.name,
            type,
            member: parsed.member.name,
            ...(parsed.reason ? {reason: parsed.reason} : {}),
            atMs: at,
          });
        } catch {
          // a malformed event line; ignore
        }
      }
    });
    res.on("error", () => {});
  });
  request.on("error", () => {});
}

function findEvent(
  events: readonly SeenEvent[],
  observer: string,
  member: string,
  type: string,
  since: number,
): SeenEvent | undefined {
  return events.find((e) => e.observer === observer && e.member === member && e.type === type && e.atMs >= since);
}

async function refreshViews(nodes: DemoNode[]): Promise<void> {
  await Promise.all(
    nodes
      .filter((node) => node.status === "running")
      .map(async (node) => {
        try {
          const [members, health] = await Promise.all([
            fetch(`http://${node.http}/v1/members`, {signal: AbortSignal.timeout(1_000)}),
            fetch(`http://${node.http}/v1/health`, {signal: AbortSignal.timeout(1_000)}),
          ]);
          if (members.ok) node.view = (await members.json()) as AgentMember[];
          const score = ((await health.json()) as {awarenessScore?: unknown}).awarenessScore;
          if (typeof score === "number") node.awareness = Math.max(node.awareness, score);
        } catch {
          // the agent is going away; keep the last view
        }
      }),
  );
}

async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  giveUp: () => boolean = () => false,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline && !giveUp()) {
    if (await check()) return true;
    await sleep(100);
  }
  return check();
}

async function watch(nodes: DemoNode[], table: LiveTable, ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    await refreshViews(nodes);
    table.draw();
    await sleep(150);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function stopAll(nodes: readonly DemoNode[]): Promise<void> {
  await Promise.all(
    nodes.map(
      (node) =>
        new Promise<void>((resolve) => {
          if (node.child.exitCode !== null || node.child.signalCode !== null) return resolve();
          node.child.once("exit", () => resolve());
          node.child.kill("SIGTERM");
          setTimeout(() => {
            node.child.kill("SIGKILL");
            resolve();
          }, 3_000).unref();
        }),
    ),
  );
}

/** The member matrix; redrawn in place on a TTY, printed once per freeze otherwise. */
class LiveTable {
  private readonly io: CliIo;
  private readonly nodes: readonly DemoNode[];
  private readonly paint: (code: string, text: string) => string;
  private readonly live: boolean;
  private lastLines = 0;
  private pending: string | undefined;

  constructor(io: CliIo, nodes: readonly DemoNode[], paint: (code: string, text: string) => string) {
    this.io = io;
    this.nodes = nodes;
    this.paint = paint;
    this.live = paint("1", "x") !== "x";
  }

  /** Renders the current views (in place on a TTY). */
  draw(): void {
    const text = this.render();
    if (!this.live) {
      this.pending = text;
      return;
    }
    const up = this.lastLines > 0 ? `\x1b[${this.lastLines}F\x1b[J` : "";
    this.io.stdout(`${up}${text}`);
    this.lastLines = text.split("\n").length - 1;
  }

  /** Keeps what is on screen and starts a fresh table on the next draw. */
  freeze(): void {
    if (!this.live && this.pending !== undefined) {
      this.io.stdout(this.pending);
      this.pending = undefined;
    }
    this.lastLines = 0;
  }

  private render(): string {
    const names = this.nodes.map((x) => x.name);
    const width = Math.max(7, ...names.map((x) => x.length + 1));
    const cell = (text: string, code: string): string => this.paint(code, text.padEnd(width));
    const header = `  ${"".padEnd(width + 6)}${names.map((x) => x.padEnd(width)).join("")}`.trimEnd();
    const lines = [this.paint("2", header)];
    for (const observer of this.nodes) {
      let row = `  ${observer.name.padEnd(width)}sees  `;
      if (observer.status === "killed") row += this.paint("31;2", "(killed with SIGKILL)");
      else if (observer.status === "left") row += this.paint("33;2", "(left and exited)");
      else {
        for (const name of names) {
          const m = observer.view.find((x) => x.name === name);
          if (!m) row += cell("·", "2");
          else if (m.state === "alive") row += cell("alive", "32");
          else if (m.state === "suspect") row += cell("suspect", "33;1");
          else if (m.state === "dead") row += cell("FAILED", "31;1");
          else row += cell("left", "33");
        }
      }
      lines.push(row.trimEnd());
    }
    return `${lines.join("\n")}\n`;
  }
}
