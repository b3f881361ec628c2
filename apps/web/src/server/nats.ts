/**
 * The portal's NATS connection: connected and the control plane ensured (streams, KV, object store)
 * once, lazily, on first use; kept on globalThis for `next dev` hot reloads. If the connection closes
 * for good, the next caller connects again; a failed attempt is not cached.
 *
 * With EDGEWATT_NATS_AUTH=jwt the portal reads the NATS trust chain from the database (creating it on first
 * use), connects as a service user it mints for itself, and pushes account updates over a second connection as a
 * system-account user. Neither user's seed leaves this process.
 */

import { createSecretBox, type SecretBox } from "@edgewatt/db";
import { connectNats, ensureControlPlane, type NatsConnection } from "@edgewatt/nats";
import { mintServiceUser, mintSystemUser, pushAccountJwt } from "@edgewatt/nats/auth";
import { serverEnv } from "../env";
import { getDb } from "./db";
import { ensureNatsAuth } from "./services/nats-auth/ensure-nats-auth";
import type { NatsAuth } from "./services/nats-auth/nats-auth";

type Cached = Promise<NatsConnection> | undefined;
const globalForNats = globalThis as typeof globalThis & {
  __edgewattWebNats?: Promise<NatsConnection>;
  __edgewattWebNatsSystem?: Promise<NatsConnection>;
  __edgewattSecretBox?: SecretBox;
};

/** The portal's service connection (EDGEWATT account in operator mode). */
export function getNats(): Promise<NatsConnection> {
  return cachedConnection("__edgewattWebNats", async () => {
    const nc = await connectNats({
      servers: serverEnv().natsUrl,
      name: "edgewatt-web",
      reconnectForever: true,
      credentials: await portalUser("service"),
    });
    try {
      await ensureControlPlane(nc);
    } catch (err) {
      await nc.close().catch(() => {});
      throw err;
    }
    return nc;
  });
}

/** What the services need to mint and revoke device credentials; null when NATS runs without auth. */
export function getNatsAuth(): NatsAuth | null {
  const box = secretBox();
  if (!box) return null;
  return {
    box,
    async pushAccountJwt(accountJwt) {
      const sys = await cachedConnection("__edgewattWebNatsSystem", async () =>
        connectNats({
          servers: serverEnv().natsUrl,
          name: "edgewatt-web-system",
          reconnectForever: true,
          credentials: await portalUser("system"),
        }),
      );
      await pushAccountJwt(sys, accountJwt);
    },
  };
}

function secretBox(): SecretBox | null {
  const { natsAuth } = serverEnv();
  if (natsAuth.mode !== "jwt") return null;
  globalForNats.__edgewattSecretBox ??= createSecretBox(natsAuth.secretKey);
  return globalForNats.__edgewattSecretBox;
}

async function portalUser(kind: "service" | "system"): Promise<{ jwt: string; seed: string } | undefined> {
  const box = secretBox();
  if (!box) return undefined;
  const material = await ensureNatsAuth({ db: getDb(), box });
  return kind === "service"
    ? mintServiceUser({ accountSeed: material.account.seed, name: "web" })
    : mintSystemUser({ systemAccountSeed: material.systemAccount.seed, name: "web" });
}

function cachedConnection(
  slot: "__edgewattWebNats" | "__edgewattWebNatsSystem",
  connect: () => Promise<NatsConnection>,
): Promise<NatsConnection> {
  const cached: Cached = globalForNats[slot];
  if (cached) return cached;
  const connecting = (async () => {
    const nc = await connect();
    void nc.closed().then(() => {
      if (globalForNats[slot] === connecting) globalForNats[slot] = undefined;
    });
    return nc;
  })();
  globalForNats[slot] = connecting;
  connecting.catch(() => {
    if (globalForNats[slot] === connecting) globalForNats[slot] = undefined;
  });
  return connecting;
}
