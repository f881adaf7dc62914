/*
 * Run metrics, collected as the simulation goes (O(1) per event, O(n) per crash or sample):
 *
 * - detection: for each crash of member j at t0, the audience is every live node that held j
 *   alive or suspect; first detection is the first memberDown about j from the audience, full
 *   detection the moment every audience member still running has reported it. A restart of j
 *   before that ends the record undetected.
 * - false positives: memberDown about a member whose process is running (paused or slow counts
 *   as running: SWIM's accuracy is about non-faulty members).
 * - flaps: changes of a member between in (alive/suspect) and out (dead/left) in any observer's
 *   view, first sight excluded; summed per member.
 * - convergence: after a heal, a restart, a resume and at bootstrap, the time until all live
 *   nodes agree (ClusterViews.disagreements = 0).
 * - stability (Rapid §7): the distinct cluster sizes nodes reported once the cluster first agreed
 *   (a restarted process counts once it has seen the whole cluster again: its growing view
 *   while it joins is not instability).
 * - load: datagrams, streams, messages and bytes, per node and per message type, and over time.
 */
import type {ClusterViews} from "./views.ts";

/** One crash and its detection. */
export interface CrashRecord {
  readonly member: number;
  readonly atMs: number;
  /** Live nodes that held the member alive or suspect at the crash. */
  readonly audienceSize: number;
  firstMs: number | null;
  allMs: number | null;
  /** The member restarted (or the run ended) before full detection. */
  closed: boolean;
  readonly flagged: Uint8Array;
  remaining: number;
}

/** A disturbance ending (heal, restart, resume, bootstrap) and when agreement followed. */
export interface ConvergenceRecord {
  readonly cause: "bootstrap" | "heal" | "restart" | "resume";
  readonly atMs: number;
  agreedMs: number | null;
}

/** A false positive, for the report's examples. */
export interface FalsePositive {
  readonly timeMs: number;
  readonly observer: number;
  readonly member: number;
  readonly memberPaused: boolean;
}

/** Count and bytes of one message type. */
export interface TypeLoad {
  messages: number;
  bytes: number;
}

const MAX_DETECTION_SAMPLES = 200_000;
const MAX_FP_EXAMPLES = 50;

/** Collects everything the report shows. */
export class Metrics {
  readonly n: number;
  readonly sampleIntervalMs: number;
  // BOUNDED: one per crash the scenario schedules.
  readonly crashes: CrashRecord[] = [];
  // BOUNDED: at most one open record per member.
  private readonly openCrash = new Map<number, CrashRecord>();
  // BOUNDED: MAX_DETECTION_SAMPLES latencies (every observer's detection of every crash).
  readonly detectionSamples: number[] = [];
  // BOUNDED: one per heal/restart/resume the scenario schedules, plus bootstrap.
  readonly convergence: ConvergenceRecord[] = [];
  falsePositives = 0;
  falsePositivesAboutPaused = 0;
  // BOUNDED: MAX_FP_EXAMPLES.
  readonly falsePositiveExamples: FalsePositive[] = [];
  readonly falselyAccused: Uint8Array;
  readonly flaps: Uint32Array;
  flapsAboutLive = 0;
  /** Time the cluster first agreed (bootstrap finished), or null. */
  settledAtMs: number | null = null;
  // BOUNDED: at most n + 1 distinct sizes.
  readonly sizesSinceSettled = new Set<number>();
  /** 1 once node i's current process has seen the whole cluster (a fresh process's growing view is not instability). */
  readonly nodeSettled: Uint8Array;
  readonly bytesSent: Float64Array;
  readonly packetsSent: Float64Array;
  // BOUNDED: one entry per message type (about a dozen).
  readonly byType = new Map<string, TypeLoad>();
  datagrams = 0;
  datagramBytes = 0;
  streams = 0;
  streamBytes = 0;
  decodeErrors = 0;
  /** Datagrams and streams dropped because they came from a node with another label (options.labels). */
  labelMismatches = 0;
  lateStreamReplies = 0;
  unknownAddress = 0;
  toDownNode = 0;
  userDeliveries = 0;
  // BOUNDED: one entry per DropReason.
  readonly dropped = new Map<string, number>();
  // Time series, one entry per sample interval. BOUNDED: duration / sampleIntervalMs.
  readonly sampleTimes: number[] = [];
  readonly sizeSamples: Int32Array[] = [];
  readonly bytesSeries: number[] = [];
  readonly messagesSeries: number[] = [];
  // BOUNDED: message types × samples.
  readonly typeSeries = new Map<string, number[]>();
  private bucketBytes = 0;
  private bucketMessages = 0;
  private readonly bucketTypes = new Map<string, number>();

