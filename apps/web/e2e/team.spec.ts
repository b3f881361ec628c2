/**
 * Browser test of the team domain against the running stack (EW_WEB_URL; the seeded admin's email is used
 * as an already-taken address): sign up a new org (a duplicate email first), invite a member, accept the
 * invitation in a second browser context by creating the account on the accept page, refuse the used link,
 * see the new member in the members list, browse the audit log filtered by action, and show a member that
 * the audit log is for admins; then the new owner, signed in, accepts an invitation to the demo org (the
 * session moves there) and switches back from the team page. Screenshots go to apps/web/test-results/.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshot, signIn, stackEnv } from "./browser";

const VIEWPORT = { width: 1280, height: 900 };
const PASSWORD = "e2e-team-password";

async function alertText(page: Page, hasText: string | RegExp): Promise<string> {
  const alert = page.getByRole("alert").filter({ hasText });
  await alert.first().waitFor({ timeout: 30_000 });
  return (await alert.first().textContent()) ?? "";
}

describe("team: sign up, invite, accept, members, audit log", () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("signs up an org, invites a member who signs up from the link, and audits it", async () => {
    const { webUrl: rawUrl, email: takenEmail } = stackEnv();
    const webUrl = rawUrl.replace(/\/+$/, "");
    const stamp = Date.now().toString(36);
    const orgName = `E2E Team ${stamp}`;
    const ownerEmail = `owner-${stamp}@e2e.test`;
    const inviteeEmail = `invitee-${stamp}@e2e.test`;

    // --- Sign up from the sign-in page's link; a taken email is refused first.
    const ownerContext = await browser.newContext({ viewport: VIEWPORT });
    const owner = await ownerContext.newPage();
    await owner.goto(`${webUrl}/signin`);
    await owner.getByTestId("signup-link").click();
    await owner.waitForURL((url) => url.pathname === "/signup", { timeout: 30_000 });
    await owner.getByTestId("signup-name").fill("Olivia Owner");
    await owner.getByTestId("signup-email").fill(takenEmail);
    await owner.getByTestId("signup-password").fill(PASSWORD);
    await owner.getByTestId("signup-org").fill(orgName);
    await owner.getByTestId("signup-submit").click();
    expect(await alertText(owner, "already exists")).toMatch(/Sign in instead/);
    expect(await owner.getByTestId("signup-org").inputValue()).toBe(orgName);
    await owner.getByTestId("signup-email").fill(ownerEmail);
    await owner.getByTestId("signup-password").fill(PASSWORD);
    await screenshot(owner, "team-1-signup");
    await owner.getByTestId("signup-submit").click();
    await owner.waitForURL((url) => url.pathname === "/models", { timeout: 30_000 });
    const ownerNav = (await owner.getByTestId("nav-org").textContent()) ?? "";
    expect(ownerNav).toContain(orgName);
    expect(ownerNav).toContain(ownerEmail);
    expect(ownerNav).toContain("owner");

    // --- Invite a member; the link is shown once.
    await owner.goto(`${webUrl}/team`);
    await owner.getByTestId("member-row").filter({ hasText: ownerEmail }).waitFor({ timeout: 30_000 });
    await owner.getByTestId("invite-email").fill(inviteeEmail);
    await owner.getByTestId("invite-role").selectOption("member");
    await owner.getByTestId("invite-submit").click();
    const linkEl = owner.getByTestId("invite-link");
    await linkEl.waitFor({ timeout: 30_000 });
    const link = ((await linkEl.textContent()) ?? "").trim();
    expect(link).toMatch(/\/invite\/ewi_[A-Za-z0-9_-]+$/);
    await owner
      .getByTestId("invitation-row")
      .filter({ hasText: inviteeEmail })
      .filter({ hasText: "pending" })
      .waitFor({ timeout: 30_000 });
    await screenshot(owner, "team-2-invitation-created");

    // --- A second browser (no session): accept by creating the account on the accept page.
    const inviteeContext = await browser.newContext({ viewport: VIEWPORT });
    const invitee = await inviteeContext.newPage();
    const invitePath = new URL(link).pathname;
    await invitee.goto(`${webUrl}${invitePath}`);
    const summary = (await invitee.getByTestId("invite-summary").textContent()) ?? "";
    expect(summary).toContain(inviteeEmail);
    expect(summary).toContain(orgName);
    expect(summary).toContain("member");
    await invitee.getByTestId("invite-name").fill("Ivan Invitee");
    await invitee.getByTestId("invite-password").fill(PASSWORD);
    await screenshot(invitee, "team-3-accept-invitation");
    await invitee.getByTestId("invite-signup-submit").click();
    await invitee.waitForURL((url) => url.pathname === "/models", { timeout: 30_000 });
    const inviteeNav = (await invitee.getByTestId("nav-org").textContent()) ?? "";
    expect(inviteeNav).toContain(orgName);
    expect(inviteeNav).toContain(inviteeEmail);
    expect(inviteeNav).toContain("member");

    // --- The link is single-use: a third visitor is told so.
    const lateContext = await browser.newContext({ viewport: VIEWPORT });
    const late = await lateContext.newPage();
    await late.goto(`${webUrl}${invitePath}`);
    expect(await late.getByTestId("invite-problem").textContent()).toMatch(/already been used/);
    await screenshot(late, "team-4-used-invitation");
    await lateContext.close();

    // --- The owner sees the new member and the accepted invitation.
    await owner.goto(`${webUrl}/team`);
    const row = owner.getByTestId("member-row").filter({ hasText: inviteeEmail });
    await row.waitFor({ timeout: 30_000 });
    expect(await row.textContent()).toContain("Ivan Invitee");
    expect(await row.getByTestId("member-role-select").inputValue()).toBe("member");
    await owner
      .getByTestId("invitation-row")
      .filter({ hasText: inviteeEmail })
      .filter({ hasText: "accepted" })
      .waitFor({ timeout: 30_000 });
    await screenshot(owner, "team-5-members");

    // --- The audit log, filtered by action.
    await owner.goto(`${webUrl}/team/audit`);
    await owner.getByTestId("audit-row").first().waitFor({ timeout: 30_000 });
    await owner.getByTestId("audit-filter-action").selectOption("invitation.accept");
    await owner.getByTestId("audit-apply").click();
    await owner.waitForFunction(
      () => {
        const actions = [...document.querySelectorAll('[data-testid="audit-action"]')].map(
          (e) => e.textContent,
        );
        return actions.length > 0 && actions.every((a) => a === "invitation.accept");
      },
      undefined,
      { timeout: 30_000 },
    );
    const rows = owner.getByTestId("audit-row");
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(inviteeEmail);
    await screenshot(owner, "team-6-audit-filtered");

    // --- Members cannot browse the audit log.
    await invitee.goto(`${webUrl}/team/audit`);
    const forbidden = invitee.getByTestId("audit-forbidden");
    await forbidden.waitFor({ timeout: 30_000 });
    expect(await forbidden.textContent()).toMatch(/Your role \(member\) cannot view the audit log/);
    await screenshot(invitee, "team-7-audit-forbidden");

    await inviteeContext.close();

    // --- A signed-in user accepts an invitation to a second org: the session moves there, and the
    //     team page offers to switch back.
    const adminContext = await browser.newContext({ viewport: VIEWPORT });
    const admin = await adminContext.newPage();
    await signIn(admin);
    await admin.goto(`${webUrl}/team`);
    await admin.getByTestId("invite-email").fill(ownerEmail);
    await admin.getByTestId("invite-role").selectOption("viewer");
    await admin.getByTestId("invite-submit").click();
    await admin.getByTestId("invite-link").waitFor({ timeout: 30_000 });
    const secondLink = ((await admin.getByTestId("invite-link").textContent()) ?? "").trim();
    await adminContext.close();

    await owner.goto(`${webUrl}${new URL(secondLink).pathname}`);
    await owner.getByTestId("invite-accept").click();
    await owner.waitForURL((url) => url.pathname === "/models", { timeout: 30_000 });
    const movedNav = (await owner.getByTestId("nav-org").textContent()) ?? "";
    expect(movedNav).toContain("Demo");
    expect(movedNav).toContain("viewer");
    await owner.goto(`${webUrl}/team`);
    await owner.getByRole("button", { name: `Switch to ${orgName}` }).click();
    await owner.waitForURL((url) => url.pathname === "/models", { timeout: 30_000 });
    await owner.waitForFunction(
      (name) => document.querySelector('[data-testid="nav-org"]')?.textContent?.includes(name) ?? false,
      orgName,
      { timeout: 30_000 },
    );
    expect(await owner.getByTestId("nav-org").textContent()).toContain("owner");
    await owner.goto(`${webUrl}/team`);
    await owner.getByRole("button", { name: "Switch to Demo" }).waitFor({ timeout: 30_000 });
    await screenshot(owner, "team-8-two-organizations");
    await ownerContext.close();
  }, 240_000);
});
