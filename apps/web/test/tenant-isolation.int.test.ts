/**
 * Tenant isolation over the whole API: the owner of org B calls EVERY tRPC procedure (walked from the router, so
 * a new procedure is covered without touching this test) with org A's ids in every id field it could take, and
 * with plausible values for the rest. Whatever each call does, nothing of org A may come back (no org A id in any
 * result) and nothing of org A may change (its rows compared before and after).
 */
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { createDevice, createDeviceGroup, createEnergyPolicy, type Db } from "@edgewatt/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionClaims } from "../src/server/auth/config";
import type { Actor } from "../src/server/services/actor";
import { uploadModel } from "../src/server/services/models/upload-model";
import { createEnrollmentToken } from "../src/server/services/tokens/create-enrollment-token";
import { appRouter, createCaller } from "../src/server/trpc/root";
import { createOrg, type Infra, MODEL_PATH, startInfra } from "./helpers";

/** Org A's rows, as JSON per table, to show nothing of them changed. */
async function snapshot(db: Db, orgId: string): Promise<Record<string, string>> {
  const tables = [
    "models",
    "model_variants",
    "optimization_jobs",
    "devices",
    "device_groups",
    "energy_policies",
    "enrollment_tokens",
    "deployments",
    "memberships",
    "invitations",
    "rollouts",
  ];
  const out: Record<string, string> = {};
  for (const t of tables) {
    const rows = await db.execute(sql.raw(`select * from ${t} where org_id = '${orgId}' order by 1`));
    out[t] = JSON.stringify(rows.rows);
  }
  out.org = JSON.stringify((await db.execute(sql.raw(`select * from orgs where id = '${orgId}'`))).rows);
  return out;
}

describe("tenant isolation across every tRPC procedure", () => {
  let infra: Infra;
  let a: Actor;
  let b: Actor;
  const aIds: Record<string, string> = {};

  beforeAll(async () => {
    infra = await startInfra();
    a = await createOrg(infra.db, "Alpha");
    b = await createOrg(infra.db, "Bravo");
    const bytes = await readFile(MODEL_PATH);
    const uploaded = await uploadModel({
      db: infra.db,
      nc: infra.nc,
      actor: a,
      name: "alpha-model",
      fileName: "alpha.onnx",
      body: Readable.from([bytes]),
      contentLength: bytes.length,
      maxBytes: 10 * 1024 * 1024,
    });
    aIds.modelId = uploaded.modelId;
    aIds.jobId = uploaded.jobId;
    const policy = await createEnergyPolicy(infra.db, {
      orgId: a.orgId,
      name: "alpha-policy",
      mode: "rule",
      config: {},
    });
    aIds.policyId = policy.id;
    const group = await createDeviceGroup(infra.db, {
      orgId: a.orgId,
      name: "alpha-group",
      policyId: policy.id,
    });
    aIds.groupId = group.id;
    const device = await createDevice(infra.db, {
      orgId: a.orgId,
      groupId: group.id,
      name: "alpha-device",
      platform: { os: "linux", arch: "arm64" },
      meters: ["model"],
      agentVersion: null,
      enrollmentTokenId: null,
    });
    aIds.deviceId = device.id;
    const token = await createEnrollmentToken({
      db: infra.db,
      actor: a,
      serverUrl: "https://portal.test",
      label: "alpha",
      expiresInHours: 1,
      maxUses: 1,
    });
    aIds.tokenId = token.token.id;
    aIds.userId = a.userId;
    aIds.orgId = a.orgId;
  });
  afterAll(async () => {
    await infra?.stop();
  });

  it("gives org B nothing of org A and changes nothing of it, whatever it calls", async () => {
    const claims: SessionClaims = { userId: b.userId, orgId: b.orgId, orgName: "Bravo", role: "owner" };
    const before = await snapshot(infra.db, a.orgId);
    // Every id field a procedure might take points at org A; the rest are plausible values so calls reach services.
    const input = {
      ...aIds,
      rolloutId: "rol_alpha000000000000000",
      invitationId: "inv_alpha000000000000000",
      memberUserId: a.userId,
      variantName: "fp32",
      kind: "calibration",
      name: "bravo-thing",
      label: "bravo",
      email: "someone@example.test",
      role: "member",
      recipe: ["auto"],
      settings: {},
      canaryPct: 50,
      expiresInHours: 1,
      maxUses: 1,
      mode: "rule",
      config: {},
      deviceIds: [aIds.deviceId],
      range: { from: new Date(Date.now() - 86_400_000), to: new Date() },
      from: new Date(Date.now() - 86_400_000),
      to: new Date(),
      filter: { groupId: aIds.groupId },
    };
    const record = appRouter._def.procedures as Record<string, unknown>;
    const paths = Object.keys(record).sort();
    expect(paths.length).toBeGreaterThan(20);
    const outcomes: Record<string, string> = {};
    for (const path of paths) {
      const caller = createCaller({
        claims,
        db: infra.db,
        nats: async () => infra.nc,
        origin: "https://portal.test",
      });
      const fn = path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller) as (
        i: unknown,
      ) => Promise<unknown>;
      let result: unknown;
      let failure: { code: string; message: string } | null = null;
      try {
        result = await fn(input);
      } catch (err) {
        failure = { code: (err as { code?: string }).code ?? "ERROR", message: (err as Error).message };
      }
      if (failure) {
        // Every refusal must be a deliberate one (an internal error would hide what went wrong).
        expect(
          ["NOT_FOUND", "FORBIDDEN", "BAD_REQUEST", "CONFLICT", "PRECONDITION_FAILED"],
          `${path} failed with ${failure.code}: ${failure.message}`,
        ).toContain(failure.code);
        outcomes[path] = failure.code;
        continue;
      }
      const json = JSON.stringify(result ?? null);
      for (const [field, id] of Object.entries(aIds)) {
        expect(json.includes(id), `${path} returned org A's ${field} ${id}: ${json.slice(0, 300)}`).toBe(
          false,
        );
      }
      outcomes[path] = "ok, nothing of org A";
    }
    expect(await snapshot(infra.db, a.orgId)).toEqual(before);
    // What each procedure did, for the record (a failing run prints it).
    expect(Object.keys(outcomes)).toEqual(paths);
  });
});
