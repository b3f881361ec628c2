/**
 * Who is acting, as every org-scoped service sees it. The org always comes from the session (resolved
 * against the memberships table), never from request input: that is the tenant boundary.
 */
import type { Role } from "@edgewatt/protocol";
import { ServiceError } from "../errors";

export interface Actor {
  userId: string;
  orgId: string;
  role: Role;
}

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/** True when `role` is at least `minimum`. */
export function hasRole(role: Role, minimum: Role): boolean {
  return RANK[role] >= RANK[minimum];
}

/** Throws FORBIDDEN unless the actor's role is at least `minimum`. */
export function requireRole(actor: Actor, minimum: Role, action: string): void {
  if (!hasRole(actor.role, minimum)) {
    throw new ServiceError(
      "FORBIDDEN",
      `Your role (${actor.role}) cannot ${action}; ask an admin of your organization for the ${minimum} role.`,
    );
  }
}

/** Viewers can read everything in their org but change nothing. */
export function requireWriter(actor: Actor, action: string): void {
  requireRole(actor, "member", action);
}
