/**
 * Energy policies and device groups in the browser: sign in, create a rule policy with a critical battery level
 * above the low one (the server's message shows under that field), fix it, edit it (version 2), create a device
 * group, move the stack's local agent into it, attach the policy (published as v2). Screenshots go to
 * apps/web/test-results/.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshot, signIn, stackEnv } from "./browser";

describe("energy policies and device groups", () => {
  let browser: Browser;
  let page: Page;
  const suffix = Date.now().toString(36);
  const policyName = `Field sensors ${suffix}`;
  const groupName = `field ${suffix}`;

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("creates a rule policy: an invalid value is refused with its message, then fixed and edited", async () => {
    const { webUrl } = stackEnv();
    await signIn(page);
    await page.goto(`${webUrl}/policies`);
    await page.getByRole("heading", { level: 1, name: "Energy policies" }).waitFor({ timeout: 30_000 });
    await page.getByTestId("policy-new").click();
    await page.waitForURL((url) => url.pathname === "/policies/new", { timeout: 30_000 });

    // Each field is explained with the protocol's own description.
    expect(await page.locator("#policy-rule-minFidelity-hint").textContent()).toMatch(
      /^Fidelity floor \(0-1/,
    );
    expect(await page.getByTestId("policy-mode-learned").isDisabled()).toBe(true);
    expect(await page.locator("#policy-mode-learned-text").textContent()).toMatch(
      /Available once a learned policy is trained/,
    );

    await page.getByTestId("policy-name").fill(policyName);
    await page.getByTestId("policy-rule-lowBatteryPct").fill("20");
    await page.getByTestId("policy-rule-criticalBatteryPct").fill("50");
    await page.getByTestId("policy-schedule-quietHours-enabled").check();
    await page.getByTestId("policy-save").click();

    const fieldError = page.locator("#policy-rule-criticalBatteryPct-error");
    await fieldError.waitFor({ timeout: 30_000 });
    expect(await fieldError.textContent()).toBe(
      "critical battery level (50%) must not be above the low battery level (20%)",
    );
    expect(await page.getByTestId("policy-rule-criticalBatteryPct").getAttribute("aria-invalid")).toBe(
      "true",
    );
    expect(await page.getByTestId("policy-form-errors").textContent()).toMatch(
      /One field needs your attention/,
    );
    expect(new URL(page.url()).pathname).toBe("/policies/new");
    await screenshot(page, "policies-invalid-value");

    await page.getByTestId("policy-rule-criticalBatteryPct").fill("10");
    await page.getByTestId("policy-save").click();
    await page.waitForURL(/\/policies\/pol_[a-z0-9]+/, { timeout: 30_000 });
    await page.getByTestId("policy-saved").waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("policy-version").textContent()).toBe("v1");
    expect(await page.getByTestId("policy-rule-criticalBatteryPct").inputValue()).toBe("10");
    expect(await page.getByTestId("policy-schedule-quietHours-start").inputValue()).toBe("22:00");

    // An edit is a new version.
    await page.getByTestId("policy-rule-minFidelity").fill("0.95");
    await page.getByTestId("policy-save").click();
    await page
      .getByTestId("policy-saved")
      .filter({ hasText: "Saved as version 2" })
      .waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("policy-version").textContent()).toBe("v2");
    await screenshot(page, "policies-saved");
  }, 120_000);

  it("creates a group, moves a device into it and attaches the policy", async () => {
    const { webUrl } = stackEnv();
    await page.goto(`${webUrl}/policies/groups`);
    await page.getByRole("heading", { level: 1, name: "Device groups" }).waitFor({ timeout: 30_000 });

    // A blank name is refused with the server's message.
    await page.getByTestId("group-create").click();
    await page.getByText("give the group a name").waitFor({ timeout: 30_000 });

    await page.getByTestId("group-name").fill(groupName);
    await page.getByTestId("group-create").click();
    const row = page.getByTestId("group-row").filter({ hasText: groupName });
    await row.waitFor({ timeout: 30_000 });

    // The stack's local agent is enrolled: put it into the group.
    const device = page.getByTestId("group-device-row").first();
    await device.waitFor({ timeout: 60_000 });
    await device.getByTestId("device-group").selectOption({ label: groupName });
    await row.locator("td").nth(1).filter({ hasText: "1" }).waitFor({ timeout: 30_000 });

    // Attaching publishes the policy's current version for the group.
    await row.getByTestId("group-policy").selectOption({ label: `${policyName} (rule, v2)` });
    await row
      .getByTestId("group-policy-published")
      .filter({ hasText: "Published v2" })
      .waitFor({ timeout: 30_000 });
    await screenshot(page, "policies-group-attached");

    // A group with a device cannot be deleted; the message says what to do.
    await row.getByTestId("group-delete").click();
    await page.getByRole("alert").filter({ hasText: "still has 1 device" }).waitFor({ timeout: 30_000 });
    expect(await row.isVisible()).toBe(true);

    // The policy list shows where the policy runs.
    await page.goto(`${webUrl}/policies`);
    const policyRow = page.getByTestId("policy-row").filter({ hasText: policyName });
    await policyRow.filter({ hasText: groupName }).waitFor({ timeout: 30_000 });
    expect(await policyRow.textContent()).toContain("v2");
    await screenshot(page, "policies-list");
  }, 120_000);
});
