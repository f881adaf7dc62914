/*
 * The keyring file (serf's -keyring-file format): a JSON array of standard base64 keys, the
 * primary first. Loaded at start; rewritten after every key change (install, use, remove) through a
 * temporary file and a rename, mode 0600, so a crash never leaves half a keyring.
 */
import {readFileSync, renameSync, writeFileSync} from "node:fs";
import {Keyring} from "../codec/index.ts";
import {InvalidConfigError} from "../core/index.ts";

/** The keyring in `path`, or undefined when the file does not exist. Throws InvalidConfigError naming the file. */
export function loadKeyringFile(path: string): Keyring | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new InvalidConfigError("keyringFile", `cannot read ${path}: ${(error as Error).message}`);
  }
  let keys: unknown;
  try {
    keys = JSON.parse(text);
  } catch {
    throw new InvalidConfigError("keyringFile", `${path} must be a JSON array of base64 keys`);
  }
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === "string"))
    throw new InvalidConfigError("keyringFile", `${path} must be a non-empty JSON array of base64 keys`);
  try {
    return Keyring.fromBase64(keys as string[]);
  } catch (error) {
    throw new InvalidConfigError("keyringFile", `${path}: ${(error as Error).message}`);
  }
}

/** Writes `keyring` to `path` atomically (mode 0600). */
export function saveKeyringFile(path: string, keyring: Keyring): void {
  const text = `${JSON.stringify(keyring.toBase64(), null, 2)}\n`;
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text, {mode: 0o600});
  renameSync(temporary, path);
}
