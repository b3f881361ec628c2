import { describe, expect, it } from "vitest";
import { createNatsAuthSetup, decodeAccountJwt, revokeUsers } from "./accounts";
import { createNkeyPair, keyPairFromSeed, parsePublicKey } from "./keys";
import { mintDeviceUser } from "./users";

describe("nkey validation", () => {
  it("accepts well-formed keys of the right kind", () => {
    const user = createNkeyPair("user");
    expect(parsePublicKey("user", user.publicKey, "k")).toBe(user.publicKey);
    expect(keyPairFromSeed("user", user.seed, "k").getPublicKey()).toBe(user.publicKey);
  });

  it("names the key and the expected kind when one is malformed, and never echoes a seed", () => {
    const account = createNkeyPair("account");
    expect(() => parsePublicKey("user", account.publicKey, "the device key")).toThrow(
      /the device key is not a user public key \(56 characters starting with U\)/,
    );
    expect(() => parsePublicKey("user", "Unot-a-key", "the device key")).toThrow(/got "Unot-a-key"/);
    const flipped = `${account.publicKey.slice(0, 20)}${account.publicKey[20] === "A" ? "B" : "A"}${account.publicKey.slice(21)}`;
    expect(() => parsePublicKey("account", flipped, "k")).toThrow(/valid checksum/);
    try {
      keyPairFromSeed("user", account.seed, "the device seed");
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ name: "EdgewattNatsError", code: "INVALID_NKEY" });
      expect((err as Error).message).toMatch(
        /the device seed is not a user seed \(58 characters starting with SU\)/,
      );
      expect((err as Error).message).not.toContain(account.seed);
    }
  });

  it("refuses to mint a device user from a malformed device key or org seed", async () => {
    const setup = await createNatsAuthSetup();
    const org = createNkeyPair("account");
    const base = {
      accountPublicKey: setup.account.publicKey,
      orgSigningKeySeed: org.seed,
      orgId: "org_1",
      deviceId: "dev_1",
      userPublicKey: createNkeyPair("user").publicKey,
    };
    await expect(mintDeviceUser({ ...base, userPublicKey: setup.account.publicKey })).rejects.toMatchObject({
      code: "INVALID_NKEY",
    });
    await expect(mintDeviceUser({ ...base, orgSigningKeySeed: "SAnope" })).rejects.toThrow(
      /the signing key seed of org org_1 is not an account seed/,
    );
    await expect(mintDeviceUser({ ...base, deviceId: "dev.1" })).rejects.toMatchObject({
      code: "INVALID_SUBJECT_TOKEN",
    });
  });

  it("revokeUsers keeps the signing keys and adds the revocations", async () => {
    const setup = await createNatsAuthSetup();
    const user = createNkeyPair("user");
    const jwt = await revokeUsers({
      accountJwt: setup.account.jwt,
      operatorSeed: setup.operator.seed,
      userPublicKeys: [user.publicKey],
      at: new Date(1_800_000_000_000),
    });
    const claims = decodeAccountJwt(jwt);
    expect(claims.issuer).toBe(setup.operator.publicKey);
    expect(claims.account.revocations).toEqual({ [user.publicKey]: 1_800_000_000 });
    await expect(
      revokeUsers({ accountJwt: "not.a.jwt", operatorSeed: setup.operator.seed, userPublicKeys: [] }),
    ).rejects.toMatchObject({ code: "INVALID_JWT" });
  });
});
