import {describe, expect, it} from "vitest";
import {ClusterViews} from "../../sim/index.ts";
import {createRandom} from "../../src/core/index.ts";

/** Agreement recomputed from scratch. */
function bruteDisagreements(v: ClusterViews): number {
  let count = 0;
  for (let i = 0; i < v.n; i++) {
    if (v.up[i] === 0) continue;
    for (let j = 0; j < v.n; j++) {
      if (i === j) continue;
      const s = v.stateOf(i, j);
      const inView = s === 1 || s === 2 ? 1 : 0;
      if (inView !== v.up[j]) count++;
    }
  }
  return count;
}

describe("ClusterViews", () => {
  it("keeps the incremental disagreement count equal to a full recount under random changes", () => {
    const random = createRandom(7);
    const v = new ClusterViews(9);
    for (let step = 0; step < 5_000; step++) {
      const r = random.nextFloat();
      const i = random.nextInt(9);
      if (r < 0.05) v.nodeUp(i);
      else if (r < 0.08) v.nodeDown(i);
      else v.set(i, random.nextInt(9), random.nextInt(5));
      expect(v.disagreements).toBe(bruteDisagreements(v));
    }
  });

  it("agrees exactly when every live node sees exactly the live nodes", () => {
    const v = new ClusterViews(3);
    v.nodeUp(0);
    v.nodeUp(1);
    expect(v.agree()).toBe(false);
    v.set(0, 1, 1);
    v.set(1, 0, 2);
    expect(v.agree()).toBe(true);
    expect(v.viewSize[0]).toBe(2);
    v.nodeDown(1);
    expect(v.agree()).toBe(false);
    v.set(0, 1, 3);
    expect(v.agree()).toBe(true);
    expect(v.viewSize[0]).toBe(1);
  });
});
