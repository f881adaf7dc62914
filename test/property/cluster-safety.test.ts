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
        // Processes started per node name (restarts), leaves completed, restarts after a leave.
        const restarts = new Map<string, number>();
        let leaves = 0;
        let rejoins = 0;
        const everLeft = new Set<string>();
        // Per (observer, member): the incarnation the observer recorded the member left at, when,
        // and how many restarts the member had had by then.
        const seenLeft = new Map<string, {incarnation: number; atMs: number; restarts: number}>();
        const violations: string[] = [];
        watchEvents(sim, ({timeMs, observer, event}) => {
          if (event.type === "left") {
            leaves++;
            everLeft.add(observer);
            return;
          }
          if (!("member" in event)) return;
          const m = event.member;
          const key = `${observer}>${m.name}`;
          if (event.type === "memberLeft") {
            seenLeft.set(key, {incarnation: m.incarnation, atMs: timeMs, restarts: restarts.get(m.name) ?? 0});
            return;
          }
          if (m.state !== "alive" || m.name === observer) return;
          const left = seenLeft.get(key);
          if (left === undefined) return;
          seenLeft.delete(key);
          if (m.incarnation > left.incarnation) return; // a rejoin that refuted above the leave
          const restartedSince = (restarts.get(m.name) ?? 0) > left.restarts;
          // A first sight, long after the observer could have forgotten it, of a new process.
          if (restartedSince && event.type === "memberUp" && timeMs - left.atMs > reapMs) return;
          violations.push(
            `${timeMs} ms: ${observer} holds ${m.name} alive(${m.incarnation}) after recording it left at ` +
              `${left.incarnation}${restartedSince ? "" : " (and it never rejoined)"}`,
          );
        });
        bootstrap(sim);
        const restart = sim.restart.bind(sim);
        sim.restart = (name: string) => {
          restarts.set(name, (restarts.get(name) ?? 0) + 1);
          if (everLeft.has(name)) rejoins++;
          // A new process remembers nothing: forget what its predecessor had recorded as left.
          for (const key of [...seenLeft.keys()]) if (key.startsWith(`${name}>`)) seenLeft.delete(key);
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
        exercised.leaves += leaves;
        exercised.rejoins += rejoins;
        return true;
      },
      {numRuns: 6, file: import.meta.url},
    );
    console.log(
      `safety: ${exercised.events} member events checked, ${exercised.leaves} graceful leaves, ${exercised.rejoins} rejoins after a leave`,
    );
  });
});
