import { describe, expect, it } from "vitest";
import { createNkeyPair } from "./keys";
import { createRotationRequest, verifyRotationRequest, ZCredentialRotationRequest } from "./rotation";

describe("credential rotation proof", () => {
  const current = createNkeyPair("user");
  const next = createNkeyPair("user");
  const now = new Date("2026-11-24T12:00:00Z");
  const req = createRotationRequest({
    deviceId: "dev_1",
    currentSeed: current.seed,
    newSeed: next.seed,
    now,
  });
  const expected = { deviceId: "dev_1", currentPublicKey: current.publicKey, now };

  it("verifies a request signed by the current and the new key", () => {
    expect(ZCredentialRotationRequest.parse(req)).toEqual(req);
    expect(verifyRotationRequest(req, expected)).toBe(next.publicKey);
  });

  it("refuses a request whose signatures or fields were tampered with", () => {
    const other = createNkeyPair("user");
    const cases = [
      { ...req, newPublicKey: other.publicKey },
      { ...req, issuedAt: req.issuedAt + 1 },
      { ...req, signature: req.newKeySignature },
      { ...req, newKeySignature: req.signature },
    ];
    for (const bad of cases) {
      expect(() => verifyRotationRequest(bad, expected)).toThrow(/does not verify/);
    }
  });

  it("refuses a key that is not the device's current one, another device and a stale clock", () => {
    expect(() => verifyRotationRequest(req, { ...expected, currentPublicKey: next.publicKey })).toThrow(
      /not signed with the device's current NATS key/,
    );
    expect(() => verifyRotationRequest(req, { ...expected, deviceId: "dev_2" })).toThrow(/another device/);
    expect(() =>
      verifyRotationRequest(req, { ...expected, now: new Date(now.getTime() + 10 * 60_000) }),
    ).toThrow(/check the device's clock/);
    const same = createRotationRequest({
      deviceId: "dev_1",
      currentSeed: current.seed,
      newSeed: current.seed,
      now,
    });
    expect(() => verifyRotationRequest(same, expected)).toThrow(/the new key is the current key/);
  });
});
