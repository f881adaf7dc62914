import {defineConfig} from "vitest/config";

/*
 * One suite, six projects: `npm test` runs them all; `npm run test:<project>` runs one.
 * unit mirrors src/ (plus the architecture check); property holds every fast-check property;
 * sim runs the simulator; integration runs real agents on loopback; interop runs the real serf;
 * testbed runs real agents in network namespaces (root; skipped elsewhere unless
 * LIFELINE_REQUIRE_TESTBED=1, which CI sets).
 */
const project = (name: string, include: string[]) => ({extends: true as const, test: {name, include}});

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      project("unit", ["test/unit/**/*.test.ts", "test/architecture.test.ts"]),
      project("property", ["test/property/**/*.test.ts"]),
      project("sim", ["test/sim/**/*.test.ts"]),
      project("integration", ["test/integration/**/*.test.ts"]),
      project("interop", ["test/interop/**/*.test.ts"]),
      project("testbed", ["test/testbed/**/*.test.ts"]),
    ],
  },
});
