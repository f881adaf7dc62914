/*
 * The /ui dashboard in a real headless browser: Debian's Chromium driven by puppeteer-core (which
 * never downloads a browser). Three real `lifeline agent` processes on loopback, the page opened
 * on one (behind a bearer token), one other agent SIGKILLed: the page must show it failed within
 * the detection bound the config implies, with the timeline, counters, ring and a plain-heartbeat
 * device filled in, and the layout must fit a phone-sized window. Saves a screenshot (to
 * docs/dashboard.png with LIFELINE_UPDATE_SCREENSHOT=1, for the README). Needs `npm run build`.
 */
import {type ChildProcess, spawn} from "node:child_process";
import {createSocket} from "node:dgram";
import {existsSync, mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {fileURLToPath} from "node:url";
import puppeteer, {type Browser, type Page} from "puppeteer-core";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {detectionBound} from "../../src/core/bounds.ts";
import {localConfig, resolveConfig} from "../../src/core/index.ts";
import {freePort} from "../helpers/serf-ports.ts";

const BIN = fileURLToPath(new URL("../../bin/lifeline", import.meta.url));
const BUILT = fileURLToPath(new URL("../../dist/src/cli/main.js", import.meta.url));
const SCREENSHOT = fileURLToPath(new URL("../../docs/dashboard.png", import.meta.url));
const TOKEN = "dashboard-test-token";
const PROBE = {probeIntervalMs: 200, probeTimeoutMs: 100};

/** The system browser: $CHROMIUM_PATH, or Debian's package. Missing is a failure, not a skip. */
function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  const found = candidates.find((path) => path && existsSync(path));
  if (!found) throw new Error("no Chromium: apt-get install -y chromium (or set CHROMIUM_PATH); .ci/run installs it");
  return found;
}

interface AgentProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly gossip: string;
  readonly log: string[];
}

const agents: AgentProcess[] = [];

async function startAgent(name: string, extra: readonly string[], join?: string): Promise<AgentProcess> {
  const gossip = `127.0.0.1:${await freePort()}`;
  const args = [
    BIN,
    "agent",
    "--name",
    name,
    "--bind",
    gossip,
    "--profile",
    "local",
    "--probe-interval-ms",
    String(PROBE.probeIntervalMs),
    "--probe-timeout-ms",
    String(PROBE.probeTimeoutMs),
    ...(join ? ["--join", join] : []),
    ...extra,
  ];
  const child = spawn(process.execPath, args, {stdio: ["ignore", "pipe", "pipe"]});
  const log: string[] = [];
  child.stdout?.on("data", (chunk) => log.push(String(chunk)));
  child.stderr?.on("data", (chunk) => log.push(String(chunk)));
  const agent = {name, child, gossip, log};
  agents.push(agent);
  return agent;
}

