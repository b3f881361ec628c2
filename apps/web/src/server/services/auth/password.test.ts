import { describe, expect, it } from "vitest";
import {
  generatePassword,
  hashPassword,
  needsRehash,
  type ScryptParams,
  verifyAgainstDummy,
  verifyPassword,
} from "./password";

// Small parameters keep the suite fast; the format and the comparison are what is under test.
const FAST: ScryptParams = { N: 2 ** 10, r: 8, p: 1 };

describe("password hashing", () => {
  it("writes scrypt$N$r$p$salt$hash and verifies the right password only", async () => {
    const stored = await hashPassword("correct horse battery", FAST);
    const parts = stored.split("$");
    expect(parts).toHaveLength(6);
    expect(parts.slice(0, 4)).toEqual(["scrypt", "1024", "8", "1"]);
    expect(Buffer.from(parts[4]!, "base64")).toHaveLength(16);
    expect(Buffer.from(parts[5]!, "base64")).toHaveLength(32);
    expect(await verifyPassword("correct horse battery", stored)).toBe(true);
    expect(await verifyPassword("correct horse batterY", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("salts every hash", async () => {
    const a = await hashPassword("same password", FAST);
    const b = await hashPassword("same password", FAST);
    expect(a).not.toBe(b);
    expect(await verifyPassword("same password", a)).toBe(true);
    expect(await verifyPassword("same password", b)).toBe(true);
  });

  it("uses the default (memory-hard) parameters", async () => {
    const stored = await hashPassword("a default-cost password");
    expect(stored.startsWith("scrypt$32768$8$1$")).toBe(true);
    expect(await verifyPassword("a default-cost password", stored)).toBe(true);
    expect(needsRehash(stored)).toBe(false);
    expect(needsRehash(await hashPassword("a cheap password", FAST))).toBe(true);
  });

  it("never matches (nor throws on) malformed or hostile stored hashes", async () => {
    const good = await hashPassword("password123", FAST);
    const [, , , , salt, key] = good.split("$");
    for (const bad of [
      "",
      "plain",
      "bcrypt$10$abc",
      `scrypt$1000$8$1$${salt}$${key}`, // N not a power of two
      `scrypt$${2 ** 24}$8$1$${salt}$${key}`, // N beyond the cap
      `scrypt$1024$0$1$${salt}$${key}`,
      `scrypt$1024$8$1$$${key}`,
      `scrypt$1024$8$1$${salt}$`,
      `scrypt$1024$8$1$${salt}`,
    ]) {
      expect(await verifyPassword("password123", bad)).toBe(false);
    }
  });

  it("refuses to hash passwords that are too short", async () => {
    await expect(hashPassword("short", FAST)).rejects.toThrow(/8 to 1024/);
  });

  it("rejects unknown accounts through the dummy hash", async () => {
    expect(await verifyAgainstDummy("anything at all")).toBe(false);
  });

  it("generates long random passwords", () => {
    const a = generatePassword();
    expect(a).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(generatePassword()).not.toBe(a);
  });
});
