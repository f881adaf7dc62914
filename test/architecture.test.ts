/*
 * The layering of docs/architecture.md, checked rather than reviewed. Four checks over every .ts
 * file in src/ and sim/:
 *   1. the core is pure: no Node built-ins, no package, no other folder, no clock, no timers, no
 *      process, no global randomness;
 *   2. every import follows the import table (which folder may import which, and which outside
 *      packages each folder may use), and crosses into another folder only through its index.ts;
 *   3. no import circle among the files (type-only, re-export and dynamic imports all count);
 *   4. the table below is the table printed in docs/architecture.md, so the two cannot drift.
 * The checkers are pure functions over an in-memory edge list; the last block plants violations in
 * a small graph to show that each check catches what it is meant to catch.
 */
import {existsSync, readdirSync, readFileSync} from "node:fs";
import {dirname, join, relative, resolve, sep} from "node:path";
import {fileURLToPath} from "node:url";
import {describe, expect, it} from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

// ---- the import table (docs/architecture.md §3); rows import columns, every folder imports itself ----

/** The package entry, src/index.ts, is a layer of its own. */
const ENTRY = "src/index.ts";

const SRC_FOLDERS = [
  "core",
  "codec",
  "coordinate",
  "transport",
  "runtime",
  "phi",
  "ring",
  "heartbeat",
  "hooks",
  "serf",
  "http",
  "agent",
  "testbed",
  "cli",
] as const;

/** Which other folders each folder may import. */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  core: [],
  codec: ["core", "coordinate"],
  coordinate: ["core"],
  transport: [],
  runtime: ["core", "codec", "transport"],
  phi: ["core"],
  ring: ["core"],
  heartbeat: ["core", "phi"],
  hooks: ["core"],
  serf: ["core", "codec"],
  http: ["core", "ring", "heartbeat", "hooks", "runtime", "transport"],
  agent: ["core", "codec", "coordinate", "transport", "runtime", "phi", "ring", "heartbeat", "hooks", "serf", "http"],
  cli: [...SRC_FOLDERS.filter((f) => f !== "cli"), ENTRY, "sim"],
  testbed: ["core", "sim"],
  sim: ["core", "codec", "coordinate", "runtime", "transport", "ring", "phi", "serf"],
  [ENTRY]: SRC_FOLDERS.filter((f) => f !== "cli" && f !== "testbed"),
};

/**
 * Which outside modules each folder may import: a package name, an exact `node:` built-in, or
 * `node:*` for every built-in. Bare built-in names ("fs") are never allowed; write `node:fs`.
 */
const MAY_USE: Readonly<Record<string, readonly string[]>> = {
  core: [],
  codec: ["node:crypto", "node:module"],
  coordinate: [],
  transport: ["node:*", "debug"],
  runtime: ["node:*", "debug"],
  phi: [],
  ring: [],
  heartbeat: ["node:*", "debug"],
  hooks: ["node:*", "debug"],
  serf: [],
  http: ["node:*", "debug", "prom-client"],
  agent: ["node:*", "debug", "prom-client"],
  cli: ["node:*", "debug"],
  testbed: ["node:*"],
  sim: ["node:fs", "node:path", "node:url", "node:perf_hooks", "node:process"],
  [ENTRY]: [],
};

// ---- reading import specifiers ----

const REGEX_BEFORE = new Set("(,=:[!&|?{};+-*%<>~^".split(""));
const REGEX_AFTER_WORD = /\b(?:return|typeof|case|in|of|new|delete|void|throw|yield|await|else|do)$/;

/**
 * The source with comments blanked out (newlines kept) and string, template and regex literals
 * left in place, so an `import` inside a comment is not read and `"//"` inside a string is not a
 * comment. Regex literals are told from division by the token before the slash.
 */