  constructor(n: number, sampleIntervalMs: number) {
    this.n = n;
    this.sampleIntervalMs = sampleIntervalMs;
    this.falselyAccused = new Uint8Array(n);
    this.nodeSettled = new Uint8Array(n);
    this.flaps = new Uint32Array(n);
    this.bytesSent = new Float64Array(n);
    this.packetsSent = new Float64Array(n);
  }

  /** Member j's process crashed at t. */
  onCrash(t: number, j: number, views: ClusterViews): void {
    this.closeCrash(j);
    const flagged = new Uint8Array(this.n);
    let audience = 0;
    for (let i = 0; i < this.n; i++) {
      if (i === j || views.up[i] === 0) continue;
      const s = views.stateOf(i, j);
      if (s === 1 || s === 2) audience++;
      else flagged[i] = 2; // not in the audience
    }
    for (let i = 0; i < this.n; i++) if (views.up[i] === 0 || i === j) flagged[i] = 2;
    const record: CrashRecord = {
      member: j,
      atMs: t,
      audienceSize: audience,
      firstMs: null,
      allMs: null,
      closed: false,
      flagged,
      remaining: audience,
    };
    this.crashes.push(record);
    this.openCrash.set(j, record);
    // Observers that crash later leave every open audience.
    for (const other of this.openCrash.values()) {
      if (other !== record && other.flagged[j] === 0) {
        other.flagged[j] = 2;
        this.decrement(t, other);
      }
    }
    if (audience === 0) {
      record.closed = true;
      this.openCrash.delete(j);
    }
  }

  /** Member j's process started again; its open crash record (if any) ends. */
  onRestart(j: number): void {
    this.nodeSettled[j] = 0;
    this.closeCrash(j);
  }

  private closeCrash(j: number): void {
    const open = this.openCrash.get(j);
    if (open !== undefined) {
      open.closed = true;
      this.openCrash.delete(j);
    }
  }

  private decrement(t: number, record: CrashRecord): void {
    record.remaining--;
    if (record.remaining === 0) {
      if (record.firstMs !== null) record.allMs = t - record.atMs;
      record.closed = true;
      this.openCrash.delete(record.member);
    }
  }

  /**
   * Observer i moved member j from state code `prev` to `next` (ClusterViews codes); `paused`
   * says whether j's process is paused.
   */
  onTransition(
    t: number,
    i: number,
    j: number,
    prev: number,
    next: number,
    views: ClusterViews,
    paused: boolean,
  ): void {
    const wasIn = prev === 1 || prev === 2;
    const isIn = next === 1 || next === 2;
    const wasOut = prev === 3 || prev === 4;
    if ((wasIn && !isIn && next !== 0) || (wasOut && isIn)) {
      this.flaps[j] = (this.flaps[j] as number) + 1;
      if (views.up[j] === 1) this.flapsAboutLive++;
    }
    if (next === 3 && wasIn) {
      if (views.up[j] === 1) {
        this.falsePositives++;
        if (paused) this.falsePositivesAboutPaused++;
        this.falselyAccused[j] = 1;
        if (this.falsePositiveExamples.length < MAX_FP_EXAMPLES) {
          this.falsePositiveExamples.push({timeMs: t, observer: i, member: j, memberPaused: paused});
        }
      } else {
        const record = this.openCrash.get(j);
        if (record !== undefined && record.flagged[i] === 0) {
          record.flagged[i] = 1;
          if (this.detectionSamples.length < MAX_DETECTION_SAMPLES) this.detectionSamples.push(t - record.atMs);
          if (record.firstMs === null) record.firstMs = t - record.atMs;
          this.decrement(t, record);
        }
      }
    }
    if (wasIn !== isIn) {
      const size = views.viewSize[i] as number;
      if (this.nodeSettled[i] === 0 && size >= views.live) this.nodeSettled[i] = 1;
      else if (this.settledAtMs !== null && this.nodeSettled[i] === 1) this.sizesSinceSettled.add(size);
    }
  }

