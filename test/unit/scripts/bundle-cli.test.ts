/*
 * scripts/bundle-cli.mjs's ASCII pass: non-ASCII characters in string, template and regular
 * expression literals become \uXXXX escapes with the same value; tagged templates keep theirs;
 * anything else fails the build.
 */
import {describe, expect, it} from "vitest";
// @ts-expect-error: a plain .mjs build script, without types
import {asciiSource} from "../../../scripts/bundle-cli.mjs";

const ascii = asciiSource as (code: string, fileName: string) => string;
const evaluate = (code: string): unknown => new Function(`return ${code}`)();

describe("asciiSource", () => {
  it("leaves ASCII code as it is", () => {
    const code = 'const a = "plain";';
    expect(ascii(code, "a.js")).toBe(code);
  });

  it("escapes strings, templates and regular expressions to the same values", () => {
    for (const literal of [
      '"≥ 1 × 2"',
      "`a ≥ $" + "{1 + 1} → b`",
      '/^xü+$/.test("xüü") && !/^xü+$/.test("xu")',
      '"emoji 😀"',
    ]) {
      const out = ascii(literal, "a.js");
      expect(out).toMatch(/^[\x20-\x7e]*$/);
      expect(evaluate(out)).toEqual(evaluate(literal));
    }
  });

  it("keeps a tagged template's text, whose raw form is its value", () => {
    const code = "String.raw`connecting… $" + "{1}`";
    expect(ascii(code, "a.js")).toBe(code);
  });

  it("fails on a non-ASCII character outside a literal", () => {
    expect(() => ascii("const café = 1;", "a.js")).toThrow(/outside a literal/);
  });
});
