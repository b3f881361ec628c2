/**
 * Turns session claims into an Actor by re-reading the membership, so a removed member or a changed
 * role takes effect on the next request rather than when the session expires.
 */
import { type Db, findMembership } from "@edgewatt/db";
import { ServiceError } from "../../errors";
import type { Actor } from "../actor";

export interface ResolveActorOptions {
  db: Db;
  /** From the verified session; absent when the request has no session. */
  claims: { userId: string; orgId: string } | undefined;
}

export async function resolveActor(opts: ResolveActorOptions): Promise<Actor> {
  if (!opts.claims)
    throw new ServiceError("UNAUTHENTICATED", "You are not signed in; sign in and try again.");
  const { userId, orgId } = opts.claims;
  const membership = await findMembership(opts.db, orgId, userId);
  if (!membership) {
    throw new ServiceError(
      "UNAUTHENTICATED",
      "Your membership in this organization has ended; sign in again to continue.",
    );
  }
  return { userId, orgId, role: membership.role };
}
