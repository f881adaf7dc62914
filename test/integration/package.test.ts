/*
 * The package as a user gets it: `npm pack`, installed into a scratch project from the tarball.
 * The import works from JavaScript and type-checks from TypeScript, the `lifeline` bin answers
 * --version and --help, and the tarball carries no tests, fixtures or benchmark results.
 * Needs the registry for the package's own dependencies (as any install does) and a built dist/.
 */
import {execFileSync} from "node:child_process";
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {afterAll, beforeAll, describe, expect, it} from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "lifeline-pack-"));
let files: string[] = [];

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, {cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 240_000});
}

beforeAll(() => {
  if (!existsSync(join(root, "dist", "src", "index.js"))) {
    throw new Error("dist/ is missing: run `npm run build` before the package test");
  }
  // --ignore-scripts: dist/ is already built; packing must not rebuild it under the other tests.
  const packed = JSON.parse(
    run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", scratch], root),
  ) as {filename: string; files: {path: string}[]}[];
  const entry = packed[0] as {filename: string; files: {path: string}[]};
  files = entry.files.map((f) => f.path);
  writeFileSync(join(scratch, "package.json"), JSON.stringify({name: "scratch", private: true, type: "module"}));
  run("npm", ["install", "--no-audit", "--no-fund", join(scratch, entry.filename)], scratch);
}, 300_000);

afterAll(() => rmSync(scratch, {recursive: true, force: true}));

describe("the packed package", () => {
  it("holds no tests, fixtures, benchmarks or their results", () => {
    expect(files.length).toBeGreaterThan(50);
    const unwanted = files.filter((f) => /^(test|bench|scripts|coverage|soak-results)\/|\.test\.|fixtures\//.test(f));
    expect(unwanted).toEqual([]);
    expect(files).toContain("dist/src/index.js");
    expect(files).toContain("bin/lifeline");
    expect(files).toContain("dist/cli/lifeline.js");
  });

  it("imports from JavaScript: createAgent starts and stops an agent", () => {
    writeFileSync(
      join(scratch, "use.mjs"),
      [
        'import {createAgent, InvalidConfigError} from "lifeline";',
        'const agent = await createAgent({name: "pkg", bind: "127.0.0.1:0"});',
        "console.log(typeof InvalidConfigError, agent.members().length, agent.state);",
        "await agent.stop();",
      ].join("\n"),
    );
    expect(run("node", ["use.mjs"], scratch).trim()).toBe("function 1 running");
  });

  it("type-checks from TypeScript", () => {
    writeFileSync(
      join(scratch, "use.ts"),
      [
        'import {type AgentInit, createAgent} from "lifeline";',
        'const init: AgentInit = {name: "pkg", probeIntervalMs: 500, tags: {role: "web"}};',
        "export const started: Promise<{stop(): Promise<void>}> = createAgent(init);",
      ].join("\n"),
    );
    writeFileSync(
      join(scratch, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ["node"],
        },
        files: ["use.ts"],
      }),
    );
    run("npm", ["install", "--no-audit", "--no-fund", "@types/node@20"], scratch);
    const tsc = join(root, "node_modules", ".bin", "tsc");
    expect(() => run(tsc, ["-p", "tsconfig.json"], scratch)).not.toThrow();
    // And a wrong option is a type error, so the check above can fail.
    writeFileSync(
      join(scratch, "use.ts"),
      'import {createAgent} from "lifeline";\nvoid createAgent({probeIntervalMs: "fast"});\n',
    );
    expect(() => run(tsc, ["-p", "tsconfig.json"], scratch)).toThrow();
  });

  it("runs the lifeline bin: --version and --help", () => {
    const bin = join(scratch, "node_modules", ".bin", "lifeline");
    const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {version: string}).version;
    expect(run(bin, ["--version"], scratch).trim()).toBe(`lifeline ${version}`);
    expect(run(bin, ["--help"], scratch)).toContain("Usage: lifeline <command>");
  });
});
