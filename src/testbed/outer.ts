/*
 * The outside of a testbed run, in the root namespace: check the machine, create the run's
 * namespaces, start the runner inside the hub namespace (`ip netns exec HUB lifeline testbed …
 * --inside RUN`), and remove everything afterwards — on a normal end, on an error, on
 * SIGINT/SIGTERM/SIGHUP, and when the runner crashes (it is a child: whatever it leaves, this
 * process removes). Only a SIGKILL of this process leaves a run behind: its agents die at once
 * (the runner sees its stdin close), its namespaces stay until `lifeline testbed --cleanup`.
 *
 *   root namespace: lifeline testbed (this file)          creates nothing here but namespaces
 *       └─ ip netns exec lltb-RUN-hub lifeline testbed --inside RUN   (runner.ts)
 *             └─ ip netns exec lltb-RUN-nI lifeline agent …            (agent-process.ts)
 */
import {spawn} from "node:child_process";
import {mkdirSync, readdirSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {runSync, TestbedError} from "./commands.ts";
import {createNetwork, listTestbedNamespaces, removeNamespaces, removeRun} from "./network.ts";
import {createPlan, createRunId, TESTBED_PREFIX, type TestbedPlan} from "./plan.ts";

/** Throws TestbedError unless this process is root and has `ip` and `iptables-restore` (and `ip6tables-restore` with IPv6). */
export function checkHost(ipv6: boolean): void {
  if (process.getuid?.() !== 0) {
    throw new TestbedError("needs root (network namespaces and iptables): run it with sudo");
  }
  const tools: [string, string[]][] = [
    ["ip", ["-V"]],
    ["iptables-restore", ["-V"]],
  ];
  if (ipv6) tools.push(["ip6tables-restore", ["-V"]]);
  for (const [tool, args] of tools) {
    if (runSync(tool, args) === undefined) {
      throw new TestbedError(`needs ${tool} (apt-get install -y iproute2 iptables)`);
    }
  }
}

/** The run's scratch directory (agent config), derived from its id so the runner finds it. */
export function workDirOf(runId: string): string {
  return join(tmpdir(), `${TESTBED_PREFIX}${runId}`);
}

/**
 * `lifeline testbed --cleanup`: removes every testbed namespace (killing what runs inside) and
 * every run's scratch directory. Returns what it removed; throws when a namespace stays.
 */
export function removeLeftovers(): string[] {
  const removed = removeRun();
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(TESTBED_PREFIX)) continue;
    rmSync(join(tmpdir(), entry), {recursive: true, force: true});
    removed.push(join(tmpdir(), entry));
  }
  return removed;
}

/**
 * For the runner inside: an AbortSignal that fires when the outer process is gone (the runner's
 * stdin, a pipe from it, reaches end-of-file), so a SIGKILLed outer leaves no agent running; its
 * namespaces stay for `lifeline testbed --cleanup`.
 */
export function watchOuter(stdin: NodeJS.ReadableStream): AbortSignal {
  const controller = new AbortController();
  const gone = (): void => controller.abort("the outer lifeline testbed process is gone");
  stdin.on("end", gone);
  stdin.on("close", gone);
  stdin.on("error", gone);
  stdin.resume();
  return controller.signal;
}

/** What one outside run takes. */
export interface OutsideRunInit {
  readonly nodes: number;
  readonly ipv6: boolean;
  /** The `lifeline` executable. */
  readonly bin: string;
  /** The command line to repeat inside (the user's `testbed` flags). */
  readonly args: readonly string[];
  readonly log: (line: string) => void;
}

/** Creates a run, runs the inside, removes the run; resolves with the inside's exit code. */
export async function runOutside(init: OutsideRunInit): Promise<number> {
  checkHost(init.ipv6);
  const runId = createRunId(process.pid, Math.random);
  const plan: TestbedPlan = createPlan(runId, init.nodes, init.ipv6);
  const workDir = workDirOf(runId);
  let child: ReturnType<typeof spawn> | undefined;
  let cleaned = false;
  const cleanup = (): void => {
    if (cleaned) return;
    cleaned = true;
    child?.kill("SIGKILL");
    removeNamespaces(listTestbedNamespaces(runId));
    rmSync(workDir, {recursive: true, force: true});
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    init.log(`testbed: ${signal}: removing run ${runId}`);
    cleanup();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  process.once("exit", cleanup);
  for (const signal of signals) process.once(signal, onSignal);
  try {
    mkdirSync(workDir, {mode: 0o700});
    init.log(`testbed: run ${runId}: creating ${init.nodes} namespaces${init.ipv6 ? " (IPv6)" : ""}`);
    await createNetwork(plan);
    child = spawn(
      "ip",
      ["netns", "exec", plan.hub, process.execPath, init.bin, "testbed", ...init.args, "--inside", runId],
      // The runner's stdin is a pipe from here: when this process dies (even by SIGKILL) the
      // runner reads end-of-file and kills its agents at once (watchOuter).
      {stdio: ["pipe", "inherit", "inherit"]},
    );
    const spawned = child;
    return await new Promise<number>((resolve) => {
      spawned.once("exit", (code, signal) => resolve(code ?? (signal === null ? 1 : 128 + 9)));
      spawned.once("error", () => resolve(1));
    });
  } finally {
    child = undefined;
    cleanup();
    process.off("exit", cleanup);
    for (const signal of signals) process.off(signal, onSignal);
    const left = listTestbedNamespaces(runId);
    if (left.length > 0) init.log(`testbed: could not remove ${left.join(", ")}: run lifeline testbed --cleanup`);
    else init.log(`testbed: run ${runId} removed (namespaces, interfaces, rules, processes)`);
  }
}
