#!/usr/bin/env node
/*
 * Bundles the compiled CLI (dist/src/cli/main.js, from `tsc`) into dist/cli/: lifeline.js plus one
 * chunk per lazily loaded command, minified, without comments. bin/lifeline loads it. Run by
 * `npm run build` after tsc; the library (dist/src/...) is untouched.
 *
 * Why: a `lifeline agent` process loads ~120 modules. Node resolves, reads, links and keeps the
 * source of each (the source stays on the heap for lazy compilation); a few chunks of minified
 * code start ~50 ms faster and hold ~2.5 MB less (README "Memory"). Node built-ins and the npm
 * dependencies (debug, prom-client) stay external: they load from node_modules as before.
 *
 * Non-ASCII characters (≥, ×, … in messages) are written as \uXXXX escapes: V8 keeps a source
 * with any non-Latin-1 character as two bytes per character, doubling the chunk's heap. Only
 * string, template and regular-expression literals are rewritten; a non-ASCII character elsewhere
 * fails the build, and a tagged template (String.raw: its raw text is its value) keeps its own.
 */
import {writeFileSync} from "node:fs";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {build} from "rolldown";
import {parseAst} from "rolldown/parseAst";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * The [start, end) spans of `program`'s literals: `escapable` those whose non-ASCII characters may be
 * written as escapes (strings, regular expressions, untagged templates), `keep` tagged templates.
 */
function literalSpans(program) {
  const escapable = [];
  const keep = [];
  const visit = (node) => {
    if (node === null || typeof node !== "object") return;
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    if (node.type === "Literal" && (typeof node.value === "string" || node.regex !== undefined)) {
      escapable.push([node.start, node.end]);
      return;
    }
    if (node.type === "TemplateElement") {
      escapable.push([node.start, node.end]);
      return;
    }
    if (node.type === "TaggedTemplateExpression") {
      visit(node.tag);
      keep.push([node.quasi.start, node.quasi.end]);
      for (const expression of node.quasi.expressions) visit(expression);
      return;
    }
    for (const key of Object.keys(node)) if (key !== "type") visit(node[key]);
  };
  visit(program);
  return {escapable, keep};
}

const within = (spans, i) => spans.some(([start, end]) => start <= i && i < end);

/** `code` with every non-ASCII UTF-16 unit inside an escapable literal written as \uXXXX. */
export function asciiSource(code, fileName) {
  if (!/[^ -~\t\n\r]/.test(code)) return code;
  const {escapable, keep} = literalSpans(parseAst(code, {sourceType: "module"}, fileName));
  let out = "";
  let kept = 0;
  for (let i = 0; i < code.length; i++) {
    const unit = code.charCodeAt(i);
    if (unit < 0x80) {
      out += code[i];
    } else if (within(keep, i)) {
      kept++;
      out += code[i];
    } else if (within(escapable, i)) {
      out += `\\u${unit.toString(16).padStart(4, "0")}`;
    } else {
      throw new Error(`${fileName}: non-ASCII character U+${unit.toString(16)} outside a literal at offset ${i}`);
    }
  }
  if (kept > 0) console.log(`bundle-cli: ${fileName} keeps ${kept} non-ASCII characters in tagged templates`);
  return out;
}

/** Writes dist/cli/ (after tsc has written dist/src/). */
export async function bundleCli() {
  const dir = join(ROOT, "dist", "cli");
  const {output} = await build({
    cwd: ROOT,
    input: {lifeline: join(ROOT, "dist", "src", "cli", "main.js")},
    platform: "node",
    external: [/^node:/, "prom-client"],
    logLevel: "warn",
    onLog(level, log, handler) {
      // main.js imports members.ts statically and through COMMANDS: expected, not a problem.
      if (log.code === "INEFFECTIVE_DYNAMIC_IMPORT") return;
      handler(level, log);
    },
    output: {
      dir,
      format: "esm",
      minify: true,
      comments: false,
      sourcemap: false,
      cleanDir: true,
      entryFileNames: "[name].js",
      chunkFileNames: "[name]-[hash].js",
    },
  });
  // After minification, which writes "\u2265" back as "≥".
  for (const chunk of output) {
    if (chunk.type !== "chunk") continue;
    const ascii = asciiSource(chunk.code, chunk.fileName);
    if (ascii !== chunk.code) writeFileSync(join(dir, chunk.fileName), ascii);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundleCli();
}
