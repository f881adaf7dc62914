/*
 * The deployment examples are checked, not just shipped: the systemd unit passes
 * `systemd-analyze verify` (with ExecStart pointed at this checkout's bin), the Kubernetes
 * manifest has the shapes it promises (headless Service, StatefulSet seeding --join from the
 * Service's DNS name, name and advertise address from the downward API), and every flag either
 * example passes exists in `lifeline agent --help`.
 */
import {execFileSync, spawnSync} from "node:child_process";
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {describe, expect, it} from "vitest";
import {parseAllDocuments} from "yaml";
import {type CliIo, run} from "../../src/cli/main.ts";

/** A parsed manifest document, walked by the assertions below (a mismatch fails them, not the types). */
// biome-ignore lint/suspicious/noExplicitAny: YAML of unknown shape, checked field by field in the tests
type Manifest = Record<string, any>;

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const unitText = readFileSync(join(root, "examples", "systemd", "lifeline.service"), "utf8");
const manifest = parseAllDocuments(readFileSync(join(root, "examples", "kubernetes", "lifeline.yaml"), "utf8")).map(
  (d) => d.toJS() as Manifest,
);

async function agentFlags(): Promise<Set<string>> {
  const out: string[] = [];
  const io: CliIo = {stdout: (t) => void out.push(t), stderr: () => {}};
  expect(await run(["agent", "--help"], io)).toBe(0);
  return new Set([...out.join("").matchAll(/^\s+(--[a-z][a-z-]*)/gm)].map((m) => m[1] as string));
}

function execStart(): string[] {
  const line = /^ExecStart=(.*)$/m.exec(unitText)?.[1];
  expect(line, "the unit has an ExecStart").toBeDefined();
  return (line as string).trim().split(/\s+/);
}

describe("examples/systemd/lifeline.service", () => {
  it("runs `lifeline agent` with flags the agent accepts", async () => {
    const [bin, command, ...args] = execStart();
    expect(bin).toMatch(/\/lifeline$/);
    expect(command).toBe("agent");
    const known = await agentFlags();
    expect(args.filter((a) => a.startsWith("--") && !known.has(a))).toEqual([]);
  });

  it("passes systemd-analyze verify", () => {
    const which = spawnSync("which", ["systemd-analyze"], {encoding: "utf8"});
    expect(which.status, "systemd-analyze is missing: apt-get install -y systemd").toBe(0);
    const dir = mkdtempSync(join(tmpdir(), "lifeline-unit-"));
    try {
      // verify checks that ExecStart is executable and that User= exists: use this checkout's bin and root.
      const local = unitText
        .replace(/^ExecStart=\S+/m, `ExecStart=${join(root, "bin", "lifeline")}`)
        .replace(/^User=.*$/m, "User=root")
        .replace(/^Group=.*$/m, "Group=root");
      const file = join(dir, "lifeline.service");
      writeFileSync(file, local);
      const result = spawnSync("systemd-analyze", ["verify", file], {encoding: "utf8"});
      expect(`${result.stdout}${result.stderr}`.trim()).toBe("");
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
  });
});

describe("examples/kubernetes/lifeline.yaml", () => {
  const service = manifest.find((d) => d.kind === "Service");
  const set = manifest.find((d) => d.kind === "StatefulSet");

  it("has a headless Service with the gossip port on UDP and TCP", () => {
    expect(service?.spec.clusterIP).toBe("None");
    const ports = (service?.spec.ports ?? []) as {port: number; protocol: string}[];
    expect(
      ports
        .filter((p) => p.port === 7946)
        .map((p) => p.protocol)
        .sort(),
    ).toEqual(["TCP", "UDP"]);
    expect(service?.spec.selector).toEqual(set?.spec.template.metadata.labels);
  });

  it("has a StatefulSet governed by that Service, seeding --join from its DNS name", async () => {
    expect(set?.spec.serviceName).toBe(service?.metadata.name);
    const container = set?.spec.template.spec.containers[0];
    const args = container.args as string[];
    expect(args[0]).toBe("agent");
    const value = (flag: string): string | undefined => args[args.indexOf(flag) + 1];
    expect(value("--join")).toBe(`${service?.metadata.name}.${service?.metadata.namespace}.svc.cluster.local:7946`);
    expect(value("--name")).toBe("$(POD_NAME)");
    expect(value("--advertise")).toBe("$(POD_IP):7946");
    const env = Object.fromEntries(
      (container.env as {name: string; valueFrom: {fieldRef: {fieldPath: string}}}[]).map((e) => [
        e.name,
        e.valueFrom.fieldRef.fieldPath,
      ]),
    );
    expect(env).toEqual({POD_NAME: "metadata.name", POD_IP: "status.podIP"});
    const known = await agentFlags();
    expect(args.filter((a) => a.startsWith("--") && !known.has(a))).toEqual([]);
  });

  it("checks readiness on the agent's /v1/health", () => {
    expect(set?.spec.template.spec.containers[0].readinessProbe.httpGet.path).toBe("/v1/health");
  });
});

// The unit's binary path is a real command line: a sanity check that bin/lifeline itself runs.
it("bin/lifeline --version runs", () => {
  expect(execFileSync(join(root, "bin", "lifeline"), ["--version"], {encoding: "utf8"})).toMatch(/^lifeline \d/);
});
