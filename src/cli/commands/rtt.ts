/*
 * `lifeline rtt A [B]`: the round-trip time between two members estimated from their network
 * coordinates (serf's `serf rtt`): reads GET /v1/coordinates from a running agent, B defaulting to
 * the agent itself (its name from GET /v1/health), and prints serf's DistanceTo in ms.
 */
import {
  type Coordinate,
  estimateRttMs,
  isCompatible,
  isValidCoordinate,
  makeCoordinate,
} from "../../coordinate/index.ts";
import type {CoordinateJson} from "../../http/index.ts";
import type {Command} from "../command.ts";
import {CLIENT_FLAGS, clientCommand, errorText, httpBase, request} from "../http-client.ts";
import {UsageError} from "../usage-error.ts";

export const rttCommand: Command = {
  name: "rtt",
  synopsis: "[flags] NODE1 [NODE2]",
  description:
    "  Estimates the round-trip time between NODE1 and NODE2 from the network coordinates the\n" +
    "  agent knows (serf's Vivaldi model; `serf rtt`). NODE2 defaults to the agent itself. Names\n" +
    "  are member names as `lifeline members` shows them, not addresses.",
  flags: CLIENT_FLAGS,
  positionals: true,
  async run(parsed, io) {
    const names = parsed.positionals;
    if (names.length < 1 || names.length > 2) throw new UsageError("needs one or two node names: NODE1 [NODE2]");
    const base = httpBase(parsed, io);
    return clientCommand("rtt", io, async () => {
      const {status, body} = await request(base, "/v1/coordinates");
      if (status !== 200 || !Array.isArray(body)) {
        io.stderr(`lifeline rtt: ${errorText(body)}\n`);
        return 1;
      }
      const a = names[0] as string;
      let b = names[1];
      if (b === undefined) {
        const health = await request(base, "/v1/health");
        const name = (health.body as {name?: unknown} | null)?.name;
        if (typeof name !== "string") {
          io.stderr(`lifeline rtt: cannot learn the agent's name: ${errorText(health.body)}\n`);
          return 1;
        }
        b = name;
      }
      const known = body as CoordinateJson[];
      const pair: Coordinate[] = [];
      for (const name of [a, b]) {
        const entry = known.find((e) => e.node === name);
        if (entry === undefined) {
          io.stderr(`lifeline rtt: could not find a coordinate for node ${JSON.stringify(name)}\n`);
          return 1;
        }
        const coordinate = fromJson(entry.coordinate);
        if (coordinate === undefined) {
          io.stderr(`lifeline rtt: the agent sent a malformed coordinate for node ${JSON.stringify(name)}\n`);
          return 1;
        }
        pair.push(coordinate);
      }
      const [ca, cb] = pair as [Coordinate, Coordinate];
      if (!isCompatible(ca, cb)) {
        io.stderr(`lifeline rtt: the coordinates of ${a} and ${b} have different dimensionality\n`);
        return 1;
      }
      io.stdout(`Estimated ${a} <-> ${b} rtt: ${estimateRttMs(ca, cb).toFixed(3)} ms (using LAN coordinates)\n`);
      return 0;
    });
  },
};

/** A Coordinate from the API's JSON, or undefined when a field is missing or not a finite number. */
function fromJson(json: CoordinateJson["coordinate"] | undefined): Coordinate | undefined {
  if (typeof json !== "object" || json === null || !Array.isArray(json.vec)) return undefined;
  const {vec, error, adjustment, height} = json;
  if (![error, adjustment, height, ...vec].every((x) => typeof x === "number")) return undefined;
  const coordinate = makeCoordinate(vec, error, adjustment, height);
  return isValidCoordinate(coordinate) ? coordinate : undefined;
}