  /** A disturbance ended at t; agreement is awaited from now. */
  expectConvergence(cause: ConvergenceRecord["cause"], t: number): void {
    this.convergence.push({cause, atMs: t, agreedMs: null});
  }

  /** Called after every event while some convergence is awaited and all live nodes agree. */
  onAgreement(t: number, views: ClusterViews): void {
    for (const c of this.convergence) if (c.agreedMs === null) c.agreedMs = t - c.atMs;
    if (this.settledAtMs === null) {
      this.settledAtMs = t;
      for (let i = 0; i < this.n; i++) {
        if (views.up[i] === 1) {
          this.nodeSettled[i] = 1;
          this.sizesSinceSettled.add(views.viewSize[i] as number);
        }
      }
    }
  }

  /** True while some convergence record waits for agreement. */
  awaitingAgreement(): boolean {
    const c = this.convergence;
    for (let k = c.length - 1; k >= 0; k--) if ((c[k] as ConvergenceRecord).agreedMs === null) return true;
    return this.settledAtMs === null;
  }

  /** Counts one datagram (or stream transfer) sent by node i. */
  onSend(i: number, bytes: number, stream: boolean): void {
    this.bytesSent[i] = (this.bytesSent[i] as number) + bytes;
    this.packetsSent[i] = (this.packetsSent[i] as number) + 1;
    this.bucketBytes += bytes;
    if (stream) {
      this.streams++;
      this.streamBytes += bytes;
    } else {
      this.datagrams++;
      this.datagramBytes += bytes;
    }
  }

  /** Counts `count` messages of `type` (default one) of `bytes` encoded bytes in all. */
  onMessage(type: string, bytes: number, count = 1): void {
    let load = this.byType.get(type);
    if (load === undefined) {
      load = {messages: 0, bytes: 0};
      this.byType.set(type, load);
    }
    load.messages += count;
    load.bytes += bytes;
    this.bucketMessages += count;
    this.bucketTypes.set(type, (this.bucketTypes.get(type) ?? 0) + count);
  }

  /** Counts a `dropped` effect. */
  onDropped(reason: string): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }

  /** Takes one sample of every node's cluster size (−1 for a stopped node) and closes the load bucket. */
  sample(t: number, views: ClusterViews): void {
    const sizes = new Int32Array(this.n);
    for (let i = 0; i < this.n; i++) sizes[i] = views.up[i] === 1 ? (views.viewSize[i] as number) : -1;
    this.sampleTimes.push(t);
    this.sizeSamples.push(sizes);
    this.bytesSeries.push(this.bucketBytes);
    this.messagesSeries.push(this.bucketMessages);
    const k = this.sampleTimes.length - 1;
    for (const [type, count] of this.bucketTypes) {
      let series = this.typeSeries.get(type);
      if (series === undefined) {
        series = new Array<number>(k).fill(0);
        this.typeSeries.set(type, series);
      }
      series.push(count);
    }
    for (const series of this.typeSeries.values()) if (series.length <= k) series.push(0);
    this.bucketBytes = 0;
    this.bucketMessages = 0;
    this.bucketTypes.clear();
  }
}
