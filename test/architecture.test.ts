/*
 * The core is pure (DESIGN §2, STYLE §A4): no Node built-ins, no other layers, no clock, no timers,
 * no global randomness. This reads every file under src/core and fails on a forbidden import or
 * identifier, so purity is checked by CI rather than by review.
 */
import {readdirSync, readFileSync} from "node:fs";
import {dirname, join, relative, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {describe, expect, it} from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const coreDir = join(root, "src", "core");

function tsFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** Source without comments and string contents, so prose like "no Date here" does not trip the check. */
function code(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\/\/.*$/gm, "")
    .replace(/`(?:\\.|[^`\\])*`/g, "``")
    .replace(/"(?:\\.|[^"\\\n])*"/g, '""')
    .replace(/'(?:\\.|[^'\\\n])*'/g, "''");
}

function importSpecifiers(source: string): string[] {
  const out: string[] = [];
  const re =
    /(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|import\s*["']([^"']+)["']/g;
  for (const m of source.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3]) as string);
  return out;
}

const FORBIDDEN_IDENTIFIERS = [
  /\bDate\b/,
  /\bMath\.random\b/,
  /\bsetTimeout\b/,
  /\bsetInterval\b/,
  /\bsetImmediate\b/,
  /\bperformance\b/,
  /\bprocess\b/,
];

describe("architecture: src/core is pure", () => {
  const files = tsFiles(coreDir);

  it("finds the core's files", () => {
    expect(files.length).toBeGreaterThan(5);
  });

  for (const file of files) {
    const name = relative(root, file);
    const source = readFileSync(file, "utf8");

    it(`${name} imports only relative modules inside src/core`, () => {
      for (const spec of importSpecifiers(source)) {
        expect(spec.startsWith("node:"), `${name} imports ${spec}`).toBe(false);
        expect(spec.startsWith("."), `${name} imports package ${spec}`).toBe(true);
        const target = resolve(dirname(file), spec);
        expect(target.startsWith(coreDir), `${name} imports ${spec}, outside src/core`).toBe(true);
      }
    });

    it(`${name} uses no clock, timer, process or global randomness`, () => {
      const stripped = code(source);
      for (const re of FORBIDDEN_IDENTIFIERS) expect(re.test(stripped), `${name} uses ${re.source}`).toBe(false);
    });
  }

  it("the checks catch what they are meant to catch", () => {
    expect(importSpecifiers('import {x} from "node:fs";\nexport * from "../codec/index.ts";')).toEqual([
      "node:fs",
      "../codec/index.ts",
    ]);
    expect(FORBIDDEN_IDENTIFIERS.some((re) => re.test(code("const t = Date.now();")))).toBe(true);
    expect(FORBIDDEN_IDENTIFIERS.some((re) => re.test(code("// Date.now() in a comment")))).toBe(false);
    expect(FORBIDDEN_IDENTIFIERS.some((re) => re.test(code("const r = Math.random();")))).toBe(true);
  });
});
