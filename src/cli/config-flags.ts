/*
 * The flag rows for every SwimConfig field, shared by `lifeline agent` and `lifeline sim` so both
 * spell a core setting the same way (`--probe-interval-ms 500`). `path` says where the field sits
 * in the command's options: top level for the agent, under `config.` for the simulator.
 */
import {CONFIG_FIELDS, lanConfig} from "../core/index.ts";
import {type FlagSpec, toKebab} from "./flags.ts";

/** One flag per SwimConfig field, kebab-case; booleans are bool flags, the rest integers. */
export function swimConfigFlags(pathPrefix: "" | "config."): FlagSpec[] {
  const defaults = lanConfig();
  return CONFIG_FIELDS.map((field) => ({
    name: toKebab(field),
    type: typeof defaults[field] === "boolean" ? "bool" : "int",
    path: `${pathPrefix}${field}`,
    help: `SwimConfig.${field} (lan default ${String(defaults[field])})`,
  }));
}
