/**
 * Browser test against a running portal (EW_WEB_URL, EW_ADMIN_EMAIL, EW_ADMIN_PASSWORD): the auth guard,
 * sign-in (a wrong password first), an upload through the file input with its progress bar completing,
 * the model page with its inspection, an invalid file refused with the engine's message, sign-out.
 * Screenshots go to apps/web/test-results/.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshot } from "./browser";

const MODEL_PATH = fileURLToPath(
  new URL("../../../samples/models/nab-conv-autoencoder.onnx", import.meta.url),
);

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

/** Records every value the upload progress bar shows, across client-side navigations. */
async function watchUploadProgress(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __ewProgress: number[] };
    w.__ewProgress = [];
    const record = () => {
      const bar = document.querySelector('[data-testid="upload-progress"]');
      if (!bar) return;
      const value = Number(bar.getAttribute("aria-valuenow"));
      if (w.__ewProgress.at(-1) !== value) w.__ewProgress.push(value);
    };
    new MutationObserver(record).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ["aria-valuenow"],
    });
  });
}

describe("sign in and upload a model", () => {
  let browser: Browser;
  let page: Page;
  let dir: string;

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    dir = await mkdtemp(join(tmpdir(), "ew-e2e-upload-"));
  });
  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("guards the portal, signs in, uploads with progress and shows the inspected model", async () => {
    const { webUrl, email, password } = portalEnv();
    // Unique per run, so the test also passes against a portal that has seen earlier runs.
    const modelName = `signin-upload e2e ${Date.now().toString(36)}`;

    // Signed out: a portal page redirects to the sign-in page.
    await page.goto(`${webUrl}/models`);
    await page.waitForURL((url) => url.pathname === "/signin", { timeout: 30_000 });

    // A wrong password is refused with a message; the right one lands on the models page.
    await page.getByTestId("signin-email").fill(email);
    await page.getByTestId("signin-password").fill(`${password}-wrong`);
    await page.getByTestId("signin-submit").click();
    await page.getByRole("alert").filter({ hasText: "incorrect" }).waitFor({ timeout: 30_000 });
    await page.getByTestId("signin-password").fill(password);
    await page.getByTestId("signin-submit").click();
    await page.waitForURL((url) => url.pathname === "/models", { timeout: 30_000 });
    expect(await page.getByTestId("nav-org").textContent()).toContain(email);

    // Upload through the file input; the progress bar runs to 100 % and the model page opens.
    await watchUploadProgress(page);
    await page.getByTestId("upload-input").setInputFiles(MODEL_PATH);
    expect(await page.getByTestId("upload-name").inputValue()).toBe("nab-conv-autoencoder");
    await page.getByTestId("upload-name").fill(modelName);
    await page.getByTestId("upload-submit").click();
    await page.waitForURL(/\/models\/mdl_[a-z0-9]+$/, { timeout: 60_000 });
    const progress = await page.evaluate(
      () => (window as unknown as { __ewProgress: number[] }).__ewProgress,
    );
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(100);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);

    // The model page shows the inspection: interface, operators, the fp32 baseline and the job.
    const inspection = page.getByTestId("model-inspection");
    await inspection.waitFor({ timeout: 30_000 });
    const text = (await inspection.textContent()) ?? "";
    expect(text).toContain("window");
    expect(text).toContain("reconstruction");
    expect(text).toContain("float32");
    expect(await page.getByTestId("model-op-histogram").textContent()).toMatch(/ConvTranspose/);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(modelName);
    await page.getByTestId("variant-row").filter({ hasText: "fp32" }).first().waitFor({ timeout: 30_000 });
    await page.getByTestId("job-row").first().waitFor({ timeout: 30_000 });
    await screenshot(page, "signin-upload-model");

    // The list shows the new model.
    await page.goto(`${webUrl}/models`);
    await page.getByTestId("model-row").filter({ hasText: modelName }).waitFor({ timeout: 30_000 });
  }, 180_000);

  it("refuses a file that is not an ONNX model with a message saying so", async () => {
    const { webUrl } = portalEnv();
    const notOnnx = join(dir, "notes.onnx");
    await writeFile(notOnnx, "these are meeting notes, not a model\n".repeat(50));
    await page.goto(`${webUrl}/models`);
    await page.getByTestId("upload-input").setInputFiles(notOnnx);
    await page.getByTestId("upload-submit").click();
    const alert = page.getByRole("alert").filter({ hasText: "Upload failed" });
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.textContent()).toMatch(/not an ONNX model/);
    expect(new URL(page.url()).pathname).toBe("/models");
    await screenshot(page, "signin-upload-invalid");
  }, 60_000);

  it("signs out", async () => {
    const { webUrl } = portalEnv();
    await page.goto(`${webUrl}/models`);
    await page.getByTestId("sign-out").click();
    await page.waitForURL((url) => url.pathname === "/signin", { timeout: 30_000 });
    // The sign-in form has rendered: the sign-out response (and its cookie deletion) is fully processed.
    await page.getByTestId("signin-email").waitFor({ timeout: 30_000 });
    // Signed out for real: the portal sends us back to sign in.
    await page.waitForURL((url) => url.pathname === "/signin", { timeout: 30_000 });
  }, 60_000);
});
