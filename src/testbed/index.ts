/* The network-namespace testbed: scenario files run against real `lifeline agent` processes. */

export {TestbedError} from "./commands.ts";
export {type AgentLine, parseAgentLine} from "./event-line.ts";
export {countDrops, type DropCounts, type NodeFirewall, renderFirewall} from "./firewall.ts";
export {listTestbedNamespaces, removeRun} from "./network.ts";
export {checkHost, removeLeftovers, runOutside, watchOuter, workDirOf} from "./outer.ts";
export {
  createPlan,
  GOSSIP_PORT,
  HTTP_PORT,
  MAX_TESTBED_NODES,
  nodeIpv4,
  nodeIpv6,
  TESTBED_PREFIX,
  type TestbedPlan,
} from "./plan.ts";
export {AGENT_LOAD_TYPE, type LoadDelta, type RunRecord, TestbedRecording} from "./recording.ts";
export {checkTestbedScenario, runOnTestbed, type TestbedRun, type TestbedRunInit} from "./runner.ts";
export {Testbed, type TestbedInit} from "./testbed.ts";
