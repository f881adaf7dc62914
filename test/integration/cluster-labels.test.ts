/*
 * Cluster labels with real agents on loopback (src/codec/label.ts, docs/memberlist-wire.md §12):
 * agents with the same label form a cluster (with and without encryption); an agent with another
 * label, or none, cannot join it, and the seed counts what it dropped in labelMismatches and
 * lifeline_label_mismatches_total. Raw datagrams check the UDP side byte for byte.
 */
import {createSocket} from "node:dgram";
import {afterAll, describe, expect, it} from "vitest";
import type {Agent} from "../../src/agent/index.ts";
import {encodePacket, generateKeyBase64, Keyring} from "../../src/codec/index.ts";
import {AgentCluster, addressOf, allSee, eventually} from "../helpers/agent-cluster.ts";

const names = (agents: readonly Agent[]): string[] => agents.map((a) => a.name).sort();
const memberNames = (agent: Agent): string[] =>
  agent
    .members()
    .map((m) => m.name)
    .sort();

/** The value of an unlabelled sample in a Prometheus text exposition. */
function sample(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no sample ${name}`);
  return Number(line.slice(name.length + 1));
}

/** Sends one raw datagram to `agent`'s UDP port. */
async function sendDatagram(agent: Agent, bytes: Uint8Array): Promise<void> {
  const socket = createSocket("udp4");
  try {
    await new Promise<void>((resolve, reject) =>
      socket.send(bytes, agent.address.port, agent.address.host, (error) => (error ? reject(error) : resolve())),
    );
  } finally {
    socket.close();
  }
}

describe("cluster labels", () => {
  const cluster = new AgentCluster();
  afterAll(async () => {
    await cluster.stopAll();
  });

  it("keeps two clusters with different labels apart: a cross join fails and is counted", async () => {
    const blue = await cluster.start(["blue-1", "blue-2"], {label: "blue"});
    const red = await cluster.start(["red-1", "red-2"], {label: "red"});
    // Same label: each pair joins and converges.
    await eventually(
      () => allSee(blue, names(blue), "alive"),
      15_000,
      "the blue pair converges",
      () => cluster.describe(),
    );
    await eventually(
      () => allSee(red, names(red), "alive"),
      15_000,
      "the red pair converges",
      () => cluster.describe(),
    );
    const [blue1] = blue as [Agent, Agent];
    const [red1] = red as [Agent, Agent];
    expect(blue1.stats.driver.labelMismatches).toBe(0);

    await expect(red1.join([addressOf(blue1)])).rejects.toMatchObject({name: "JoinError"});
    await eventually(() => blue1.stats.driver.labelMismatches >= 1, 5_000, "the blue seed counts the red stream");
    expect(blue1.stats.driver.streamDecodeErrors).toBe(0);
    await expect(blue1.join([addressOf(red1)])).rejects.toMatchObject({name: "JoinError"});
    await eventually(() => red1.stats.driver.labelMismatches >= 1, 5_000, "the red seed counts the blue stream");

    // Let anti-entropy run (a push-pull round at every agent after the failed joins) and check
    // that nobody merged anyway.
    const pushPulls = cluster.running().map((a) => a.node.stats.pushPulls);
    await eventually(
      () => cluster.running().every((a, i) => a.node.stats.pushPulls > (pushPulls[i] as number)),
      15_000,
      "a push-pull round at every agent",
    );
    for (const a of blue) expect(memberNames(a)).toEqual(["blue-1", "blue-2"]);
    for (const a of red) expect(memberNames(a)).toEqual(["red-1", "red-2"]);

    const text = await blue1.metrics.metrics();
    expect(sample(text, "lifeline_label_mismatches_total")).toBe(blue1.stats.driver.labelMismatches);
    expect(sample(text, "lifeline_label_mismatches_total")).toBeGreaterThanOrEqual(1);
  });

  it("refuses datagrams with another label or none, and reads one with ours", async () => {
    const seed = await cluster.add({name: "udp-1", label: "blue"});
    const ping = (label?: string) =>
      encodePacket([{type: "ping", seqNo: 77, node: "udp-1"}], label === undefined ? {} : {label});
    const before = {...seed.stats.driver};
    await sendDatagram(seed, ping("red"));
    await sendDatagram(seed, ping());
    await eventually(
      () => seed.stats.driver.labelMismatches >= before.labelMismatches + 2,
      5_000,
      "two refused datagrams",
    );
    expect(seed.stats.driver.decodeErrors).toBe(before.decodeErrors);
    expect(seed.stats.driver.messagesIn).toBe(before.messagesIn);
    await sendDatagram(seed, ping("blue"));
    await eventually(() => seed.stats.driver.messagesIn >= before.messagesIn + 1, 5_000, "the blue ping is read");
    expect(seed.stats.driver.labelMismatches).toBe(before.labelMismatches + 2);
  });

  it("works with encryption: same label and key converge; another label or key cannot join", async () => {
    const key = generateKeyBase64();
    const green = await cluster.start(["green-1", "green-2", "green-3"], {label: "green", encrypt: key});
    await eventually(
      () => allSee(green, names(green), "alive"),
      15_000,
      "the green trio converges",
      () => cluster.describe(),
    );
    const [seed] = green as [Agent];
    expect(seed.stats.driver.labelMismatches).toBe(0);
    expect(seed.stats.driver.decodeErrors).toBe(0);

    const teal = await cluster.add({name: "teal-1", label: "teal", encrypt: key});
    const mismatches = seed.stats.driver.labelMismatches;
    await expect(teal.join([addressOf(seed)])).rejects.toMatchObject({name: "JoinError"});
    await eventually(() => seed.stats.driver.labelMismatches > mismatches, 5_000, "the teal stream is refused");

    const wrongKey = await cluster.add({name: "green-x", label: "green", encrypt: generateKeyBase64()});
    const streamErrors = seed.stats.driver.streamDecodeErrors;
    await expect(wrongKey.join([addressOf(seed)])).rejects.toMatchObject({name: "JoinError"});
    await eventually(
      () => seed.stats.driver.streamDecodeErrors > streamErrors,
      5_000,
      "the wrong-key stream does not decrypt",
    );
    for (const a of green) expect(memberNames(a)).toEqual(["green-1", "green-2", "green-3"]);

    // The label is authenticated: a datagram with the right header but sealed without the label
    // as AAD (what an unlabelled sender with the key would produce, re-headed) does not decrypt.
    const keyring = Keyring.fromBase64([key]);
    const unlabelled = encodePacket([{type: "ping", seqNo: 5, node: "green-1"}], {keyring});
    const forged = Uint8Array.from([0xf4, 5, ...Buffer.from("green"), ...unlabelled]);
    const decodeErrors = seed.stats.driver.decodeErrors;
    await sendDatagram(seed, forged);
    await eventually(() => seed.stats.driver.decodeErrors > decodeErrors, 5_000, "the forged datagram is dropped");
  });

  it("an unlabelled agent cannot join a labelled one, nor a labelled agent an unlabelled one", async () => {
    const labelled = await cluster.add({name: "lab-1", label: "lab"});
    const plain = await cluster.add({name: "plain-1"});
    await expect(plain.join([addressOf(labelled)])).rejects.toMatchObject({name: "JoinError"});
    await eventually(() => labelled.stats.driver.labelMismatches >= 1, 5_000, "the labelled seed counts it");
    await expect(labelled.join([addressOf(plain)])).rejects.toMatchObject({name: "JoinError"});
    await eventually(() => plain.stats.driver.labelMismatches >= 1, 5_000, "the unlabelled seed counts it");
    expect(memberNames(labelled)).toEqual(["lab-1"]);
    expect(memberNames(plain)).toEqual(["plain-1"]);
  });
});
