import { findAudit, findMembershipsForUser, findTokensByOrg, findUserByEmail } from "@edgewatt/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertUser } from "../src/server/data/seed-rows";
import { ServiceError } from "../src/server/errors";
import { authenticateUser } from "../src/server/services/auth/authenticate-user";
import { hashPassword } from "../src/server/services/auth/password";
import { SignInLimiter } from "../src/server/services/auth/sign-in-limiter";
import { enrollDevice } from "../src/server/services/devices/enroll-device";
import { DEMO_ADMIN_EMAIL, ensureDemoOrg } from "../src/server/services/seed/ensure-demo-org";
import { type Infra, startInfra } from "./helpers";

describe("seed and sign-in (real Postgres)", () => {
  let infra: Infra;

  beforeAll(async () => {
    infra = await startInfra({ nats: false });
  });
  afterAll(async () => {
    await infra?.stop();
  });

  async function signIn(email: string, password: string, limiter = new SignInLimiter(), ip = "10.0.0.1") {
    return authenticateUser({ db: infra.db, limiter, email, password, ip });
  }

  async function failure(promise: Promise<unknown>): Promise<ServiceError> {
    const err = await promise.then(
      () => {
        throw new Error("expected sign-in to fail");
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ServiceError);
    return err as ServiceError;
  }

  it("creates the demo org and admin once, and resets the password on every run so the printed login works", async () => {
    const first = await ensureDemoOrg({
      db: infra.db,
      adminPassword: null,
      withAgentToken: false,
      serverUrl: "http://x",
    });
    expect(first).toMatchObject({
      email: DEMO_ADMIN_EMAIL,
      orgName: "Demo",
      createdOrg: true,
      createdUser: true,
    });
    expect(first.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(first.agentToken).toBeUndefined();
    expect(await signIn(DEMO_ADMIN_EMAIL, first.password)).toMatchObject({
      orgId: first.orgId,
      role: "owner",
    });

    const second = await ensureDemoOrg({
      db: infra.db,
      adminPassword: null,
      withAgentToken: false,
      serverUrl: "http://x",
    });
    expect(second).toMatchObject({ orgId: first.orgId, createdOrg: false, createdUser: false });
    expect(second.password).not.toBe(first.password);
    expect((await failure(signIn(DEMO_ADMIN_EMAIL, first.password))).code).toBe("INVALID_CREDENTIALS");
    expect(await signIn(DEMO_ADMIN_EMAIL, second.password)).toMatchObject({ orgId: first.orgId });

    const third = await ensureDemoOrg({
      db: infra.db,
      adminPassword: "chosen-password",
      withAgentToken: true,
      serverUrl: "http://localhost:3000",
    });
    expect(third).toMatchObject({
      orgId: first.orgId,
      password: "chosen-password",
      passwordGenerated: false,
    });
    expect(await signIn(DEMO_ADMIN_EMAIL, "chosen-password")).toMatchObject({ orgId: first.orgId });
    const user = await findUserByEmail(infra.db, DEMO_ADMIN_EMAIL);
    expect(await findMembershipsForUser(infra.db, user!.id)).toHaveLength(1);

    // The agent token enrolls exactly one device.
    expect(third.agentToken?.command).toBe(
      `pnpm edgewatt-agent enroll --server http://localhost:3000 --token ${third.agentToken?.secret}`,
    );
    const tokens = await findTokensByOrg(infra.db, first.orgId);
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatchObject({ maxUses: 1, uses: 0 });
    const hours = (tokens[0]!.expiresAt.getTime() - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(23.9);
    expect(hours).toBeLessThanOrEqual(24);
    const enrolled = await enrollDevice({
      db: infra.db,
      request: {
        token: third.agentToken!.secret,
        agentVersion: "0.1.0",
        platform: { os: "linux", arch: "x64" },
        meters: [],
      },
      natsServers: "nats://127.0.0.1:4222",
    });
    expect(enrolled.orgId).toBe(first.orgId);
  });

  it("signs in case-insensitively and records the sign-in", async () => {
    const seed = await ensureDemoOrg({
      db: infra.db,
      adminPassword: "another-password",
      withAgentToken: false,
      serverUrl: "x",
    });
    const user = await signIn("  Admin@EdgeWatt.LOCAL ", "another-password");
    expect(user).toMatchObject({
      email: DEMO_ADMIN_EMAIL,
      orgId: seed.orgId,
      orgName: "Demo",
      role: "owner",
    });
    const audit = await findAudit(infra.db, seed.orgId, { action: "user.signin", actorUserId: user.userId });
    expect(audit.length).toBeGreaterThan(0);
  });

  it("refuses wrong passwords and unknown emails alike, then rate-limits the email+IP", async () => {
    await ensureDemoOrg({
      db: infra.db,
      adminPassword: "right-password",
      withAgentToken: false,
      serverUrl: "x",
    });
    const limiter = new SignInLimiter({ maxFailures: 3, windowMs: 60_000 });
    const unknown = await failure(signIn("nobody@example.test", "whatever-password", limiter));
    const wrong = await failure(signIn(DEMO_ADMIN_EMAIL, "wrong-password", limiter));
    expect(unknown.code).toBe("INVALID_CREDENTIALS");
    expect(wrong.code).toBe("INVALID_CREDENTIALS");
    expect(unknown.message).toBe(wrong.message);

    await failure(signIn(DEMO_ADMIN_EMAIL, "wrong-password", limiter));
    await failure(signIn(DEMO_ADMIN_EMAIL, "wrong-password", limiter));
    // Three failures: even the right password is refused now, from this IP…
    const limited = await failure(signIn(DEMO_ADMIN_EMAIL, "right-password", limiter));
    expect(limited.code).toBe("RATE_LIMITED");
    expect(limited.message).toMatch(/Too many failed sign-in attempts.*Wait 1 minute/);
    // …but not from another one.
    expect(await signIn(DEMO_ADMIN_EMAIL, "right-password", limiter, "10.0.0.2")).toMatchObject({
      role: "owner",
    });
  });

  it("refuses a user who belongs to no organization", async () => {
    await insertUser(infra.db, {
      email: "loner@example.test",
      name: null,
      passwordHash: await hashPassword("loner-password"),
    });
    const err = await failure(signIn("loner@example.test", "loner-password"));
    expect(err.code).toBe("FORBIDDEN");
    expect(err.message).toMatch(/does not belong to any organization/);
  });
});
