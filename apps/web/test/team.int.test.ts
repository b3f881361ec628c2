/**
 * Team and audit over real Postgres: sign-up, invitations (create, accept, expired, revoked, reused, role
 * ceiling), member roles with last-owner protection, the audit browser's filters and paging, single sign-on
 * admission, the session's org, and tenant isolation (an admin of org B cannot touch org A by id).
 */
import { createHash } from "node:crypto";
import {
  findAudit,
  findMembersByOrg,
  findMembership,
  findMembershipsForUser,
  findUserByEmail,
} from "@edgewatt/db";
import { invitations, memberships, orgs, users } from "@edgewatt/db/schema";
import type { Role } from "@edgewatt/protocol";
import { TRPCError } from "@trpc/server";
import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionClaims } from "../src/server/auth/config";
import { ServiceError } from "../src/server/errors";
import type { Actor } from "../src/server/services/actor";
import { authenticateUser } from "../src/server/services/auth/authenticate-user";
import { SignInLimiter } from "../src/server/services/auth/sign-in-limiter";
import { acceptInvitation } from "../src/server/services/team/accept-invitation";
import { acceptInvitationWithSignUp } from "../src/server/services/team/accept-invitation-with-sign-up";
import { checkSsoSignIn } from "../src/server/services/team/check-sso-sign-in";
import { completeSsoSignIn } from "../src/server/services/team/complete-sso-sign-in";
import { describeInvitation } from "../src/server/services/team/describe-invitation";
import { findSessionOrg, switchSessionOrg } from "../src/server/services/team/session-org";
import { signUp } from "../src/server/services/team/sign-up";
import { newSignUpLimiter } from "../src/server/services/team/sign-up-limiter";
import { createCaller } from "../src/server/trpc/root";
import { addMember, createOrg, type Infra, startInfra } from "./helpers";

const ORIGIN = "https://portal.example.test";
const PASSWORD = "correct horse battery";
const DAY = 86_400_000;

let seq = 0;
const uniqueEmail = (label: string) => `${label}-${++seq}-${Date.now()}@team.test`;

