/* The simulator's public surface: createSimulation, scenarios, reports and the safety checker. */

export {InvalidConfigError} from "../src/core/index.ts";
export {SafetyChecker, type SafetyCheckerInit, type SafetyViolation} from "./checkers.ts";
export {type Fault, type FaultTarget, resolveTime, type SimTime, scheduleFault} from "./faults.ts";
export {
  compareFidelity,
  FIDELITY_FIGURES,
  type FidelityFigures,
  type FidelityRow,
  fidelityFigures,
} from "./fidelity.ts";
export {renderHtml} from "./html.ts";
export {type CrashRecord, Metrics} from "./metrics.ts";
export {type BlockRule, type Latency, Network, type NetworkOptions, type NetworkStats} from "./network.ts";
export {resolveSimOptions, type SimInit, type SimOptions} from "./options.ts";
export {buildReport, type CheckResult, formatSummary, type ReportSource, type SimReport} from "./report.ts";
export {
  judge,
  loadScenarioFile,
  parseScenario,
  prepareScenario,
  type RunHooks,
  runScenario,
  type Scenario,
  type ScenarioExpect,
  type ScenarioOverrides,
  type ScenarioRun,
} from "./scenario.ts";
export {resolveSelector, type Selector, type SelectorContext} from "./selector.ts";
export {
  EVENT_PAYLOAD_MIN,
  eventPayload,
  SERF_TRACKED_CELLS,
  SERF_TRACKED_MAX,
  type SerfEventRecord,
  SerfMetrics,
  type SerfQueryRecord,
  type SerfReport,
} from "./serf-metrics.ts";
export {type SimQuery, SimSerf, type SimSerfHost, type SimSerfObserver} from "./serf-nodes.ts";
export {type EventSpec, type QuerySpec, sendQuery, sendUserEvent, type TrafficSchedule} from "./serf-traffic.ts";
export {
  createSimulation,
  type FlapOptions,
  type RunUntilOptions,
  SIM_PORT,
  Simulation,
  type TimelineEntry,
} from "./simulation.ts";
export {type Summary, summarize} from "./stats.ts";
export {TraceHash} from "./trace.ts";
export {ClusterViews, VIEW_ALIVE, VIEW_DEAD, VIEW_LEFT, VIEW_SUSPECT} from "./views.ts";
