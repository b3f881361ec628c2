/**
 * The portal's NATS connection: connected and the control plane ensured (streams, KV, object store)
 * once, lazily, on first use; kept on globalThis for `next dev` hot reloads. If the connection closes
 * for good, the next caller connects again; a failed attempt is not cached.
 */
import { connectNats, ensureControlPlane, type NatsConnection } from "@edgewatt/nats";
import { serverEnv } from "../env";

const globalForNats = globalThis as typeof globalThis & { __edgewattWebNats?: Promise<NatsConnection> };

export function getNats(): Promise<NatsConnection> {
  const cached = globalForNats.__edgewattWebNats;
  if (cached) return cached;
  const connecting = (async () => {
    const nc = await connectNats({
      servers: serverEnv().natsUrl,
      name: "edgewatt-web",
      reconnectForever: true,
    });
    try {
      await ensureControlPlane(nc);
    } catch (err) {
      await nc.close().catch(() => {});
      throw err;
    }
    void nc.closed().then(() => {
      if (globalForNats.__edgewattWebNats === connecting) globalForNats.__edgewattWebNats = undefined;
    });
    return nc;
  })();
  globalForNats.__edgewattWebNats = connecting;
  connecting.catch(() => {
    if (globalForNats.__edgewattWebNats === connecting) globalForNats.__edgewattWebNats = undefined;
  });
  return connecting;
}
