import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createDevice,
  createNatsAuthIfMissing,
  createNatsUserRevocation,
  createOrgNatsSigningKeyIfMissing,
  createSecretBox,
  findActiveOrgNatsSigningKeys,
  findDeviceByNatsPublicKey,
  findNatsAuth,
  findNatsRevocations,
  findOrgNatsSigningKey,
  isNatsUserKeyTaken,
  revokeDevice,
  revokeOrgNatsSigningKey,
  updateDeviceNatsPublicKey,
  updateNatsAccountJwt,
} from "../src/index";
import { natsAuth, orgNatsSigningKeys } from "../src/schema";
import { createTestDatabase, type TestDatabase } from "../src/testing/index";
import { makeOrg } from "./fixtures";

const box = createSecretBox("test-secret-key-that-is-long-enough-0123456789");
// Shapes of NATS keys; this package never parses them.
const key = (prefix: string, n: number) => `${prefix}${String(n).padStart(55, "A")}`;

const material = {
  operator: { publicKey: key("O", 1), seed: `SO${"B".repeat(56)}`, jwt: "operator.jwt.x" },
  systemAccount: { publicKey: key("A", 2), seed: `SA${"C".repeat(56)}`, jwt: "system.jwt.x" },
  account: { publicKey: key("A", 3), seed: `SA${"D".repeat(56)}`, jwt: "account.jwt.v1" },
};

describe("secret box", () => {
  it("round-trips, binds a value to its context and refuses another key", () => {
    const sealed = box.seal("SUsecret", "ctx:a");
    expect(sealed).toMatch(/^v1:[\w-]+:[\w-]+:[\w-]+$/);
    expect(sealed).not.toContain("SUsecret");
    expect(box.open(sealed, "ctx:a")).toBe("SUsecret");
    expect(box.seal("SUsecret", "ctx:a")).not.toBe(sealed);
    expect(() => box.open(sealed, "ctx:b")).toThrow(/cannot decrypt the stored ctx:b/);
    const other = createSecretBox("another-secret-key-that-is-long-enough-98765");
    expect(() => other.open(sealed, "ctx:a")).toThrow(
      expect.objectContaining({
        code: "SECRET_UNREADABLE",
        message: expect.stringMatching(/EDGEWATT_SECRET_KEY/),
      }),
    );
    expect(() => createSecretBox("short")).toThrow(/at least 32 characters/);
  });
});

describe("NATS auth state on Postgres", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("stores the trust chain once, sealed, even when created concurrently", async () => {
    expect(await findNatsAuth(t.db, box)).toBeNull();
    const other = { ...material, operator: { ...material.operator, publicKey: key("O", 9) } };
    const [a, b] = await Promise.all([
      createNatsAuthIfMissing(t.db, box, material),
      createNatsAuthIfMissing(t.db, box, other),
    ]);
    expect(a).toEqual(b);
    expect(a.accountJwtVersion).toBe(1);
    const [raw] = await t.db.select().from(natsAuth);
    expect(JSON.stringify(raw)).not.toContain(material.account.seed);
    expect(await updateNatsAccountJwt(t.db, "account.jwt.v2")).toBe(2);
    const locked = await t.db.transaction((tx) => findNatsAuth(tx, box, { forUpdate: true }));
    expect(locked?.account).toMatchObject({ jwt: "account.jwt.v2", seed: material.account.seed });
  });

  it("keeps one signing key per org and lists the active ones", async () => {
    const { org } = await makeOrg(t.db, "Keys");
    const first = { orgId: org.id, publicKey: key("A", 10), seed: `SA${"E".repeat(56)}` };
    const [a, b] = await Promise.all([
      createOrgNatsSigningKeyIfMissing(t.db, box, first),
      createOrgNatsSigningKeyIfMissing(t.db, box, { ...first, publicKey: key("A", 11) }),
    ]);
    expect(a.publicKey).toBe(b.publicKey);
    expect((await findOrgNatsSigningKey(t.db, box, org.id))?.seed).toBe(first.seed);
    const [raw] = await t.db.select().from(orgNatsSigningKeys);
    expect(raw?.seedSealed).not.toContain(first.seed);
    expect(await findActiveOrgNatsSigningKeys(t.db)).toContain(a.publicKey);
    await revokeOrgNatsSigningKey(t.db, org.id);
    expect(await findActiveOrgNatsSigningKeys(t.db)).not.toContain(a.publicKey);
  });

  it("tracks device keys: unique, revocable, rotated by compare-and-set", async () => {
    const { org } = await makeOrg(t.db, "Devices");
    const base = {
      orgId: org.id,
      groupId: null,
      platform: { os: "linux", arch: "x64" },
      meters: [],
      agentVersion: "1",
      enrollmentTokenId: null,
    };
    const device = await createDevice(t.db, { ...base, name: "d1", natsPublicKey: key("U", 1) });
    await expect(createDevice(t.db, { ...base, name: "d2", natsPublicKey: key("U", 1) })).rejects.toThrow();
    expect(await isNatsUserKeyTaken(t.db, key("U", 1))).toBe(true);
    expect(await isNatsUserKeyTaken(t.db, key("U", 2))).toBe(false);
    expect((await findDeviceByNatsPublicKey(t.db, key("U", 1)))?.id).toBe(device.id);

    const moved = await updateDeviceNatsPublicKey(t.db, {
      orgId: org.id,
      deviceId: device.id,
      from: key("U", 1),
      to: key("U", 2),
    });
    expect(moved?.natsPublicKey).toBe(key("U", 2));
    expect(
      await updateDeviceNatsPublicKey(t.db, {
        orgId: org.id,
        deviceId: device.id,
        from: key("U", 1),
        to: key("U", 3),
      }),
    ).toBeNull();
    await createNatsUserRevocation(t.db, {
      userPublicKey: key("U", 1),
      orgId: org.id,
      deviceId: device.id,
      reason: "rotated",
      revokedAt: new Date(1_800_000_000_500),
    });
    await createNatsUserRevocation(t.db, {
      userPublicKey: key("U", 1),
      orgId: org.id,
      deviceId: device.id,
      reason: "device-revoked",
    });
    expect((await findNatsRevocations(t.db))[key("U", 1)]).toBe(1_800_000_000);
    expect(await isNatsUserKeyTaken(t.db, key("U", 1))).toBe(true);

    await revokeDevice(t.db, org.id, device.id);
    expect(
      await updateDeviceNatsPublicKey(t.db, {
        orgId: org.id,
        deviceId: device.id,
        from: key("U", 2),
        to: key("U", 4),
      }),
    ).toBeNull();
  });
});
