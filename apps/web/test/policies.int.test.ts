/**
 * Energy policies and device groups end to end over real Postgres and a real nats-server: validation against the
 * protocol's schemas (with the field named), version bumps, the artifact in KV POLICY (decodable by agents),
 * deployments that point at the group's key, group deletion rules, roles, tenant isolation and the audit log.
 */
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { findAudit } from "@edgewatt/db";
import { decode, KV_BUCKETS, kvKeys, ZDeploymentAssignment, ZPolicyArtifact } from "@edgewatt/protocol";
import { Kvm } from "@nats-io/kv";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { SessionClaims } from "../src/server/auth/config";
import type { Actor } from "../src/server/services/actor";
import { enrollDevice } from "../src/server/services/devices/enroll-device";
import { uploadModel } from "../src/server/services/models/upload-model";
import { LEARNED_POLICY_UNAVAILABLE } from "../src/server/services/policies/policy-input";
import { createCaller, type RouterInputs } from "../src/server/trpc/root";
import { addMember, createOrg, type Infra, MODEL_PATH, startInfra } from "./helpers";

const ORIGIN = "https://portal.example.test";

describe("energy policies and device groups (real Postgres + nats-server)", () => {
  let infra: Infra;
  let owner: Actor;
  let modelId: string;

  function caller(actor: Actor) {
    const claims: SessionClaims = {
      userId: actor.userId,
      orgId: actor.orgId,
      orgName: "Test",
      role: actor.role,
    };
    return createCaller({ claims, db: infra.db, nats: async () => infra.nc, origin: ORIGIN });
  }

  async function trpcError(promise: Promise<unknown>): Promise<TRPCError> {
    const err = await promise.then(
      () => {
        throw new Error("expected the call to fail");
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TRPCError);
    return err as TRPCError;
  }

  /** The field paths and messages of a refused input, as the portal's form receives them. */
  async function inputIssues(promise: Promise<unknown>): Promise<{ path: string; message: string }[]> {
    const err = await trpcError(promise);
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.cause).toBeInstanceOf(z.ZodError);
    return (err.cause as z.ZodError).issues.map((i) => ({ path: i.path.join("."), message: i.message }));
  }

  async function policyKv() {
    return new Kvm(infra.nc).open(KV_BUCKETS.policy);
  }

  async function readArtifact(orgId: string, groupId: string) {
    const entry = await (await policyKv()).get(kvKeys.groupPolicy(orgId, groupId));
    if (!entry || entry.operation !== "PUT") return null;
    const decoded = decode(ZPolicyArtifact, entry.value);
    if (!decoded.ok) throw decoded.error;
    return decoded.value;
  }

  async function enroll(actor: Actor, name: string): Promise<string> {
    const token = await caller(actor).tokens.create({ label: name, expiresInHours: 1, maxUses: 1 });
    const enrolled = await enrollDevice({
      db: infra.db,
      request: {
        token: token.secret,
        name,
        agentVersion: "0.1.0",
        platform: { os: "linux", arch: "arm64" },
        meters: ["model"],
      },
      natsServers: "nats://127.0.0.1:4222",
    });
    return enrolled.deviceId;
  }

  type RuleDraft = Extract<RouterInputs["policies"]["create"], { mode: "rule" }>;
  const fieldRule = (overrides: Partial<RuleDraft["rule"]> = {}): RuleDraft => ({
    name: `field ${Math.random().toString(36).slice(2, 8)}`,
    description: "Battery-powered sensors in the field",
    mode: "rule",
    rule: { lowBatteryPct: 40, criticalBatteryPct: 15, ...overrides },
  });

  beforeAll(async () => {
    infra = await startInfra({ nats: true });
    owner = await createOrg(infra.db, "Policies");
    const bytes = await readFile(MODEL_PATH);
    const uploaded = await uploadModel({
      db: infra.db,
      nc: infra.nc,
      actor: owner,
      name: "autoencoder",
      fileName: "nab-conv-autoencoder.onnx",
      body: Readable.from([bytes]),
      contentLength: bytes.length,
      maxBytes: 10 * 1024 * 1024,
    });
    modelId = uploaded.modelId;
  });
  afterAll(async () => {
    await infra?.stop();
  });

  it("creates rule and static policies at version 1, with the protocol's defaults filled in", async () => {
    const api = caller(owner);
    const rule = await api.policies.create({
      ...fieldRule(),
      schedule: { quietHours: { start: "22:00", end: "06:00" }, carbon: { zone: "DE", maxGramsPerKwh: 350 } },
    });
    expect(rule).toMatchObject({
      mode: "rule",
      version: 1,
      static: null,
      rule: {
        lowBatteryPct: 40,
        criticalBatteryPct: 15,
        minFidelity: 0.98,
        whenHealthy: "highest-quality",
        degradablePriorities: ["normal", "background"],
        latencySloMs: null,
      },
      schedule: { quietHours: { start: "22:00", end: "06:00" }, carbon: { zone: "DE", maxGramsPerKwh: 350 } },
      groups: [],
    });
    const fixed = await api.policies.create({
      name: "always int8",
      mode: "static",
      static: { variant: "int8-dynamic", threads: 2 },
    });
    expect(fixed).toMatchObject({
      mode: "static",
      version: 1,
      description: null,
      static: { variant: "int8-dynamic", threads: 2 },
      rule: null,
    });
    const listed = await api.policies.list();
    expect(listed.map((p) => p.id)).toEqual(expect.arrayContaining([rule.id, fixed.id]));
    expect(await api.policies.get({ policyId: rule.id })).toMatchObject({ id: rule.id, version: 1 });
  });

  it("refuses invalid policies and names the field that is wrong", async () => {
    const api = caller(owner);
    const crossed = await inputIssues(
      api.policies.create(fieldRule({ lowBatteryPct: 20, criticalBatteryPct: 50 })),
    );
    expect(crossed).toEqual([
      {
        path: "rule.criticalBatteryPct",
        message: "critical battery level (50%) must not be above the low battery level (20%)",
      },
    ]);

    const fidelity = await inputIssues(api.policies.create(fieldRule({ minFidelity: 1.5 })));
    expect(fidelity).toEqual([{ path: "rule.minFidelity", message: expect.stringMatching(/<=\s*1/) }]);
    const negative = await inputIssues(api.policies.create(fieldRule({ minFidelity: -0.1 })));
    expect(negative.map((i) => i.path)).toEqual(["rule.minFidelity"]);

    const mode = await inputIssues(
      api.policies.create({ name: "turbo", mode: "turbo" } as unknown as RouterInputs["policies"]["create"]),
    );
    expect(mode).toEqual([{ path: "mode", message: "the mode must be one of static, rule, learned" }]);

    const quiet = await inputIssues(
      api.policies.create({ ...fieldRule(), schedule: { quietHours: { start: "25:00", end: "06:00" } } }),
    );
    expect(quiet).toEqual([
      { path: "schedule.quietHours.start", message: "use a 24-hour time such as 22:00" },
    ]);

    const name = await inputIssues(api.policies.create({ ...fieldRule(), name: "   " }));
    expect(name).toEqual([{ path: "name", message: "give the policy a name" }]);

    const learned = await trpcError(api.policies.create({ name: "learned one", mode: "learned" }));
    expect(learned.code).toBe("BAD_REQUEST");
    expect(learned.message).toBe(LEARNED_POLICY_UNAVAILABLE);

    const first = await api.policies.create(fieldRule());
    const duplicate = await trpcError(api.policies.create({ ...fieldRule(), name: first.name }));
    expect(duplicate.code).toBe("CONFLICT");
    expect(duplicate.message).toMatch(/already exists.*choose another name/);
  });

  it("bumps the version on every edit and refuses a save over someone else's newer revision", async () => {
    const api = caller(owner);
    const created = await api.policies.create(fieldRule());
    const v2 = await api.policies.update({
      policyId: created.id,
      expectedVersion: 1,
      ...fieldRule({ minFidelity: 0.95 }),
      name: created.name,
    });
    expect(v2).toMatchObject({ version: 2, rule: { minFidelity: 0.95 } });
    expect(v2.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
    const v3 = await api.policies.update({ policyId: created.id, ...fieldRule(), name: "renamed" });
    expect(v3).toMatchObject({ version: 3, name: "renamed" });

    const stale = await trpcError(
      api.policies.update({ policyId: created.id, expectedVersion: 2, ...fieldRule(), name: "renamed" }),
    );
    expect(stale.code).toBe("CONFLICT");
    expect(stale.message).toMatch(/now version 3.*reload/);

    const invalid = await inputIssues(
      api.policies.update({ policyId: created.id, ...fieldRule({ criticalBatteryPct: 90 }) }),
    );
    expect(invalid.map((i) => i.path)).toEqual(["rule.criticalBatteryPct"]);
    expect((await api.policies.get({ policyId: created.id })).version).toBe(3);

    const audit = await findAudit(infra.db, owner.orgId, { targetId: created.id });
    expect(audit.map((a) => a.action)).toEqual(["policy.update", "policy.update", "policy.create"]);
    expect(audit[0]!.details).toMatchObject({
      version: 3,
      previousVersion: 2,
      changed: ["name", "rule.minFidelity"],
    });
  });

  it("publishes the attached policy to KV POLICY and republishes each edit; deployments point at the key", async () => {
    const api = caller(owner);
    const policy = await api.policies.create(fieldRule({ minFidelity: 0.97 }));
    const group = await api.groups.create({ name: "field sensors" });
    expect(group).toMatchObject({ deviceCount: 0, policy: null });

    const attached = await api.groups.setPolicy({ groupId: group.id, policyId: policy.id });
    const key = kvKeys.groupPolicy(owner.orgId, group.id);
    expect(attached).toMatchObject({ groupId: group.id, key, policy: { id: policy.id, version: 1 } });
    const v1 = await readArtifact(owner.orgId, group.id);
    expect(v1).toMatchObject({
      policyId: policy.id,
      version: 1,
      orgId: owner.orgId,
      name: policy.name,
      mode: "rule",
      rule: { minFidelity: 0.97, lowBatteryPct: 40, criticalBatteryPct: 15 },
    });
    expect(v1).not.toHaveProperty("static");
    expect(v1!.createdAt).toBe(policy.updatedAt.getTime());
    expect((await api.policies.get({ policyId: policy.id })).groups).toEqual([
      { id: group.id, name: "field sensors" },
    ]);

    // A device moved into the group: its deployment follows the group's policy through the key.
    const deviceId = await enroll(owner, "sensor-1");
    expect(await api.groups.moveDevices({ deviceIds: [deviceId], groupId: group.id })).toEqual({
      moved: 1,
      groupId: group.id,
    });
    const { deployment, assignment } = await api.deployments.create({
      modelId,
      deviceId,
      variantName: "fp32",
    });
    expect(assignment.policy).toEqual({ mode: "rule", key });
    expect(deployment.policyId).toBe(policy.id);
    const deployKv = await new Kvm(infra.nc).open(KV_BUCKETS.deploy);
    const wire = decode(
      ZDeploymentAssignment,
      (await deployKv.get(kvKeys.deviceAssignment(owner.orgId, deviceId)))!.value,
    );
    expect(wire.ok && wire.value.policy).toEqual({ mode: "rule", key });

    // Editing the policy republishes it under the same key with the new version.
    await api.policies.update({
      policyId: policy.id,
      ...fieldRule({ minFidelity: 0.9, whenHealthy: "cheapest-within-floor" }),
      name: policy.name,
    });
    expect(await readArtifact(owner.orgId, group.id)).toMatchObject({
      policyId: policy.id,
      version: 2,
      rule: { minFidelity: 0.9, whenHealthy: "cheapest-within-floor" },
    });
    // Quiet hours travel with the rule (agents run them); the carbon signal stays in the portal for now.
    await api.policies.update({
      policyId: policy.id,
      ...fieldRule({ minFidelity: 0.9, whenHealthy: "cheapest-within-floor" }),
      name: policy.name,
      schedule: { quietHours: { start: "22:00", end: "06:00" }, carbon: { zone: "DE", maxGramsPerKwh: 350 } },
    });
    const withQuiet = await readArtifact(owner.orgId, group.id);
    expect(withQuiet).toMatchObject({ version: 3, rule: { quietHours: { start: "22:00", end: "06:00" } } });
    expect(withQuiet).not.toHaveProperty("schedule");

    // A policy in use cannot be deleted; switching the group to a static policy republishes the key.
    const inUse = await trpcError(api.policies.delete({ policyId: policy.id }));
    expect(inUse.code).toBe("CONFLICT");
    expect(inUse.message).toMatch(/attached to group "field sensors"/);
    const fixed = await api.policies.create({ name: `fixed ${Date.now()}`, mode: "static", static: {} });
    await api.groups.setPolicy({ groupId: group.id, policyId: fixed.id });
    expect(await readArtifact(owner.orgId, group.id)).toMatchObject({
      policyId: fixed.id,
      mode: "static",
      static: { threads: 1 },
    });
    const groups = await api.groups.list();
    expect(groups.find((g) => g.id === group.id)).toMatchObject({
      deviceCount: 1,
      policy: { id: fixed.id, mode: "static", version: 1 },
    });

    // Detaching removes the key; new deployments run static again.
    expect(await api.groups.setPolicy({ groupId: group.id, policyId: null })).toMatchObject({ key: null });
    expect(await readArtifact(owner.orgId, group.id)).toBeNull();
    const plain = await api.deployments.create({ modelId, deviceId, variantName: "fp32" });
    expect(plain.assignment.policy).toEqual({ mode: "static", variant: "fp32" });
    expect(await api.policies.delete({ policyId: policy.id })).toEqual({ id: policy.id });

    const actions = (await findAudit(infra.db, owner.orgId, { targetId: group.id })).map((a) => a.action);
    expect(actions).toEqual([
      "group.policy.detach",
      "group.policy.attach",
      "group.policy.attach",
      "group.create",
    ]);
    expect(
      (await findAudit(infra.db, owner.orgId, { targetId: deviceId, action: "device.move" }))[0]?.details,
    ).toEqual({
      name: "sensor-1",
      fromGroupId: null,
      toGroupId: group.id,
    });
  });

  it("renames groups, refuses to delete a group that still has devices, deletes it once empty", async () => {
    const api = caller(owner);
    const policy = await api.policies.create(fieldRule());
    const group = await api.groups.create({ name: "lab bench" });
    const other = await api.groups.create({ name: "warehouse" });
    const taken = await trpcError(api.groups.create({ name: "lab bench" }));
    expect(taken.code).toBe("CONFLICT");
    expect(taken.message).toMatch(/"lab bench" already exists/);
    expect(await api.groups.rename({ groupId: group.id, name: "lab rack" })).toEqual({
      id: group.id,
      name: "lab rack",
    });
    const clash = await trpcError(api.groups.rename({ groupId: group.id, name: "warehouse" }));
    expect(clash.code).toBe("CONFLICT");

    await api.groups.setPolicy({ groupId: group.id, policyId: policy.id });
    const a = await enroll(owner, "bench-a");
    const b = await enroll(owner, "bench-b");
    await api.groups.moveDevices({ deviceIds: [a, b], groupId: group.id });

    const full = await trpcError(api.groups.delete({ groupId: group.id }));
    expect(full.code).toBe("CONFLICT");
    expect(full.message).toBe(
      'Group "lab rack" still has 2 devices; move them to another group (or to no group) first, then delete the group.',
    );
    expect(await readArtifact(owner.orgId, group.id)).not.toBeNull();

    await api.groups.moveDevices({ deviceIds: [a], groupId: other.id });
    await api.groups.moveDevices({ deviceIds: [b], groupId: null });
    const devices = await api.devices.list();
    expect(devices.find((d) => d.id === a)).toMatchObject({ groupId: other.id, groupName: "warehouse" });
    expect(devices.find((d) => d.id === b)).toMatchObject({ groupId: null });

    expect(await api.groups.delete({ groupId: group.id })).toEqual({ id: group.id });
    expect((await api.groups.list()).map((g) => g.id)).not.toContain(group.id);
    expect(await readArtifact(owner.orgId, group.id)).toBeNull();
    const missing = await trpcError(api.groups.delete({ groupId: group.id }));
    expect(missing.code).toBe("NOT_FOUND");

    const unknownDevice = await trpcError(
      api.groups.moveDevices({ deviceIds: [a, "dev_nope"], groupId: null }),
    );
    expect(unknownDevice.code).toBe("NOT_FOUND");
    // All or nothing: the known device did not move either.
    expect((await api.devices.list()).find((d) => d.id === a)?.groupId).toBe(other.id);
    expect((await findAudit(infra.db, owner.orgId, { action: "group.delete" }))[0]).toMatchObject({
      targetId: group.id,
      details: { name: "lab rack", policyId: policy.id },
    });
  });

  it("lets admins and owners change policies and groups; members and viewers only read", async () => {
    const admin = await addMember(infra.db, owner.orgId, "admin");
    const member = await addMember(infra.db, owner.orgId, "member");
    const viewer = await addMember(infra.db, owner.orgId, "viewer");
    const policy = await caller(admin).policies.create(fieldRule());
    const group = await caller(admin).groups.create({ name: `admins ${Date.now()}` });
    await caller(admin).groups.setPolicy({ groupId: group.id, policyId: policy.id });

    for (const reader of [member, viewer]) {
      const api = caller(reader);
      expect((await api.policies.list()).map((p) => p.id)).toContain(policy.id);
      expect((await api.policies.get({ policyId: policy.id })).id).toBe(policy.id);
      expect((await api.groups.list()).map((g) => g.id)).toContain(group.id);
      const refusals = await Promise.all([
        trpcError(api.policies.create(fieldRule())),
        trpcError(api.policies.update({ policyId: policy.id, ...fieldRule() })),
        trpcError(api.policies.delete({ policyId: policy.id })),
        trpcError(api.groups.create({ name: "nope" })),
        trpcError(api.groups.rename({ groupId: group.id, name: "nope" })),
        trpcError(api.groups.setPolicy({ groupId: group.id, policyId: null })),
        trpcError(api.groups.delete({ groupId: group.id })),
      ]);
      for (const err of refusals) {
        expect(err.code).toBe("FORBIDDEN");
        expect(err.message).toMatch(new RegExp(reader.role));
      }
    }
    expect((await caller(owner).policies.get({ policyId: policy.id })).version).toBe(1);
  });

  it("keeps tenants apart: another org cannot read, attach or move what is not its own", async () => {
    const policy = await caller(owner).policies.create(fieldRule());
    const group = await caller(owner).groups.create({ name: `tenant A ${Date.now()}` });
    const deviceId = await enroll(owner, "tenant-a-device");
    const stranger = await createOrg(infra.db, "Stranger");
    const api = caller(stranger);
    expect(await api.policies.list()).toEqual([]);
    expect(await api.groups.list()).toEqual([]);
    const ownGroup = await api.groups.create({ name: "mine" });
    const ownPolicy = await api.policies.create(fieldRule());

    const refusals = await Promise.all([
      trpcError(api.policies.get({ policyId: policy.id })),
      trpcError(api.policies.update({ policyId: policy.id, ...fieldRule() })),
      trpcError(api.policies.delete({ policyId: policy.id })),
      trpcError(api.groups.setPolicy({ groupId: ownGroup.id, policyId: policy.id })),
      trpcError(api.groups.setPolicy({ groupId: group.id, policyId: ownPolicy.id })),
      trpcError(api.groups.rename({ groupId: group.id, name: "taken over" })),
      trpcError(api.groups.delete({ groupId: group.id })),
      trpcError(api.groups.moveDevices({ deviceIds: [deviceId], groupId: ownGroup.id })),
    ]);
    for (const err of refusals) expect(err.code).toBe("NOT_FOUND");
    // And the owner's org is as it was.
    expect(await caller(owner).policies.get({ policyId: policy.id })).toMatchObject({
      version: 1,
      groups: [],
    });
    expect((await caller(owner).groups.list()).find((g) => g.id === group.id)).toMatchObject({
      name: group.name,
      policy: null,
    });
    expect((await caller(owner).devices.list()).find((d) => d.id === deviceId)?.groupId).toBeNull();
    expect(await readArtifact(stranger.orgId, ownGroup.id)).toBeNull();
  });
});
