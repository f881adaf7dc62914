/*
 * Fidelity: the simulator's report of a scenario beside the testbed's (real agents) of the same
 * scenario, figure by figure. fidelityFigures picks what both runs measure the same way; several
 * simulator seeds are folded into their median (one real run is one sample, so the simulator's
 * spread is kept beside it); compareFidelity flags the figures that differ by more than the
 * tolerance (25 % by default) or are a false positive on one side only. Used by
 * bench/fidelity.mjs, which runs both sides and prints the table.
 */
import type {SimReport} from "./report.ts";

/** The figures compared, per run. Null: the run has none (no crash, no heal). */
export interface FidelityFigures {
  /** Crash → first memberDown anywhere, p50 (ms). */
  readonly firstDetectionMs: number | null;
  /** Crash → every live node has it dead, p50 (ms). */
  readonly fullDetectionMs: number | null;
  /** Live members declared dead (count of declarations). */
  readonly falsePositives: number;
  /** Alive ↔ dead changes about members that were up. */
  readonly flapsAboutLive: number;
  /** Suspicions raised, summed over the agents (the core's counter). */
  readonly suspicions: number | null;
  /** Accusations a member refuted about itself, summed (a stalled or slow node's episodes). */
  readonly refutations: number | null;
  /** After a heal, restart or resume: until every view agrees, p50 (ms). */
  readonly agreementMs: number | null;
  /** Datagrams and streams sent per node per second. */
  readonly messagesPerNodePerSec: number;
}

/** The name, unit and tolerance rule of each figure, in table order. */
export const FIDELITY_FIGURES: readonly {
  readonly key: keyof FidelityFigures;
  readonly label: string;
  /** Differences below this (in the figure's unit) are never flagged: noise of whole events. */
  readonly floor: number;
}[] = [
  {key: "firstDetectionMs", label: "first detection p50 ms", floor: 250},
  {key: "fullDetectionMs", label: "full detection p50 ms", floor: 250},
  {key: "falsePositives", label: "false positives", floor: 0},
  {key: "flapsAboutLive", label: "flaps of live members", floor: 2},
  {key: "suspicions", label: "suspicions", floor: 3},
  {key: "refutations", label: "refutations", floor: 2},
  {key: "agreementMs", label: "agreement after heal/restart p50 ms", floor: 500},
  {key: "messagesPerNodePerSec", label: "messages per node per s", floor: 0.2},
];

/** The figures of one report. */
export function fidelityFigures(report: SimReport): FidelityFigures {
  const c = report.convergence;
  const agreement = [c.afterHealMs.p50, c.afterRestart.p50, c.afterResume.p50].filter((v): v is number => v !== null);
  const counter = (name: string): number | null => {
    const value = report.core[name];
    return typeof value === "number" ? value : null;
  };
  return {
    firstDetectionMs: report.detection.firstMs.p50,
    fullDetectionMs: report.detection.allMs.p50,
    falsePositives: report.falsePositives.count,
    flapsAboutLive: report.flaps.aboutLiveNodes,
    suspicions: counter("suspicions"),
    refutations: counter("refutations"),
    agreementMs: agreement.length === 0 ? null : Math.max(...agreement),
    messagesPerNodePerSec: report.load.messagesPerNodePerSec,
  };
}

/** Median of the non-null values, or null when there are none. */
function median(values: readonly (number | null)[]): number | null {
  const s = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** One figure of one scenario, both sides. */
export interface FidelityRow {
  readonly figure: keyof FidelityFigures;
  readonly label: string;
  /** The simulator's median over its seeds. */
  readonly sim: number | null;
  /** The simulator's smallest and largest value over its seeds. */
  readonly simRange: readonly [number, number] | null;
  readonly real: number | null;
  /** real / sim (null when either is null or sim is 0). */
  readonly ratio: number | null;
  /** Why the row needs an explanation, or null when it is within tolerance. */
  readonly flag: string | null;
}

/** Compares the simulator's reports (one per seed) of a scenario with the testbed's. */
export function compareFidelity(
  simReports: readonly SimReport[],
  realReport: SimReport,
  tolerance = 0.25,
): FidelityRow[] {
  if (simReports.length === 0) throw new RangeError("compareFidelity needs at least one simulator report");
  const sims = simReports.map(fidelityFigures);
  const real = fidelityFigures(realReport);
  return FIDELITY_FIGURES.map(({key, label, floor}) => {
    const values = sims.map((f) => f[key]).filter((v): v is number => v !== null);
    const sim = median(values);
    const simRange: readonly [number, number] | null =
      values.length === 0 ? null : [Math.min(...values), Math.max(...values)];
    const r = real[key];
    const ratio = sim === null || r === null || sim === 0 ? null : r / sim;
    let flag = flagOf(key, sim, r, floor, tolerance);
    // One real run is one sample: say so when the simulator's own seeds spread as far.
    if (flag !== null && simRange !== null && r !== null && r >= simRange[0] && r <= simRange[1]) {
      flag += " (inside the simulator's seed range)";
    }
    return {figure: key, label, sim, simRange, real: r, ratio, flag};
  });
}

function flagOf(
  key: keyof FidelityFigures,
  sim: number | null,
  real: number | null,
  floor: number,
  tolerance: number,
): string | null {
  if (sim === null && real === null) return null;
  if (sim === null || real === null) return `measured on the ${sim === null ? "testbed" : "simulator"} only`;
  if (key === "falsePositives" && (sim === 0) !== (real === 0)) {
    return `false positive on the ${sim === 0 ? "testbed" : "simulator"} only`;
  }
  const diff = Math.abs(real - sim);
  if (diff <= floor) return null;
  // Relative to the smaller side, so that half and double are flagged alike.
  if (diff / Math.min(Math.abs(sim), Math.abs(real)) > tolerance) {
    return `differs by ${sim === 0 ? "∞" : `${Math.round((diff / Math.abs(sim)) * 100)} %`}`;
  }
  return null;
}
