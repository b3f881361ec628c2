/**
 * The optimization journey in the browser against the whole stack: upload → the model page → optimization with
 * chosen passes and settings → live progress → the ladder with its Pareto charts; a job cancelled and retried;
 * calibration data uploaded; the Deployments page. Screenshots go to apps/web/test-results/.
 */
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshot, signIn, stackEnv } from "./browser";

const repoRoot = join(import.meta.dirname, "../../..");
const sampleModel = join(repoRoot, "samples/models/nab-conv-autoencoder.onnx");
const SHARED = process.env.EDGEWATT_SHARED_DIR ?? join(repoRoot, "..", "shared");

describe("optimization in the portal", () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("runs chosen passes with settings, shows progress, the ladder and its Pareto fronts", async () => {
    const { webUrl } = stackEnv();
    await signIn(page);
    await page.goto(`${webUrl}/models`);
    await page.getByTestId("upload-input").setInputFiles(sampleModel);
    await page.getByTestId("upload-name").fill("optimization journey");
    await page.getByTestId("upload-submit").click();
    await page.waitForURL(/\/models\/mdl_[a-z0-9]+/, { timeout: 60_000 });

    // Calibration data for the model, checked on arrival.
    await page
      .getByTestId("data-calibration")
      .locator('input[type="file"]')
      .setInputFiles(join(SHARED, "datasets/npz/nab-windows-calib-256.npz"));
    await expect
      .poll(async () => (await page.getByTestId("data-calibration").textContent()) ?? "", { timeout: 30_000 })
      .toMatch(/Samples\s*256/);

    // A job with chosen passes and a calibration method.
    await page.getByTestId("optimize-options").click();
    const form = page.getByTestId("optimize-form");
    await form.getByLabel("Choose passes (one variant each)").check();
    await form.getByRole("checkbox", { name: /quantize-static-int8/ }).check();
    await form.getByRole("checkbox", { name: /^fp16/ }).check();
    await form.getByLabel("Static int8 calibration").selectOption("percentile");
    await screenshot(page, "e2e-optimize-options");
    await form.getByRole("button", { name: "Start optimization" }).click();
    const job = page.getByTestId("job-row").filter({ hasText: "calibration percentile" }).first();
    await job.waitFor({ timeout: 30_000 });
    await expect.poll(async () => (await job.textContent()) ?? "", { timeout: 180_000 }).toMatch(/succeeded/);
    await page
      .getByTestId("variant-row")
      .filter({ hasText: "int8-static" })
      .first()
      .waitFor({ timeout: 30_000 });
    await page.getByTestId("ladder-chart-energy").waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("ladder-chart-energy").textContent()).toMatch(/On the front:/);
    await screenshot(page, "e2e-model-ladder-pareto");

    // Two jobs at once: the worker runs one at a time, so the newer one (listed first) waits queued; cancel it.
    await page.getByTestId("optimize-again").click();
    await expect.poll(async () => page.getByTestId("job-row").count(), { timeout: 30_000 }).toBe(3);
    await page.getByTestId("optimize-again").click();
    await expect.poll(async () => page.getByTestId("job-row").count(), { timeout: 30_000 }).toBe(4);
    const cancel = page.getByTestId("job-row").first().getByTestId("job-cancel");
    await cancel.waitFor({ timeout: 30_000 });
    await cancel.click();
    const retry = page.getByTestId("job-row").first().getByTestId("job-retry");
    await retry.waitFor({ timeout: 30_000 });
    await screenshot(page, "e2e-job-cancelled");
    await retry.click();
    await expect.poll(async () => page.getByTestId("job-row").count(), { timeout: 30_000 }).toBe(5);
  });

  it("shows the Deployments page with its rollout form or next step", async () => {
    const { webUrl } = stackEnv();
    await page.goto(`${webUrl}/deployments`);
    await page.getByRole("heading", { name: "Deployments" }).waitFor({ timeout: 30_000 });
    const formOrNext = page.getByTestId("rollout-form").or(page.getByText("Nothing to roll out yet"));
    await formOrNext.first().waitFor({ timeout: 30_000 });
    await screenshot(page, "e2e-deployments");
  });
});
