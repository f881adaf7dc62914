/*
 * Safety, under any schedule of crashes, restarts, pauses, partitions, one-way links, graceful
 * leaves and rejoins, with loss up to 10%:
 *   - a node's own incarnation never decreases (within one process);
 *   - an observer's incarnation for a member never decreases (unless it forgot a long-dead member);
 *   - every member event is a legal transition (the simulator's SafetyChecker table:
 *     alive → suspect → alive(higher) | dead, dead|left → alive only at a higher incarnation);
 *   - a node that left never comes back alive at any observer, unless its process rejoined and
 *     then only at an incarnation above the one it left with (or at an observer that had
 *     forgotten it after gossipToTheDeadMs, which is a first sight).
 * The SafetyChecker is the simulator's; the leave rule is checked here from the event stream.
 */
import fc from "fast-check";
import {describe, expect, it} from "vitest";
import {
  applySchedule,
  bootstrap,
  clusterCase,
  configOf,
  describeCase,
  faultSchedule,
  simulate,
  watchEvents,
} from "../helpers/property-cluster.ts";
import {checkProperty} from "../helpers/property-run.ts";

const WINDOW = 600;

const chaosCase = clusterCase({maxLoss: 0.1, maxNodes: 10}).chain((c) =>
  fc.record({
    cluster: fc.constant(c),
    steps: faultSchedule(c.nodes, {window: WINDOW, maxFaults: 8, leaves: true}),
  }),
);

describe("safety", () => {
  it("incarnations never decrease, transitions are legal and a node that left never comes back without rejoining higher", () => {
    const exercised = {events: 0, leaves: 0, rejoins: 0};
    checkProperty(
      "incarnations never decrease, transitions are legal and a node that left never comes back without rejoining higher",
      chaosCase,
      ({cluster, steps}) => {
        const sim = simulate(cluster);
        const reapMs = configOf(sim).gossipToTheDeadMs;
        // Per node: the incarnation it left with, and whether a new process has started since.
        const leftWith = new Map<string, number>();
        const rejoined = new Set<string>();
        // Per (observer, member): when the observer recorded the member left.
        const seenLeftAt = new Map<string, number>();
        const violations: string[] = [];
        watchEvents(sim, ({timeMs, observer, event}) => {
          if (event.type === "left") {
            leftWith.set(observer, sim.node(observer)?.incarnation ?? 0);
            rejoined.delete(observer);
            return;
          }
          if (!("member" in event)) return;
          const m = event.member;
          const key = `${observer}>${m.name}`;
          if (event.type === "memberLeft") seenLeftAt.set(key, timeMs);
          if (m.state !== "alive" || m.name === observer) return;
          const left = leftWith.get(m.name);
          const since = seenLeftAt.get(key);
          if (left === undefined || since === undefined) return;
          const forgot = event.type === "memberUp" && timeMs - since > reapMs;
          if (!rejoined.has(m.name)) {
            violations.push(
              `${timeMs} ms: ${observer} holds ${m.name} alive(${m.incarnation}) after it left and never rejoined`,
            );
          } else if (m.incarnation <= left && !forgot) {
            violations.push(
              `${timeMs} ms: ${observer} holds rejoined ${m.name} alive(${m.incarnation}), it left at ${left}`,
            );
          }
          seenLeftAt.delete(key);
        });
        bootstrap(sim);
        const restart = sim.restart.bind(sim);
        sim.restart = (name: string) => {
          if (leftWith.has(name)) rejoined.add(name);
          // A new process remembers nothing: forget what its predecessor had recorded as left.
          for (const key of [...seenLeftAt.keys()]) if (key.startsWith(`${name}>`)) seenLeftAt.delete(key);
          restart(name);
        };
        const end = applySchedule(sim, steps, WINDOW);
        sim.runForMs(end - sim.nowMs + 60 * configOf(sim).probeIntervalMs);
        const safety = sim.safety;
        expect(safety).toBeDefined();
        expect(safety?.checked ?? 0, "the checker saw events").toBeGreaterThan(0);
        expect(safety?.violations ?? [], describeCase(cluster)).toEqual([]);
        expect(violations, describeCase(cluster)).toEqual([]);
        exercised.events += safety?.checked ?? 0;
        exercised.leaves += leftWith.size;
        exercised.rejoins += rejoined.size;
        return true;
      },
      {numRuns: 6, file: import.meta.url},
    );
    console.log(
      `safety: ${exercised.events} member events checked, ${exercised.leaves} graceful leaves, ${exercised.rejoins} rejoins after a leave`,
    );
  });
});
