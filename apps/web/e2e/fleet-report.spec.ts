/**
 * The fleet journey in the browser against the whole stack: a token for five devices made in the portal, a
 * simulated fleet of five (`edgewatt-agent simulate`, a real child process enrolling through the portal and
 * streaming telemetry over NATS to the worker) runs for a while, then the energy report shows its simulated
 * section and the CSV export carries the simulated rows. Screenshots go to apps/web/test-results/.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshot, signIn, stackEnv } from "./browser";

const repoRoot = join(import.meta.dirname, "../../..");
const tsx = join(repoRoot, "node_modules/.bin/tsx");
const agentMain = join(repoRoot, "apps/edge-agent/src/cli/main.ts");
const sampleModel = join(repoRoot, "samples/models/nab-conv-autoencoder.onnx");

describe("a simulated fleet in the energy report", () => {
  let browser: Browser;
  let page: Page;
  let stateDir: string;
  let sim: ChildProcess | undefined;
  const db = new pg.Pool({ connectionString: stackEnv().databaseUrl, max: 1 });

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    stateDir = await mkdtemp(join(tmpdir(), "ew-e2e-sim-"));
  });
  afterAll(async () => {
    if (sim && sim.exitCode === null) sim.kill("SIGKILL");
    await browser?.close();
    await db.end();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("enrolls five simulated devices with a portal token and reports them, labelled simulated, in the CSV too", async () => {
    const { webUrl } = stackEnv();
    await signIn(page);
    await page.goto(`${webUrl}/devices`);
    await page.getByTestId("token-label").fill("simulated fleet");
    await page.getByTestId("token-uses").fill("5");
    await page.getByTestId("token-create").click();
    const secret = (await page.getByTestId("token-secret").textContent())?.trim() ?? "";
    expect(secret).toMatch(/^ewt_/);

    let output = "";
    sim = spawn(
      tsx,
      [
        agentMain,
        "simulate",
        "--devices",
        "5",
        "--duration",
        "25",
        "--rate",
        "4",
        "--periodic",
        "2",
        "--flush-ms",
        "500",
        "--model",
        sampleModel,
        "--trace",
        "battery-drain",
        "--time-scale",
        "60",
        "--server",
        webUrl,
        "--token",
        secret,
        "--state-dir",
        stateDir,
      ],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
    sim.stdout?.on("data", (d) => {
      output += d.toString();
    });
    sim.stderr?.on("data", (d) => {
      output += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => sim?.once("exit", resolve));
    expect(code, output.slice(-2000)).toBe(0);
    const summary = JSON.parse(output.trim().split("\n").at(-1) ?? "{}") as {
      simulated?: boolean;
      devices?: number;
      counters?: { inferences?: number };
    };
    expect(summary).toMatchObject({ simulated: true, devices: 5 });
    expect(summary.counters?.inferences ?? 0).toBeGreaterThan(100);

    await page.goto(`${webUrl}/devices`);
    await expect
      .poll(async () => (await page.locator("body").textContent()) ?? "", { timeout: 30_000 })
      .toMatch(/sim-/);
    await screenshot(page, "fleet-devices");

    // The worker may still be busy with optimization jobs of earlier journeys: wait until it has ingested the
    // fleet's inferences (every one the simulator reports sending), then read the report.
    const sent = summary.counters?.inferences ?? 0;
    await expect
      .poll(
        async () => {
          const r = await db.query<{ n: string }>(
            "select count(*) as n from telemetry_samples where energy_source = 'simulated' and kind = 'inference'",
          );
          return Number(r.rows[0]?.n ?? 0);
        },
        { timeout: 240_000, interval: 2000 },
      )
      .toBeGreaterThanOrEqual(sent);
    await page.goto(`${webUrl}/reports?range=1h`);
    // The report loads its data client-side after the page: wait for the section itself.
    const simulated = page.getByTestId("source-simulated");
    await simulated.waitFor({ timeout: 60_000 });
    expect(await simulated.textContent()).toMatch(/simulated/i);
    await screenshot(page, "fleet-report");

    const download = page.waitForEvent("download");
    await page.getByTestId("export-csv").click();
    const file = await download;
    const stream = await file.createReadStream();
    let csv = "";
    for await (const chunk of stream) csv += chunk.toString();
    const [header, ...rows] = csv.trim().split("\n");
    expect(header).toMatch(/energy_J/);
    expect(rows.some((r) => r.includes("simulated"))).toBe(true);
  });
});
