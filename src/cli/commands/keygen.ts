/* `lifeline keygen`: a fresh 32-byte encryption key in standard base64. */
import {generateKeyBase64} from "../../codec/index.ts";
import type {Command} from "../command.ts";

export const keygenCommand: Command = {
  name: "keygen",
  synopsis: "",
  description: "  Prints a fresh 32-byte key, standard base64, for --encrypt (and serf -encrypt).",
  flags: [],
  async run(_parsed, io) {
    io.stdout(`${generateKeyBase64()}\n`);
    return 0;
  },
};
