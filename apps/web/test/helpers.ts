/** Shared set-up for the integration suites: a fresh database and nats-server per suite, and an org. */
import { fileURLToPath } from "node:url";
import { createOrgWithOwner, type Db, upsertMembership } from "@edgewatt/db";
import { createTestDatabase, type TestDatabase } from "@edgewatt/db/testing";
import { connectNats, ensureControlPlane, type NatsConnection } from "@edgewatt/nats";
import { startNatsServer, type TestNatsServer } from "@edgewatt/nats/testing";
import type { Role } from "@edgewatt/protocol";
import { TRPCError } from "@trpc/server";
import { expect } from "vitest";
import type { SessionClaims } from "../src/server/auth/config";
import { insertUser } from "../src/server/data/seed-rows";
import type { Actor } from "../src/server/services/actor";
import { createCaller } from "../src/server/trpc/root";

/** The reference model (same file as /work/shared/models/nab-conv-autoencoder.onnx), committed under samples/. */
export const MODEL_PATH = fileURLToPath(
  new URL("../../../samples/models/nab-conv-autoencoder.onnx", import.meta.url),
);

export interface Infra {
  database: TestDatabase;
  db: Db;
  nats: TestNatsServer;
  nc: NatsConnection;
  stop(): Promise<void>;
}

export async function startInfra(opts: { nats?: boolean } = {}): Promise<Infra> {
  const database = await createTestDatabase();
  let nats: TestNatsServer | undefined;
  let nc: NatsConnection | undefined;
  if (opts.nats !== false) {
    nats = await startNatsServer();
    nc = await connectNats({ servers: nats.url, name: "web-test" });
    await ensureControlPlane(nc);
  }
  return {
    database,
    db: database.db,
    get nats() {
      if (!nats) throw new Error("this suite started no nats-server");
      return nats;
    },
    get nc() {
      if (!nc) throw new Error("this suite started no nats-server");
      return nc;
    },
    async stop() {
      await nc?.close();
      await nats?.stop();
      await database.drop();
    },
  };
}

let counter = 0;

/** A new org with an owner; returns the owner as an Actor. */
export async function createOrg(db: Db, name = "Acme"): Promise<Actor> {
  counter += 1;
  const { org, user } = await createOrgWithOwner(db, {
    name: `${name} ${counter}`,
    email: `owner${counter}-${Date.now()}@example.test`,
    passwordHash: null,
    userName: "Owner",
  });
  return { userId: user.id, orgId: org.id, role: "owner" };
}

/** Another member of an existing org, with the given role. */
export async function addMember(db: Db, orgId: string, role: Role): Promise<Actor> {
  counter += 1;
  const user = await insertUser(db, {
    email: `${role}${counter}-${Date.now()}@example.test`,
    name: role,
    passwordHash: "x",
  });
  await upsertMembership(db, { orgId, userId: user.id, role });
  return { userId: user.id, orgId, role };
}

/** A tRPC caller acting as `actor` (null: no session), over the suite's database and nats-server. */
export function callerFor(infra: Infra, actor: Actor | null, origin = "https://portal.example.test") {
  const claims: SessionClaims | undefined = actor
    ? { userId: actor.userId, orgId: actor.orgId, orgName: "Test", role: actor.role }
    : undefined;
  return createCaller({ claims, db: infra.db, nats: async () => infra.nc, origin });
}

/** The TRPCError a call fails with (the test fails when the call succeeds or throws something else). */
export async function trpcFailure(promise: Promise<unknown>): Promise<TRPCError> {
  const err = await promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TRPCError);
  return err as TRPCError;
}
