/**
 * The deployment's NATS trust chain (operator, system account, application account): read from the database,
 * created there on first use. Every process that starts first (launcher, portal) may create it; the database
 * keeps exactly one.
 */
import {
  createNatsAuthIfMissing,
  type Db,
  findNatsAuth,
  type NatsAuthMaterial,
  type SecretBox,
} from "@edgewatt/db";
import { createNatsAuthSetup } from "@edgewatt/nats/auth";

export async function ensureNatsAuth(opts: { db: Db; box: SecretBox }): Promise<NatsAuthMaterial> {
  const found = await findNatsAuth(opts.db, opts.box);
  if (found) return found;
  return createNatsAuthIfMissing(opts.db, opts.box, await createNatsAuthSetup());
}
