import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consumeEnrollmentToken, createEnrollmentToken, findTokensByOrg, revokeToken } from "../src/index";
import { createTestDatabase, type TestDatabase } from "../src/testing/index";
import { makeOrg } from "./fixtures";

const NOW = new Date("2026-06-01T12:00:00Z");
const LATER = new Date("2026-06-02T12:00:00Z");

describe("enrollment tokens", () => {
  let t: TestDatabase;
  let orgId: string;
  let userId: string;
  let n = 0;

  const token = (over: { maxUses?: number; expiresAt?: Date } = {}) => {
    n += 1;
    return createEnrollmentToken(t.db, {
      orgId,
      groupId: null,
      tokenHash: `hash-${n}`,
      prefix: `ewt_${n}`,
      label: `token ${n}`,
      maxUses: over.maxUses ?? 1,
      expiresAt: over.expiresAt ?? LATER,
      createdBy: userId,
    });
  };

  beforeAll(async () => {
    t = await createTestDatabase();
    ({
      org: { id: orgId },
      userId,
    } = await makeOrg(t.db));
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("consumes a live token and counts the use", async () => {
    const tok = await token({ maxUses: 2 });
    const first = await consumeEnrollmentToken(t.db, tok.tokenHash, NOW);
    expect(first.ok).toBe(true);
    if (first.ok) expect(first.token.uses).toBe(1);
    const second = await consumeEnrollmentToken(t.db, tok.tokenHash, NOW);
    expect(second.ok && second.token.uses).toBe(2);
  });

  it("says unknown for a hash it has never seen", async () => {
    expect(await consumeEnrollmentToken(t.db, "no-such-hash", NOW)).toEqual({ ok: false, reason: "unknown" });
  });

  it("says expired at and after expires_at", async () => {
    const tok = await token({ expiresAt: NOW });
    expect(await consumeEnrollmentToken(t.db, tok.tokenHash, NOW)).toEqual({ ok: false, reason: "expired" });
    expect(await consumeEnrollmentToken(t.db, tok.tokenHash, LATER)).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  it("says exhausted once max_uses is reached, and does not count refused attempts", async () => {
    const tok = await token({ maxUses: 1 });
    expect((await consumeEnrollmentToken(t.db, tok.tokenHash, NOW)).ok).toBe(true);
    expect(await consumeEnrollmentToken(t.db, tok.tokenHash, NOW)).toEqual({
      ok: false,
      reason: "exhausted",
    });
    const [row] = (await findTokensByOrg(t.db, orgId)).filter((r) => r.id === tok.id);
    expect(row?.uses).toBe(1);
  });

  it("says revoked for a revoked token, even when it is also expired", async () => {
    const tok = await token({ expiresAt: NOW });
    const revoked = await revokeToken(t.db, orgId, tok.id);
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    expect(await consumeEnrollmentToken(t.db, tok.tokenHash, LATER)).toEqual({
      ok: false,
      reason: "revoked",
    });
  });

  it("never exceeds max_uses under concurrent enrollments", async () => {
    const tok = await token({ maxUses: 3 });
    const results = await Promise.all(
      Array.from({ length: 12 }, () => consumeEnrollmentToken(t.db, tok.tokenHash, NOW)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect(results.filter((r) => !r.ok && r.reason === "exhausted")).toHaveLength(9);
  });
});
