/** Debian's Chromium driven by playwright-core (no downloaded browsers), with the flags this machine needs. */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const ARTIFACTS_DIR = join(import.meta.dirname, "..", "test-results");

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-quic",
      "--disable-sync",
    ],
  });
}

export function stackEnv(): { webUrl: string; email: string; password: string; databaseUrl: string } {
  const webUrl = process.env.EW_WEB_URL;
  const email = process.env.EW_ADMIN_EMAIL;
  const password = process.env.EW_ADMIN_PASSWORD;
  const databaseUrl = process.env.EW_DATABASE_URL;
  if (!webUrl || !email || !password || !databaseUrl) {
    throw new Error(
      "EW_WEB_URL, EW_ADMIN_EMAIL, EW_ADMIN_PASSWORD and EW_DATABASE_URL must be set (by e2e/global-setup.ts)",
    );
  }
  return { webUrl, email, password, databaseUrl };
}

export async function signIn(page: Page): Promise<void> {
  const { webUrl, email, password } = stackEnv();
  await page.goto(`${webUrl}/signin`);
  await page.getByTestId("signin-email").fill(email);
  await page.getByTestId("signin-password").fill(password);
  await page.getByTestId("signin-submit").click();
  await page.waitForURL((url) => !url.pathname.startsWith("/signin"), { timeout: 30_000 });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`), fullPage: true });
}

/** Reloads `page` until `check` passes (server-rendered figures that only change on reload). */
export async function reloadUntil(
  page: Page,
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await page.waitForTimeout(1500);
    await page.reload();
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