function stripComments(source: string): string {
  let out = "";
  let i = 0;
  const n = source.length;
  const templateDepth: number[] = []; // brace depth at which each open `${` of a template resumes
  let braces = 0;
  const lastSignificant = (): string => {
    const t = out.trimEnd();
    return t.length === 0 ? "" : (t[t.length - 1] as string);
  };
  const readTemplate = (): void => {
    // at the character after ` or after the } closing a ${ … }
    while (i < n) {
      const c = source[i] as string;
      if (c === "\\") {
        out += source.slice(i, i + 2);
        i += 2;
      } else if (c === "`") {
        out += c;
        i++;
        return;
      } else if (c === "$" && source[i + 1] === "{") {
        out += "${";
        i += 2;
        templateDepth.push(braces);
        braces++;
        return;
      } else {
        out += c;
        i++;
      }
    }
  };
  while (i < n) {
    const c = source[i] as string;
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      while (i < n && source[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end === -1 ? n : end + 2;
      out += source.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && source[j] !== c && source[j] !== "\n") j += source[j] === "\\" ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
    } else if (c === "`") {
      out += c;
      i++;
      readTemplate();
    } else if (c === "{") {
      braces++;
      out += c;
      i++;
    } else if (c === "}") {
      braces--;
      out += c;
      i++;
      if (templateDepth.length > 0 && templateDepth[templateDepth.length - 1] === braces) {
        templateDepth.pop();
        readTemplate();
      }
    } else if (c === "/") {
      const before = lastSignificant();
      const isRegex = before === "" || REGEX_BEFORE.has(before) || REGEX_AFTER_WORD.test(out.trimEnd());
      if (!isRegex) {
        out += c;
        i++;
        continue;
      }
      let j = i + 1;
      let inClass = false;
      while (j < n && source[j] !== "\n") {
        const d = source[j];
        if (d === "\\") j++;
        else if (d === "[") inClass = true;
        else if (d === "]") inClass = false;
        else if (d === "/" && !inClass) break;
        j++;
      }
      out += source.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Source without comments and string contents, so prose like "no Date here" does not trip the check. */
function code(source: string): string {
  return stripComments(source)
    .replace(/`(?:\\.|[^`\\])*`/g, "``")
    .replace(/"(?:\\.|[^"\\\n])*"/g, '""')
    .replace(/'(?:\\.|[^'\\\n])*'/g, "''");
}

const STATIC_IMPORT = /(?:^|[;}])\s*(?:import|export)\s+(?:type\s+)?(?:[\w$*{}\s,]*?\s*from\s*)?["']([^"'\n]+)["']/gm;
const DYNAMIC_IMPORT = /\bimport\s*\(\s*([^)]*?)\s*\)/g;
/** `require("x")` through createRequire (agent/metrics.ts loads prom-client that way). */
const REQUIRE_CALL = /(?<![\w$.])require\s*\(\s*["']([^"'\n]+)["']\s*\)/g;

/**
 * Every module specifier a file names: static imports and re-exports (type-only too), side-effect
 * imports, dynamic `import()` and `require("…")`. A dynamic import whose argument is not a string literal comes
 * back as `<computed: …>`, which no rule allows.
 */
function importSpecifiers(source: string): string[] {
  const text = stripComments(source);
  const out: string[] = [];
  for (const m of text.matchAll(STATIC_IMPORT)) out.push(m[1] as string);
  for (const m of text.matchAll(REQUIRE_CALL)) out.push(m[1] as string);
  for (const m of text.matchAll(DYNAMIC_IMPORT)) {
    const arg = m[1] as string;
    const literal = /^["']([^"']+)["']$/.exec(arg);
    out.push(literal ? (literal[1] as string) : `<computed: ${arg}>`);
  }
  return out;
}

// ---- the graph and its checks (pure; paths are repository-relative with "/") ----

/** One import: `from` and (for a relative specifier) `to` are repository-relative file paths. */
interface Edge {
  readonly from: string;
  readonly spec: string;
  /** The resolved file, for relative specifiers; undefined for packages and built-ins. */
  readonly to?: string;
}

/** The layer a file belongs to: `core`, …, `cli`, `sim`, `src/index.ts`, or undefined outside src/ and sim/. */
function layerOf(path: string): string | undefined {
  if (path === ENTRY) return ENTRY;
  const parts = path.split("/");
  if (parts[0] === "sim") return "sim";
  if (parts[0] === "src" && parts.length >= 3) return parts[1];
  return undefined;
}

/** The file through which a layer is imported from outside. */
function indexOf(layer: string): string {
  if (layer === ENTRY) return ENTRY;
  return layer === "sim" ? "sim/index.ts" : `src/${layer}/index.ts`;
}

function packageName(spec: string): string {
  if (spec.startsWith("node:")) return spec.split("/")[0] as string;
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] as string);
}

function mayUse(layer: string, spec: string): boolean {
  const name = packageName(spec);
  const allowed = MAY_USE[layer] ?? [];
  return allowed.includes(name) || (name.startsWith("node:") && allowed.includes("node:*"));
}

/** Every breach of the import table and of the index.ts rule, one readable line each. */
function tableViolations(edges: readonly Edge[], exists: (path: string) => boolean = () => true): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const from = layerOf(e.from);
    if (from === undefined) continue;
    if (!(from in MAY_IMPORT)) {
      out.push(`${e.from} is in folder ${from}, which the import table of docs/architecture.md does not list`);
      continue;
    }
    if (e.to === undefined) {
      if (e.spec.startsWith("<computed")) out.push(`${e.from} has a dynamic import the table cannot check: ${e.spec}`);
      else if (!mayUse(from, e.spec))
        out.push(`${e.from} imports ${e.spec}: ${from} may not use ${packageName(e.spec)}`);
      continue;
    }
    const to = layerOf(e.to);
    if (to === undefined) {
      out.push(`${e.from} imports ${e.to}: ${from} may not import outside src/ and sim/`);
      continue;
    }
    if (!exists(e.to)) out.push(`${e.from} imports ${e.to}, which does not exist`);
    if (to === from) continue;
    if (!(MAY_IMPORT[from] ?? []).includes(to)) {
      out.push(`${e.from} imports ${e.to}: ${from} may not import ${to}`);
    } else if (e.to !== indexOf(to)) {
      out.push(`${e.from} imports ${e.to}: import ${to} through ${indexOf(to)}`);
    }
  }
  return out;
}

/**
 * One circle per strongly connected component of the file graph that has one (Tarjan), each given
 * as a shortest path from the component's first file (by name) back to itself.
 */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = (graph.get(v) ?? []).includes(v);
      if (component.length > 1 || selfLoop) components.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);

  return components
    .map((component) => {
      const members = new Set(component);
      const start = component[0] as string;
      const previous = new Map<string, string>();
      const queue = [start];
      let last: string | undefined;
      for (let q = 0; q < queue.length && last === undefined; q++) {
        const v = queue[q] as string;
        for (const w of [...(graph.get(v) ?? [])].sort()) {
          if (!members.has(w)) continue;
          if (w === start) {
            last = v;
            break;
          }
          if (!previous.has(w)) {
            previous.set(w, v);
            queue.push(w);
          }
        }
      }
      const path = [start];
      for (let v = last as string; v !== start; v = previous.get(v) as string) path.splice(1, 0, v);
      path.push(start);
      return path;
    })
    .sort((a, b) => (a[0] as string).localeCompare(b[0] as string));
}

function graphOf(edges: readonly Edge[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const e of edges) {
    if (!graph.has(e.from)) graph.set(e.from, []);
    if (e.to !== undefined && !(graph.get(e.from) as string[]).includes(e.to))
      (graph.get(e.from) as string[]).push(e.to);
  }
  return graph;
}

// ---- the repository ----

function tsFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

const rel = (abs: string): string => relative(root, abs).split(sep).join("/");

const files = [...tsFiles(join(root, "src")), ...tsFiles(join(root, "sim"))].map(rel).sort();
const sources = new Map(files.map((f) => [f, readFileSync(join(root, f), "utf8")]));
const edges: Edge[] = files.flatMap((from) =>
  importSpecifiers(sources.get(from) as string).map(
    (spec): Edge => (spec.startsWith(".") ? {from, spec, to: rel(resolve(root, dirname(from), spec))} : {from, spec}),
  ),
);

// ---- the checks ----

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
  const coreFiles = files.filter((f) => layerOf(f) === "core");

  it("finds the core's files", () => {
    expect(coreFiles.length).toBeGreaterThan(5);
  });

  for (const name of coreFiles) {
    const source = sources.get(name) as string;

    it(`${name} imports only relative modules inside src/core`, () => {
      for (const spec of importSpecifiers(source)) {
        expect(spec.startsWith("node:"), `${name} imports ${spec}`).toBe(false);
        expect(spec.startsWith("."), `${name} imports package ${spec}`).toBe(true);
        const target = rel(resolve(root, dirname(name), spec));
        expect(target.startsWith("src/core/"), `${name} imports ${spec}, outside src/core`).toBe(true);
      }
    });

    it(`${name} uses no clock, timer, process or global randomness`, () => {
      const stripped = code(source);
      for (const re of FORBIDDEN_IDENTIFIERS) expect(re.test(stripped), `${name} uses ${re.source}`).toBe(false);
    });
  }
});

describe("architecture: src/coordinate is pure", () => {
  const coordinateFiles = files.filter((f) => layerOf(f) === "coordinate");

  it("finds the coordinate files", () => {
    expect(coordinateFiles.length).toBeGreaterThan(2);
  });

  for (const name of coordinateFiles) {
    it(`${name} uses no clock, timer, process or global randomness`, () => {
      const stripped = code(sources.get(name) as string);
      for (const re of FORBIDDEN_IDENTIFIERS) expect(re.test(stripped), `${name} uses ${re.source}`).toBe(false);
    });
  }
});

describe("architecture: the import table of docs/architecture.md", () => {
  it("finds the files of every layer", () => {
    for (const layer of [...SRC_FOLDERS, "sim", ENTRY]) {
      expect(
        files.some((f) => layerOf(f) === layer),
        `no .ts file in ${layer}`,
      ).toBe(true);
    }
    expect(edges.length).toBeGreaterThan(100);
  });

  it("every import in src/ and sim/ follows the table and enters another folder through its index.ts", () => {
    expect(tableViolations(edges, (p) => existsSync(join(root, p)))).toEqual([]);
  });

  it("no import circle among the files of src/ and sim/", () => {
    const cycles = importCycles(graphOf(edges)).map((c) => `import circle: ${c.join(" → ")}`);
    expect(cycles).toEqual([]);
  });

  it("docs/architecture.md prints the same table as this test", () => {
    const doc = readFileSync(join(root, "docs", "architecture.md"), "utf8");
    const rows = new Map<string, {imports: string[]; uses: string[]}>();
    for (const line of doc.split("\n")) {
      const cells = line.split("|").map((c) => c.trim());
      // | `layer` | `a`, `b` | `pkg`, `node:x` |   (— for none)
      const layer = /^`([^`]+)`$/.exec(cells[1] ?? "")?.[1];
      if (layer === undefined || cells.length !== 5 || !(layer in MAY_IMPORT)) continue;
      const ticks = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string).sort();
      rows.set(layer, {imports: ticks(cells[2] as string), uses: ticks(cells[3] as string)});
    }
    const expected = new Map(
      Object.keys(MAY_IMPORT).map((layer) => [
        layer,
        {imports: [...(MAY_IMPORT[layer] ?? [])].sort(), uses: [...(MAY_USE[layer] ?? [])].sort()},
      ]),
    );
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(expected));
  });
});