/** Waits until `url` answers 200 (the agent process is up and serving). */
async function untilHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline)
      throw new Error(`${url} not healthy within ${timeoutMs} ms:\n${agents.map((a) => a.log.join("")).join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Texts of the page's member rows by name → state attribute. */
function memberStates(page: Page): Promise<Record<string, string>> {
  return page.$$eval("#members tr[data-member]", (rows) =>
    Object.fromEntries(rows.map((r) => [r.getAttribute("data-member") ?? "", r.getAttribute("data-state") ?? ""])),
  );
}

describe("the /ui dashboard in headless Chromium", () => {
  let browser: Browser;
  let page: Page;
  let base: string;
  let viewer: AgentProcess;
  let heartbeatPort: number;
  let beats: ReturnType<typeof setInterval> | undefined;
  const profileDir = mkdtempSync(join(tmpdir(), "lifeline-chromium-"));
  const udp = createSocket("udp4");

  beforeAll(async () => {
    expect(existsSync(BUILT), "dist/ is missing: run `npm run build` first").toBe(true);
    const httpPort = await freePort();
    heartbeatPort = await freePort();
    base = `http://127.0.0.1:${httpPort}`;
    viewer = await startAgent("web-1", [
      "--http",
      `127.0.0.1:${httpPort}`,
      "--http-token",
      TOKEN,
      "--heartbeat-listen",
      `127.0.0.1:${heartbeatPort}`,
      "--tag",
      "role=web",
    ]);
    await untilHealthy(`${base}/v1/health`, 10_000);
    await startAgent("web-2", ["--http", "0", "--tag", "role=web"], viewer.gossip);
    await startAgent("db-1", ["--http", "0", "--tag", "role=db"], viewer.gossip);
    // A plain-heartbeat device, so the devices table has a row with a phi.
    beats = setInterval(() => udp.send("sensor-7\n", heartbeatPort, "127.0.0.1"), 200);
    browser = await puppeteer.launch({
      executablePath: chromiumPath(),
      headless: true,
      userDataDir: profileDir,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
    });
    page = await browser.newPage();
    await page.setViewport({width: 1280, height: 900});
  });

  afterAll(async () => {
    if (beats) clearInterval(beats);
    udp.close();
    await browser?.close();
    for (const agent of agents) agent.child.kill("SIGKILL");
    rmSync(profileDir, {recursive: true, force: true});
  });

  it("asks for the token when it has none, and serves the page itself without one", async () => {
    const response = await fetch(`${base}/ui`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await response.text()).not.toContain(TOKEN);
    expect((await fetch(`${base}/v1/stats`)).status).toBe(401);
    const anonymous = await browser.newPage();
    await anonymous.goto(`${base}/ui`);
    await anonymous.waitForSelector("#auth", {visible: true, timeout: 10_000});
    expect(await anonymous.$$("#members tr[data-member]")).toHaveLength(0);
    await anonymous.close();
  });

  it("shows the live cluster, and a SIGKILLed member as failed within the detection bound", async () => {
    // The token travels in the fragment, which the browser never sends to the server.
    await page.goto(`${base}/ui#token=${TOKEN}`);
    await page.waitForFunction(`document.querySelectorAll('#members tr[data-state="alive"]').length === 3`, {
      timeout: 20_000,
      polling: 100,
    });
    expect(await memberStates(page)).toEqual({"db-1": "alive", "web-1": "alive", "web-2": "alive"});
    expect(await page.$eval("#conn", (e) => e.textContent)).toBe("live");
    await page.waitForFunction(`document.querySelectorAll("#ring tr[data-member]").length === 3`, {
      timeout: 10_000,
    });
    await page.waitForSelector('#devices tr[data-device="sensor-7"][data-state="up"]', {timeout: 10_000});
    await page.waitForFunction(`Number(document.querySelector('[data-counter="probes"] b')?.textContent ?? "0") > 0`, {
      timeout: 10_000,
    });

    const victim = agents.find((a) => a.name === "web-2");
    if (!victim) throw new Error("no web-2");
    let maxScore = 0;
    const health = setInterval(async () => {
      const body = (await (await fetch(`${base}/v1/health`)).json().catch(() => ({}))) as {awarenessScore?: number};
      maxScore = Math.max(maxScore, body.awarenessScore ?? 0);
    }, 100);
    const killedAt = Date.now();
    victim.child.kill("SIGKILL");
    try {
      await page.waitForSelector('#members tr[data-member="web-2"][data-state="dead"]', {
        timeout: 30_000,
        polling: 50,
      } as Parameters<Page["waitForSelector"]>[1]);
    } finally {
      clearInterval(health);
    }
    const shownMs = Date.now() - killedAt;
    const config = resolveConfig(PROBE, localConfig());
    const bound = detectionBound(config, 3, maxScore).totalMs;
    expect(shownMs, `the page showed web-2 failed ${shownMs} ms after the kill; bound ${bound} ms`).toBeLessThanOrEqual(
      bound,
    );
    // The row says "failed", and the timeline has the failure.
    expect(await page.$eval('#members tr[data-member="web-2"] .badge', (e) => e.textContent)).toBe("failed");
    await page.waitForSelector('#timeline li[data-event="member:down"][data-member="web-2"]', {timeout: 5_000});
    expect(
      await page.$eval('#timeline li[data-event="member:down"][data-member="web-2"]', (e) => e.textContent),
    ).toContain("failed");
    expect(await page.$eval('[data-count="dead"]', (e) => e.textContent)).toBe("1 failed");
    // The ring drops the failed member.
    await page.waitForFunction(`document.querySelectorAll("#ring tr[data-member]").length === 2`, {
      timeout: 10_000,
    });
    await page.screenshot({
      path: process.env.LIFELINE_UPDATE_SCREENSHOT ? SCREENSHOT : join(profileDir, "dashboard.png"),
      fullPage: true,
    });
  });

  it("fits a phone-sized window without sideways scrolling", async () => {
    await page.setViewport({width: 390, height: 844, isMobile: true});
    await page.waitForSelector("#members tr[data-member]");
    // Page-side code as strings: the test's TypeScript has no DOM types.
    const {scrollWidth, innerWidth} = (await page.evaluate(
      "({scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth})",
    )) as {scrollWidth: number; innerWidth: number};
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
  });
});
