import { type Db, findMembershipsForUser } from "@edgewatt/db";
import type { Role } from "@edgewatt/protocol";
import type { Actor } from "../actor";

export interface MyOrganization {
  orgId: string;
  name: string;
  role: Role;
  /** The org the session acts in. */
  current: boolean;
}

/** Every org the signed-in user belongs to, oldest membership first (the one sign-in picks). */
export async function listMyOrganizations(opts: { db: Db; actor: Actor }): Promise<MyOrganization[]> {
  const memberships = await findMembershipsForUser(opts.db, opts.actor.userId);
  return memberships.map((m) => ({
    orgId: m.orgId,
    name: m.org.name,
    role: m.role,
    current: m.orgId === opts.actor.orgId,
  }));
}
