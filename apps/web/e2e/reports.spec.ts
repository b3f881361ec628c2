/**
 * Browser test of /reports against a running portal (EW_WEB_URL, EW_ADMIN_EMAIL, EW_ADMIN_PASSWORD). It seeds
 * nothing: with the global setup's local agent the org has telemetry within seconds and the report shows it (one
 * section per energy source, charts rendered); with none, the empty state says what to do. Either way: the CSV
 * export downloads with its header row, a reversed custom range is refused with a message, and the printable view
 * hides the navigation. Screenshots go to apps/web/test-results/.
 */
import { readFile } from "node:fs/promises";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshot } from "./browser";

function portalEnv(): { webUrl: string; email: string; password: string } {
  const webUrl = process.env.EW_WEB_URL;
  const email = process.env.EW_ADMIN_EMAIL;
  const password = process.env.EW_ADMIN_PASSWORD;
  if (!webUrl || !email || !password) {
    throw new Error(
      "EW_WEB_URL, EW_ADMIN_EMAIL and EW_ADMIN_PASSWORD must point at a running portal and its admin",
    );
  }
  return { webUrl: webUrl.replace(/\/+$/, ""), email, password };
}

/** Waits for the report to settle: a source section, or an empty state. */
async function waitForReport(page: Page): Promise<"data" | "empty"> {
  const settled = page.locator(
    '[data-testid^="source-"], [data-testid="reports-empty"], [data-testid="reports-range-empty"]',
  );
  await settled.first().waitFor({ timeout: 60_000 });
  return (await page.locator('[data-testid^="source-"]').count()) > 0 ? "data" : "empty";
}

describe("fleet energy reports page", () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("signs in and shows the report (or its empty state) with charts", async () => {
    const { webUrl, email, password } = portalEnv();
    await page.goto(`${webUrl}/signin?callbackUrl=${encodeURIComponent("/reports?range=1h")}`);
    await page.getByTestId("signin-email").fill(email);
    await page.getByTestId("signin-password").fill(password);
    await page.getByTestId("signin-submit").click();
    await page.waitForURL((url) => url.pathname === "/reports", { timeout: 30_000 });
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Fleet energy report");

    // The stack's local agent reports every few seconds; give its first batch time to arrive.
    let state = await waitForReport(page);
    for (let i = 0; i < 10 && state === "empty"; i++) {
      await page.waitForTimeout(3000);
      await page.getByTestId("report-refresh").click();
      state = await waitForReport(page);
    }

    if (state === "data") {
      const section = page.locator('[data-testid^="source-"]').first();
      expect(await section.textContent()).toMatch(/Energy source:/);
      await section.getByTestId("summary-cards").waitFor();
      // The total-energy chart draws an SVG with at least one area and its legend (with a single bucket so far, the
      // area is a point: attached, not necessarily of visible size).
      const total = section.getByTestId("chart-total-energy");
      await total.locator("svg.recharts-surface").first().waitFor({ timeout: 30_000 });
      await total.locator(".recharts-area").first().waitFor({ state: "attached", timeout: 30_000 });
      expect(await total.locator(".recharts-legend-item").count()).toBeGreaterThan(0);
      const perInference = section.getByTestId("chart-energy-per-inference");
      if ((await perInference.count()) > 0) {
        await perInference.locator("svg.recharts-surface").first().waitFor({ timeout: 30_000 });
      }
      await page.getByTestId("methods-card").waitFor();
      expect(await page.getByTestId("methods-card").textContent()).toMatch(/always-fp32 baseline/);
    } else {
      const empty = page
        .locator('[data-testid="reports-empty"], [data-testid="reports-range-empty"]')
        .first();
      expect(await empty.textContent()).toMatch(/edgewatt-agent simulate|longer range/);
    }
    await screenshot(page, "reports-page");
  }, 180_000);

  it("downloads the CSV export with units and the energy source in its header", async () => {
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 30_000 }),
      page.getByTestId("export-csv").click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^edgewatt-report_\d{8}T\d{4}_\d{8}T\d{4}\.csv$/);
    const path = await download.path();
    const text = await readFile(path, "utf8");
    const [header, ...rows] = text.split("\r\n").filter((l) => l !== "");
    expect(header).toMatch(/^bucket_start_utc,bucket,energy_source,simulated,series,/);
    expect(header).toContain("energy_J");
    expect(header).toContain("energy_per_inference_J");
    expect(header).toMatch(/co2e_g_at_\d+(\.\d+)?_g_per_kWh$/);
    for (const row of rows) expect(row.split(",")[2]).toMatch(/^(rapl|hwmon|battery|nvml|model|simulated)$/);
  }, 60_000);

  it("refuses a custom range that ends before it starts, with a message", async () => {
    await page.getByTestId("report-range").selectOption("custom");
    await page.getByTestId("report-from").fill("2025-03-02T10:00");
    await page.getByTestId("report-to").fill("2025-03-01T10:00");
    const alert = page.getByRole("alert").filter({ hasText: "must start before it ends" });
    await alert.waitFor({ timeout: 30_000 });
    await screenshot(page, "reports-bad-range");
    await page.getByTestId("report-range").selectOption("1h");
    await waitForReport(page);
  }, 60_000);

  it("opens a printable view without the navigation", async () => {
    await page.getByTestId("printable-view").click();
    await page.waitForURL((url) => url.searchParams.get("print") === "1", { timeout: 30_000 });
    await waitForReport(page);
    expect(await page.getByRole("navigation", { name: "Main" }).isVisible()).toBe(false);
    expect(await page.getByTestId("export-csv").count()).toBe(0);
    await page.emulateMedia({ media: "print" });
    await screenshot(page, "reports-print");
    await page.emulateMedia({ media: "screen" });
  }, 60_000);
});
