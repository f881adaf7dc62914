/*
 * CPU time and resident memory of a process from Linux's /proc, the way the serf baseline was
 * measured: CPU% of one core = Δ(utime + stime) / CLK_TCK / Δwall × 100 over a window, RSS from
 * VmRSS in /proc/PID/status at the end of the window.
 */
import {execFileSync} from "node:child_process";
import {readFileSync} from "node:fs";

let clockTicks;

/** Kernel clock ticks per second (USER_HZ, almost always 100). */
export function clockTicksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], {encoding: "utf8"}).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of `pid` in clock ticks, or undefined if the process is gone. */
export function cpuTicks(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  return Number(fields[11]) + Number(fields[12]);
}

/** Resident set size of `pid` in bytes (VmRSS), or undefined if the process is gone. */
export function rssBytes(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return match ? Number(match[1]) * 1024 : undefined;
}

/** Starts a CPU window over `pids`; call the returned function at the end to get % of one core per pid. */
export function startCpuWindow(pids) {
  const started = performance.now();
  const before = new Map(pids.map((pid) => [pid, cpuTicks(pid)]));
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const hz = clockTicksPerSecond();
    return pids.map((pid) => {
      const a = before.get(pid);
      const b = cpuTicks(pid);
      if (a === undefined || b === undefined) return undefined;
      return ((b - a) / hz / seconds) * 100;
    });
  };
}
