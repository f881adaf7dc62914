/*
 * How late this process's event loop runs: `perf_hooks.monitorEventLoopDelay` sampled over rolling
 * windows. A blocked loop (synchronous work, a long GC pause) delays every timer and socket read
 * of the agent, so its probes and acks run late and peers may suspect it: the delay is the first
 * thing to look at when this agent is accused. Reported as the p50, p99 and maximum of the last
 * complete window and the one in progress, whichever is larger, so a stall shows for at least one
 * whole window after it ended.
 */
import {type IntervalHistogram, monitorEventLoopDelay, performance} from "node:perf_hooks";

/** Event-loop delay in milliseconds. */
export interface EventLoopDelay {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

const ZERO: EventLoopDelay = {p50Ms: 0, p99Ms: 0, maxMs: 0};

export interface EventLoopDelayOptions {
  /** Length of one window. Default 10 s. */
  readonly windowMs?: number;
  /** Sampling resolution of the monitor. Default 10 ms. */
  readonly resolutionMs?: number;
}

export class EventLoopDelayMonitor {
  private histogram: IntervalHistogram | undefined;
  private rotation: NodeJS.Timeout | undefined;
  private lastWindow: EventLoopDelay = ZERO;
  private rotationDueMs = 0;
  private readonly windowMs: number;
  private readonly resolutionMs: number;

  constructor(options: EventLoopDelayOptions = {}) {
    this.windowMs = options.windowMs ?? 10_000;
    this.resolutionMs = options.resolutionMs ?? 10;
  }

  start(): void {
    if (this.histogram !== undefined) return;
    this.histogram = monitorEventLoopDelay({resolution: this.resolutionMs});
    this.histogram.enable();
    this.rotationDueMs = performance.now() + this.windowMs;
    this.rotation = setInterval(() => this.rotate(), this.windowMs);
    this.rotation.unref();
  }

  stop(): void {
    if (this.rotation !== undefined) clearInterval(this.rotation);
    this.histogram?.disable();
    this.histogram = undefined;
    this.rotation = undefined;
    this.lastWindow = ZERO;
  }

  /** The delay now (zeros while stopped). */
  read(): EventLoopDelay {
    const current = this.current();
    return {
      p50Ms: Math.max(current.p50Ms, this.lastWindow.p50Ms),
      p99Ms: Math.max(current.p99Ms, this.lastWindow.p99Ms),
      maxMs: Math.max(current.maxMs, this.lastWindow.maxMs),
    };
  }

  /**
   * Ends a window. The monitor skips its first sample after a reset, so a stall that ends just
   * before this callback could be lost: this callback's own lateness is counted as well.
   */
  private rotate(): void {
    const now = performance.now();
    const lateMs = Math.max(0, now - this.rotationDueMs);
    this.rotationDueMs = now + this.windowMs;
    const current = this.current();
    this.lastWindow = {...current, maxMs: Math.max(current.maxMs, lateMs)};
    this.histogram?.reset();
  }

  /** The window in progress. The histogram counts nanoseconds and includes the sampling period. */
  private current(): EventLoopDelay {
    const h = this.histogram;
    if (h === undefined || h.count === 0) return ZERO;
    const ms = (ns: number) => Math.max(0, ns / 1e6 - this.resolutionMs);
    return {p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max)};
  }
}