describe("architecture: the checks catch what they are meant to catch", () => {
  it("reads static, type-only, re-export, side-effect and dynamic imports, and skips comments", () => {
    const source = [
      'import {x} from "node:fs";',
      'import type {Y} from "../core/index.ts";',
      "import {",
      "  a,",
      "  type B,",
      '} from "./multi.ts";',
      'export * from "../codec/index.ts";',
      'export type * from "./types.ts";',
      'import "./side-effect.ts";',
      'const url = "http://example.org"; // import {no} from "./comment.ts";',
      '/* import {no} from "./block.ts"; */',
      'const re = /["\'`]/g; const later = await import("./later.ts");',
      "const computed = await import(name);",
    ].join("\n");
    expect(importSpecifiers(source)).toEqual([
      "node:fs",
      "../core/index.ts",
      "./multi.ts",
      "../codec/index.ts",
      "./types.ts",
      "./side-effect.ts",
      "./later.ts",
      "<computed: name>",
    ]);
  });

  it("the purity check sees code, not prose", () => {
    expect(FORBIDDEN_IDENTIFIERS.some((re) => re.test(code("const t = Date.now();")))).toBe(true);
    expect(FORBIDDEN_IDENTIFIERS.some((re) => re.test(code("// Date.now() in a comment")))).toBe(false);
    expect(FORBIDDEN_IDENTIFIERS.some((re) => re.test(code('const s = "Date";')))).toBe(false);
    expect(FORBIDDEN_IDENTIFIERS.some((re) => re.test(code("const r = Math.random();")))).toBe(true);
  });

  it("the table check names each planted violation", () => {
    const planted: Edge[] = [
      {from: "src/http/metrics.ts", spec: "../agent/agent.ts", to: "src/agent/agent.ts"},
      {from: "src/http/server.ts", spec: "../ring/leader.ts", to: "src/ring/leader.ts"},
      {from: "src/http/server.ts", spec: "../ring/index.ts", to: "src/ring/index.ts"},
      {from: "src/http/server.ts", spec: "./metrics.ts", to: "src/http/metrics.ts"},
      {from: "src/codec/keyring.ts", spec: "node:crypto"},
      {from: "src/codec/lzw.ts", spec: "node:zlib"},
      {from: "src/codec/tags.ts", spec: "@msgpack/msgpack"},
      {from: "src/core/node.ts", spec: "debug"},
      {from: "src/transport/udp.ts", spec: "node:dgram"},
      {from: "src/transport/udp.ts", spec: "fs"},
      {from: "sim/network.ts", spec: "node:dgram"},
      {from: "sim/simulation.ts", spec: "../src/agent/index.ts", to: "src/agent/index.ts"},
      {from: "sim/clock.ts", spec: "../src/runtime/scheduler.ts", to: "src/runtime/scheduler.ts"},
      {from: "src/cli/main.ts", spec: "../../sim/index.ts", to: "sim/index.ts"},
      {from: "src/index.ts", spec: "./cli/index.ts", to: "src/cli/index.ts"},
      {from: "src/ring/hash.ts", spec: "../../test/helpers/x.ts", to: "test/helpers/x.ts"},
      {from: "src/shared/x.ts", spec: "../core/index.ts", to: "src/core/index.ts"},
      {from: "src/agent/agent.ts", spec: "<computed: name>"},
      {from: "test/unit/x.test.ts", spec: "../../src/agent/agent.ts", to: "src/agent/agent.ts"},
    ];
    expect(tableViolations(planted)).toEqual([
      "src/http/metrics.ts imports src/agent/agent.ts: http may not import agent",
      "src/http/server.ts imports src/ring/leader.ts: import ring through src/ring/index.ts",
      "src/codec/lzw.ts imports node:zlib: codec may not use node:zlib",
      "src/codec/tags.ts imports @msgpack/msgpack: codec may not use @msgpack/msgpack",
      "src/core/node.ts imports debug: core may not use debug",
      "src/transport/udp.ts imports fs: transport may not use fs",
      "sim/network.ts imports node:dgram: sim may not use node:dgram",
      "sim/simulation.ts imports src/agent/index.ts: sim may not import agent",
      "sim/clock.ts imports src/runtime/scheduler.ts: import runtime through src/runtime/index.ts",
      "src/index.ts imports src/cli/index.ts: src/index.ts may not import cli",
      "src/ring/hash.ts imports test/helpers/x.ts: ring may not import outside src/ and sim/",
      "src/shared/x.ts is in folder shared, which the import table of docs/architecture.md does not list",
      "src/agent/agent.ts has a dynamic import the table cannot check: <computed: name>",
    ]);
    expect(tableViolations([{from: "src/core/a.ts", spec: "./gone.ts", to: "src/core/gone.ts"}], () => false)).toEqual([
      "src/core/a.ts imports src/core/gone.ts, which does not exist",
    ]);
  });

  it("the cycle check reports each planted circle as a path, and passes a graph without one", () => {
    const graph = new Map<string, string[]>([
      ["src/cli/main.ts", ["src/cli/demo.ts", "src/core/index.ts"]],
      ["src/cli/demo.ts", ["src/cli/main.ts"]],
      ["src/core/index.ts", ["src/core/node.ts"]],
      ["src/core/node.ts", ["src/core/members.ts"]],
      ["src/core/members.ts", ["src/core/probe.ts"]],
      ["src/core/probe.ts", ["src/core/node.ts", "src/core/timers.ts"]],
      ["src/core/timers.ts", []],
      ["src/ring/hash.ts", ["src/ring/hash.ts"]],
    ]);
    expect(importCycles(graph)).toEqual([
      ["src/cli/demo.ts", "src/cli/main.ts", "src/cli/demo.ts"],
      ["src/core/members.ts", "src/core/probe.ts", "src/core/node.ts", "src/core/members.ts"],
      ["src/ring/hash.ts", "src/ring/hash.ts"],
    ]);
    graph.set("src/cli/demo.ts", []);
    graph.set("src/core/probe.ts", ["src/core/timers.ts"]);
    graph.set("src/ring/hash.ts", []);
    expect(importCycles(graph)).toEqual([]);
    expect(
      importCycles(
        graphOf([
          {from: "a.ts", spec: "./b.ts", to: "b.ts"},
          {from: "b.ts", spec: "debug"},
          {from: "b.ts", spec: "./a.ts", to: "a.ts"},
        ]),
      ),
    ).toEqual([["a.ts", "b.ts", "a.ts"]]);
  });
});
