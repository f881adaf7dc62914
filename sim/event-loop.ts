/*
 * Node's event loop, as far as a blocked virtual process needs it. While a process runs freely
 * every event is its own loop turn at its own virtual instant, so the phases do not show. They
 * show when the loop was blocked and everything that came due meanwhile is handled at once:
 *
 *   one loop iteration:  timers (expired setTimeouts: the Driver's one wake-up, which runs every
 *                        due deadline) ─▶ poll (socket reads: datagrams and stream bytes, in
 *                        arrival order) ─▶ check (setImmediate callbacks; the Driver queues none)
 *
 * Where the loop picks up depends on how it was blocked:
 *   stall  synchronous work held the loop (a GC pause, a long computation): when it ends the
 *          iteration finishes and the next begins with the timers that expired meanwhile, then
 *          reads the packets that waited in the socket buffer.
 *   pause  the process was stopped (SIGSTOP) while idle in poll, its usual place: on SIGCONT
 *          poll returns with the readable sockets first; the expired timers run next iteration.
 * Not modelled: the socket receive buffer is unbounded here (a real one, Linux's rmem_default of
 * about 208 KB, drops datagrams after a long stall in a busy cluster), and serf's layer's timers
 * (Simulation.at actions) run on time even while the loop is blocked.
 */

/** Where a blocked loop resumes. */
export type ResumePhase = "timers" | "poll";

/**
 * What piled up while a loop was blocked, in the order the loop handles it when it resumes at
 * `phase`: timer events and I/O events each keep their arrival order.
 */
export function resumeOrder<T>(held: readonly T[], isTimer: (event: T) => boolean, phase: ResumePhase): T[] {
  const timers: T[] = [];
  const io: T[] = [];
  for (const event of held) (isTimer(event) ? timers : io).push(event);
  return phase === "timers" ? [...timers, ...io] : [...io, ...timers];
}