describe("team and audit (real Postgres)", () => {
  let infra: Infra;

  function caller(actor: Actor | null) {
    const claims: SessionClaims | undefined = actor
      ? { userId: actor.userId, orgId: actor.orgId, orgName: "Test", role: actor.role }
      : undefined;
    return createCaller({
      claims,
      db: infra.db,
      nats: async () => {
        throw new Error("the team domain needs no NATS");
      },
      origin: ORIGIN,
    });
  }

  async function rejection(promise: Promise<unknown>): Promise<Error> {
    const err = await promise.then(
      () => {
        throw new Error("expected the call to fail");
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    return err as Error;
  }
  async function serviceError(promise: Promise<unknown>): Promise<ServiceError> {
    const err = await rejection(promise);
    expect(err).toBeInstanceOf(ServiceError);
    return err as ServiceError;
  }
  async function trpcError(promise: Promise<unknown>): Promise<TRPCError> {
    const err = await rejection(promise);
    expect(err).toBeInstanceOf(TRPCError);
    return err as TRPCError;
  }

  async function rowCounts() {
    const [u] = await infra.db.select({ n: count() }).from(users);
    const [o] = await infra.db.select({ n: count() }).from(orgs);
    const [m] = await infra.db.select({ n: count() }).from(memberships);
    return { users: u!.n, orgs: o!.n, memberships: m!.n };
  }

  async function invite(actor: Actor, email: string, role: Role = "member", expiresInDays?: number) {
    return caller(actor).team.invite({ email, role, expiresInDays });
  }

  function signUpWithInvitation(secret: string, opts: { now?: Date; limiter?: SignInLimiter } = {}) {
    return acceptInvitationWithSignUp({
      db: infra.db,
      limiter: opts.limiter ?? newSignUpLimiter(),
      ip: "10.1.1.1",
      secret,
      name: "Invitee",
      password: PASSWORD,
      now: opts.now,
    });
  }

  beforeAll(async () => {
    infra = await startInfra({ nats: false });
  });
  afterAll(async () => {
    await infra?.stop();
  });

  describe("sign-up", () => {
    const base = () => ({
      db: infra.db,
      signup: "open" as const,
      limiter: newSignUpLimiter(),
      ip: "10.0.0.1",
      name: "Ann Founder",
      password: PASSWORD,
      orgName: "Ann's Robots",
    });

    it("creates user, org and owner membership with audit records in one go, and the login works", async () => {
      const email = uniqueEmail("Founder").toUpperCase();
      const created = await signUp({ ...base(), email });
      expect(created.email).toBe(email.toLowerCase());
      expect(created.orgName).toBe("Ann's Robots");
      const membership = await findMembership(infra.db, created.orgId, created.userId);
      expect(membership?.role).toBe("owner");
      const audit = await findAudit(infra.db, created.orgId);
      expect(audit.map((a) => a.action).sort()).toEqual(["org.create", "user.signup"]);

      const signedIn = await authenticateUser({
        db: infra.db,
        limiter: new SignInLimiter(),
        email,
        password: PASSWORD,
        ip: "10.0.0.1",
      });
      expect(signedIn).toMatchObject({ orgId: created.orgId, role: "owner", orgName: "Ann's Robots" });
    });

    it("refuses a taken email (any case) with a clear message and creates nothing", async () => {
      const email = uniqueEmail("dup");
      await signUp({ ...base(), email });
      const before = await rowCounts();
      const err = await serviceError(
        signUp({ ...base(), email: ` ${email.toUpperCase()} `, orgName: "Other" }),
      );
      expect(err.code).toBe("CONFLICT");
      expect(err.message).toMatch(/An account with .* already exists\. Sign in instead/);
      expect(await rowCounts()).toEqual(before);
    });

    it("can be turned off (EDGEWATT_SIGNUP=closed)", async () => {
      const before = await rowCounts();
      const err = await serviceError(signUp({ ...base(), signup: "closed", email: uniqueEmail("closed") }));
      expect(err.code).toBe("FORBIDDEN");
      expect(err.message).toMatch(/Sign-up is closed.*invite you/);
      expect(await rowCounts()).toEqual(before);
    });

    it("rate-limits attempts per IP, successful or not", async () => {
      const limiter = newSignUpLimiter({ maxAttempts: 2 });
      await signUp({ ...base(), limiter, email: uniqueEmail("rl") });
      const second = await signUp({ ...base(), limiter, email: uniqueEmail("rl") });
      expect(await findUserByEmail(infra.db, second.email)).not.toBeNull();
      const err = await serviceError(signUp({ ...base(), limiter, email: uniqueEmail("rl") }));
      expect(err.code).toBe("RATE_LIMITED");
      expect(err.message).toMatch(/Too many sign-up attempts from your network\. Wait \d+ minutes?/);
      // Another address is not affected.
      await signUp({ ...base(), limiter, ip: "10.0.0.2", email: uniqueEmail("rl") });
    });
  });

  describe("invitations", () => {
    let owner: Actor;
    let admin: Actor;

    beforeAll(async () => {
      owner = await createOrg(infra.db, "Inviting");
      admin = await addMember(infra.db, owner.orgId, "admin");
    });

    it("creates an invitation whose secret is shown once and stored only hashed", async () => {
      const email = uniqueEmail("new");
      const created = await invite(admin, email.toUpperCase(), "member");
      expect(created.secret).toMatch(/^ewi_[A-Za-z0-9_-]{32}$/);
      expect(created.url).toBe(`${ORIGIN}/invite/${created.secret}`);
      expect(created.invitation).toMatchObject({ email, role: "member", state: "pending" });
      const days = (created.invitation.expiresAt.getTime() - created.invitation.createdAt.getTime()) / DAY;
      expect(days).toBeCloseTo(7, 2);
      const [row] = await infra.db
        .select()
        .from(invitations)
        .where(eq(invitations.id, created.invitation.id));
      expect(row!.tokenHash).toBe(createHash("sha256").update(created.secret).digest("hex"));
      expect(JSON.stringify(row)).not.toContain(created.secret);
      const listed = await caller(owner).team.invitations({});
      expect(listed.find((i) => i.id === created.invitation.id)).toMatchObject({ state: "pending" });
      expect(JSON.stringify(listed)).not.toContain(created.secret);
      expect(JSON.stringify(listed)).not.toContain(row!.tokenHash);
      const audit = await findAudit(infra.db, owner.orgId, { action: "invitation.create" });
      expect(audit[0]).toMatchObject({ targetId: created.invitation.id, actorUserId: admin.userId });
    });

    it("lets a visitor create their account from the invitation, once", async () => {
      const email = uniqueEmail("visitor");
      const created = await invite(owner, email, "viewer");
      const preview = await describeInvitation({ db: infra.db, secret: created.secret });
      expect(preview).toMatchObject({ email, role: "viewer", hasAccount: false });
      expect(preview.orgName).toMatch(/^Inviting/);

      const accepted = await signUpWithInvitation(created.secret);
      expect(accepted).toMatchObject({ orgId: owner.orgId, role: "viewer", email });
      expect((await findMembership(infra.db, owner.orgId, accepted.userId))?.role).toBe("viewer");
      const signedIn = await authenticateUser({
        db: infra.db,
        limiter: new SignInLimiter(),
        email,
        password: PASSWORD,
        ip: "x",
      });
      expect(signedIn).toMatchObject({ orgId: owner.orgId, role: "viewer" });
      const listed = await caller(owner).team.invitations({ state: "accepted" });
      expect(listed.find((i) => i.id === created.invitation.id)).toMatchObject({
        state: "accepted",
        acceptedByEmail: email,
      });

      // Reused: refused with a message, nothing created.
      const before = await rowCounts();
      const reused = await serviceError(signUpWithInvitation(created.secret));
      expect(reused.code).toBe("TOKEN_EXHAUSTED");
      expect(reused.message).toMatch(/already been used/);
      const described = await serviceError(describeInvitation({ db: infra.db, secret: created.secret }));
      expect(described.code).toBe("TOKEN_EXHAUSTED");
      expect(await rowCounts()).toEqual(before);
    });

    it("lets a signed-in user with the invited email join a second org; others are refused", async () => {
      const other = await createOrg(infra.db, "Elsewhere");
      const [otherOwner] = await infra.db.select().from(users).where(eq(users.id, other.userId));
      const created = await invite(owner, otherOwner!.email, "admin");
      expect((await describeInvitation({ db: infra.db, secret: created.secret })).hasAccount).toBe(true);

      // An account exists: the visitor path refuses and points to sign-in.
      const exists = await serviceError(signUpWithInvitation(created.secret));
      expect(exists.code).toBe("CONFLICT");
      expect(exists.message).toMatch(/already exists\. Sign in with it to accept/);

      // Someone else signed in: refused, nothing changes.
      const wrong = await serviceError(
        acceptInvitation({ db: infra.db, userId: admin.userId, secret: created.secret }),
      );
      expect(wrong.code).toBe("FORBIDDEN");
      expect(wrong.message).toMatch(/This invitation is for .* but you are signed in as/);
      expect((await caller(owner).team.invitations({ state: "pending" })).map((i) => i.id)).toContain(
        created.invitation.id,
      );

      const joined = await acceptInvitation({ db: infra.db, userId: other.userId, secret: created.secret });
      expect(joined).toMatchObject({ orgId: owner.orgId, role: "admin" });
      const orgsOfUser = await findMembershipsForUser(infra.db, other.userId);
      expect(orgsOfUser.map((m) => m.orgId)).toEqual([other.orgId, owner.orgId]);

      // The session's org: sign-in picks the oldest membership; switching moves it to the new one.
      expect((await findSessionOrg({ db: infra.db, userId: other.userId, orgId: null }))?.orgId).toBe(
        other.orgId,
      );
      expect(
        await switchSessionOrg({ db: infra.db, userId: other.userId, orgId: owner.orgId }),
      ).toMatchObject({
        orgId: owner.orgId,
        role: "admin",
      });
      const stranger = await createOrg(infra.db, "Stranger");
      expect(
        (await serviceError(switchSessionOrg({ db: infra.db, userId: other.userId, orgId: stranger.orgId })))
          .code,
      ).toBe("FORBIDDEN");
      const mine = await caller({ ...other }).team.myOrganizations();
      expect(mine.map((o) => [o.orgId, o.current])).toEqual([
        [other.orgId, true],
        [owner.orgId, false],
      ]);
    });

    it("refuses expired, revoked and unknown invitations with clear messages, creating nothing", async () => {
      const expiring = await invite(owner, uniqueEmail("late"), "member", 1);
      const revokedInv = await invite(owner, uniqueEmail("revoked"), "member");
      const revoked = await caller(admin).team.revokeInvitation({ invitationId: revokedInv.invitation.id });
      expect(revoked.state).toBe("revoked");
      // Idempotent, and recorded once.
      expect(
        (await caller(admin).team.revokeInvitation({ invitationId: revokedInv.invitation.id })).state,
      ).toBe("revoked");
      expect(
        (await findAudit(infra.db, owner.orgId, { action: "invitation.revoke" })).filter(
          (a) => a.targetId === revokedInv.invitation.id,
        ),
      ).toHaveLength(1);

      const before = await rowCounts();
      const later = new Date(Date.now() + 2 * DAY);
      const expired = await serviceError(signUpWithInvitation(expiring.secret, { now: later }));
      expect(expired.code).toBe("TOKEN_EXPIRED");
      expect(expired.message).toMatch(/expired on \d{4}-\d{2}-\d{2}\. Ask an admin of .* for a new one/);
      const revokedErr = await serviceError(signUpWithInvitation(revokedInv.secret));
      expect(revokedErr.code).toBe("TOKEN_REVOKED");
      expect(revokedErr.message).toMatch(/was revoked/);
      const unknown = await serviceError(signUpWithInvitation("ewi_notarealsecretatallxxxxxxxxxxxxxxx"));
      expect(unknown.code).toBe("TOKEN_UNKNOWN");
      expect(unknown.message).toMatch(/not valid/);
      expect(await rowCounts()).toEqual(before);

      const listed = await caller(owner).team.invitations({});
      const states = new Map(listed.map((i) => [i.id, i.state]));
      expect(states.get(revokedInv.invitation.id)).toBe("revoked");
      expect(states.get(expiring.invitation.id)).toBe("pending");

      // An accepted invitation cannot be revoked.
      const used = await invite(owner, uniqueEmail("used"), "member");
      await signUpWithInvitation(used.secret);
      const late = await trpcError(caller(owner).team.revokeInvitation({ invitationId: used.invitation.id }));
      expect(late.code).toBe("CONFLICT");
      expect(late.message).toMatch(/already accepted; remove the member instead/);
    });

    it("caps the invited role at the inviter's own and needs admin or owner", async () => {
      const ceiling = await trpcError(invite(admin, uniqueEmail("boss"), "owner"));
      expect(ceiling.code).toBe("FORBIDDEN");
      expect(ceiling.message).toMatch(
        /cannot invite someone as owner: nobody can grant a role above their own/,
      );
      expect((await invite(owner, uniqueEmail("co-owner"), "owner")).invitation.role).toBe("owner");
      expect((await invite(admin, uniqueEmail("peer"), "admin")).invitation.role).toBe("admin");

      const member = await addMember(infra.db, owner.orgId, "member");
      const byMember = await trpcError(invite(member, uniqueEmail("x"), "viewer"));
      expect(byMember.code).toBe("FORBIDDEN");
      expect(byMember.message).toMatch(/Your role \(member\) cannot invite people/);
      expect((await trpcError(caller(member).team.invitations({}))).code).toBe("FORBIDDEN");
      const viewer = await addMember(infra.db, owner.orgId, "viewer");
      expect((await trpcError(invite(viewer, uniqueEmail("x"), "viewer"))).code).toBe("FORBIDDEN");
    });

    it("refuses inviting a member or an email with a pending invitation, and bad input", async () => {
      const [adminUser] = await infra.db.select().from(users).where(eq(users.id, admin.userId));
      const member = await trpcError(invite(owner, adminUser!.email, "member"));
      expect(member.code).toBe("CONFLICT");
      expect(member.message).toMatch(/already a member/);
      const email = uniqueEmail("twice");
      await invite(owner, email);
      const twice = await trpcError(invite(owner, email));
      expect(twice.code).toBe("CONFLICT");
      expect(twice.message).toMatch(/already has a pending invitation\. Revoke it first/);

      const badEmail = await trpcError(invite(owner, "not-an-email"));
      expect(badEmail.code).toBe("BAD_REQUEST");
      const badDays = await trpcError(invite(owner, uniqueEmail("d"), "member", 31));
      expect(badDays.code).toBe("BAD_REQUEST");
    });
  });

  describe("members", () => {
    it("lists members with roles for every role", async () => {
      const owner = await createOrg(infra.db, "Listing");
      const viewer = await addMember(infra.db, owner.orgId, "viewer");
      const list = await caller(viewer).team.members();
      expect(list.map((m) => m.role)).toEqual(["owner", "viewer"]);
      expect(list.find((m) => m.userId === viewer.userId)?.isYou).toBe(true);
    });

    it("changes roles within the actor's own rank, and protects the last owner", async () => {
      const owner = await createOrg(infra.db, "Roles");
      const admin = await addMember(infra.db, owner.orgId, "admin");
      const member = await addMember(infra.db, owner.orgId, "member");

      const promoted = await caller(admin).team.changeRole({ userId: member.userId, role: "admin" });
      expect(promoted.role).toBe("admin");
      expect(
        (await findAudit(infra.db, owner.orgId, { action: "member.role_change" }))[0]?.details,
      ).toMatchObject({ from: "member", to: "admin" });

      const aboveOwn = await trpcError(
        caller(admin).team.changeRole({ userId: member.userId, role: "owner" }),
      );
      expect(aboveOwn.code).toBe("FORBIDDEN");
      expect(aboveOwn.message).toMatch(/cannot grant the owner role/);
      const ofOwner = await trpcError(
        caller(admin).team.changeRole({ userId: owner.userId, role: "viewer" }),
      );
      expect(ofOwner.code).toBe("FORBIDDEN");
      expect(ofOwner.message).toMatch(/cannot change the role of .*, who is owner/);
      const viewer = await addMember(infra.db, owner.orgId, "viewer");
      const byViewer = await trpcError(
        caller(viewer).team.changeRole({ userId: viewer.userId, role: "admin" }),
      );
      expect(byViewer.code).toBe("FORBIDDEN");

      // The last owner can be neither demoted nor removed, not even by themselves.
      const demote = await trpcError(caller(owner).team.changeRole({ userId: owner.userId, role: "admin" }));
      expect(demote.code).toBe("CONFLICT");
      expect(demote.message).toMatch(/is the last owner of your organization and cannot be demoted/);
      const removeLast = await trpcError(caller(owner).team.removeMember({ userId: owner.userId }));
      expect(removeLast.code).toBe("CONFLICT");
      expect(removeLast.message).toMatch(/cannot be removed/);

      // With a second owner, the first can step down.
      await caller(owner).team.changeRole({ userId: admin.userId, role: "owner" });
      expect((await caller(owner).team.changeRole({ userId: owner.userId, role: "admin" })).role).toBe(
        "admin",
      );
      const roles = new Map((await caller(admin).team.members()).map((m) => [m.userId, m.role]));
      expect(roles.get(admin.userId)).toBe("owner");
      expect(roles.get(owner.userId)).toBe("admin");
    });

    it("never leaves an org without an owner under concurrent demotions", async () => {
      const a = await createOrg(infra.db, "Race");
      const b = await addMember(infra.db, a.orgId, "owner");
      const results = await Promise.allSettled([
        caller(a).team.changeRole({ userId: a.userId, role: "admin" }),
        caller(b).team.changeRole({ userId: b.userId, role: "admin" }),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const rejected = results.find((r) => r.status === "rejected");
      expect((rejected as PromiseRejectedResult).reason.message).toMatch(/last owner/);
      const owners = (await findMembersByOrg(infra.db, a.orgId)).filter((m) => m.role === "owner");
      expect(owners).toHaveLength(1);
    });

    it("removes members; their next request is refused; viewers and members cannot remove", async () => {
      const owner = await createOrg(infra.db, "Removal");
      const admin = await addMember(infra.db, owner.orgId, "admin");
      const member = await addMember(infra.db, owner.orgId, "member");
      const viewer = await addMember(infra.db, owner.orgId, "viewer");

      const byViewer = await trpcError(caller(viewer).team.removeMember({ userId: member.userId }));
      expect(byViewer.code).toBe("FORBIDDEN");
      const byMember = await trpcError(caller(member).team.removeMember({ userId: viewer.userId }));
      expect(byMember.code).toBe("FORBIDDEN");
      expect(byMember.message).toMatch(/Your role \(member\) cannot remove members/);
      const ownerByAdmin = await trpcError(caller(admin).team.removeMember({ userId: owner.userId }));
      expect(ownerByAdmin.code).toBe("FORBIDDEN");

      const removed = await caller(admin).team.removeMember({ userId: member.userId });
      expect(removed.userId).toBe(member.userId);
      expect(await findMembership(infra.db, owner.orgId, member.userId)).toBeNull();
      const after = await trpcError(caller(member).team.members());
      expect(after.code).toBe("UNAUTHORIZED");
      expect((await findAudit(infra.db, owner.orgId, { action: "member.remove" }))[0]).toMatchObject({
        targetId: member.userId,
        actorUserId: admin.userId,
      });
      const again = await trpcError(caller(admin).team.removeMember({ userId: member.userId }));
      expect(again.code).toBe("NOT_FOUND");
    });
  });

  describe("audit log browser", () => {
    let owner: Actor;
    let admin: Actor;

    beforeAll(async () => {
      owner = await createOrg(infra.db, "Audited");
      admin = await addMember(infra.db, owner.orgId, "admin");
      for (let i = 0; i < 3; i++) await invite(owner, uniqueEmail("a"), "member");
      await invite(admin, uniqueEmail("b"), "viewer");
      const m = await addMember(infra.db, owner.orgId, "member");
      await caller(admin).team.changeRole({ userId: m.userId, role: "viewer" });
    });

    it("filters by action, actor, target type and date range", async () => {
      const api = caller(admin).audit;
      const byAction = await api.list({ action: "invitation.create" });
      expect(byAction.entries).toHaveLength(4);
      expect(new Set(byAction.entries.map((e) => e.action))).toEqual(new Set(["invitation.create"]));

      const byActor = await api.list({ actorUserId: admin.userId });
      expect(byActor.entries.map((e) => e.action).sort()).toEqual([
        "invitation.create",
        "member.role_change",
      ]);
      expect(byActor.entries[0]?.actorEmail).toMatch(/@example\.test$/);

      const byTarget = await api.list({ targetType: "member" });
      expect(byTarget.entries.map((e) => e.action)).toEqual(["member.role_change"]);

      const today = new Date().toISOString().slice(0, 10);
      const yesterday = new Date(Date.now() - DAY).toISOString().slice(0, 10);
      const longAgo = new Date(Date.now() - 30 * DAY).toISOString().slice(0, 10);
      expect((await api.list({ from: today, to: today })).entries.length).toBeGreaterThanOrEqual(5);
      expect((await api.list({ from: longAgo, to: yesterday })).entries).toEqual([]);
      const badRange = await trpcError(api.list({ from: today, to: yesterday }));
      expect(badRange.code).toBe("BAD_REQUEST");
      expect(badRange.message).toMatch(/start of the date range must be before its end/);
      expect((await trpcError(api.list({ from: "31/01/2025" }))).code).toBe("BAD_REQUEST");

      const facets = await api.facets();
      expect(facets.actions).toEqual(expect.arrayContaining(["invitation.create", "member.role_change"]));
      expect(facets.targetTypes).toEqual(expect.arrayContaining(["invitation", "member"]));
      expect(facets.actors.map((a) => a.userId).sort()).toEqual([owner.userId, admin.userId].sort());
    });

    it("pages newest first without gaps or repeats, even within one timestamp", async () => {
      const api = caller(owner).audit;
      const all = await api.list({ limit: 200 });
      const seen: number[] = [];
      let cursor: { createdAt: Date; id: number } | null = null;
      for (let page = 0; page < 20; page++) {
        const result: Awaited<ReturnType<typeof api.list>> = await api.list({ limit: 2, cursor });
        seen.push(...result.entries.map((e) => e.id));
        cursor = result.nextCursor;
        if (!cursor) break;
      }
      expect(seen).toEqual(all.entries.map((e) => e.id));
      expect(new Set(seen).size).toBe(seen.length);
      const times = all.entries.map((e) => e.createdAt.getTime());
      expect([...times].sort((a, b) => b - a)).toEqual(times);
    });

    it("is FORBIDDEN to members and viewers, with a message saying who may", async () => {
      for (const role of ["member", "viewer"] as const) {
        const who = await addMember(infra.db, owner.orgId, role);
        const err = await trpcError(caller(who).audit.list({}));
        expect(err.code).toBe("FORBIDDEN");
        expect(err.message).toMatch(
          new RegExp(`Your role \\(${role}\\) cannot view the audit log; ask an admin`),
        );
        expect((await trpcError(caller(who).audit.facets())).code).toBe("FORBIDDEN");
      }
    });
  });

  describe("tenant isolation", () => {
    it("keeps an admin of org B away from org A's invitations, members and log", async () => {
      const ownerA = await createOrg(infra.db, "TenantA");
      const memberA = await addMember(infra.db, ownerA.orgId, "member");
      const invA = await invite(ownerA, uniqueEmail("tenant"), "member");
      const ownerB = await createOrg(infra.db, "TenantB");
      const adminB = await addMember(infra.db, ownerB.orgId, "admin");
      const b = caller(adminB);

      expect((await b.team.invitations({})).map((i) => i.id)).not.toContain(invA.invitation.id);
      expect((await b.team.members()).map((m) => m.userId)).not.toContain(memberA.userId);
      const revoke = await trpcError(b.team.revokeInvitation({ invitationId: invA.invitation.id }));
      expect(revoke.code).toBe("NOT_FOUND");
      const role = await trpcError(b.team.changeRole({ userId: memberA.userId, role: "viewer" }));
      expect(role.code).toBe("NOT_FOUND");
      const remove = await trpcError(b.team.removeMember({ userId: memberA.userId }));
      expect(remove.code).toBe("NOT_FOUND");
      const log = await b.audit.list({ limit: 200 });
      expect(log.entries.some((e) => e.targetId === invA.invitation.id)).toBe(false);
      expect((await b.audit.facets()).actors.map((a) => a.userId)).not.toContain(ownerA.userId);

      // Nothing in org A changed.
      expect((await caller(ownerA).team.invitations({ state: "pending" })).map((i) => i.id)).toContain(
        invA.invitation.id,
      );
      expect((await findMembership(infra.db, ownerA.orgId, memberA.userId))?.role).toBe("member");
    });
  });

  describe("single sign-on admission", () => {
    it("admits members and invited emails, refuses everyone else without creating anything", async () => {
      const owner = await createOrg(infra.db, "Sso");
      const [ownerUser] = await infra.db.select().from(users).where(eq(users.id, owner.userId));
      const check = (email: string | undefined, emailVerified?: boolean) =>
        checkSsoSignIn({ db: infra.db, email, emailVerified });

      expect(await check(ownerUser!.email.toUpperCase())).toEqual({ allowed: true });
      const before = await rowCounts();
      expect(await check(uniqueEmail("stranger"))).toEqual({ allowed: false, reason: "sso_not_invited" });
      expect(await check(undefined)).toEqual({ allowed: false, reason: "sso_no_email" });
      expect(await check(ownerUser!.email, false)).toEqual({
        allowed: false,
        reason: "sso_email_unverified",
      });
      expect(await rowCounts()).toEqual(before);

      const invitedEmail = uniqueEmail("sso-invited");
      const inv = await invite(owner, invitedEmail, "member");
      expect(await check(invitedEmail)).toEqual({ allowed: true });
      await caller(owner).team.revokeInvitation({ invitationId: inv.invitation.id });
      expect(await check(invitedEmail)).toEqual({ allowed: false, reason: "sso_not_invited" });

      // After sign-in: members get their org (and an audit record); an invited user without an org, none.
      const claims = await completeSsoSignIn({ db: infra.db, userId: owner.userId });
      expect(claims).toMatchObject({ orgId: owner.orgId, role: "owner" });
      const signins = await findAudit(infra.db, owner.orgId, { action: "user.signin" });
      expect(signins[0]?.details).toEqual({ method: "sso" });
      const loner = await createOrg(infra.db, "Loner");
      await infra.db.delete(memberships).where(eq(memberships.userId, loner.userId));
      expect(await completeSsoSignIn({ db: infra.db, userId: loner.userId })).toBeNull();
    });
  });
});
