import { type Db, getMember, lockOwners, updateMembershipRole, writeAudit } from "@edgewatt/db";
import type { Role } from "@edgewatt/protocol";
import { ServiceError } from "../../errors";
import { type Actor, hasRole, requireRole } from "../actor";
import { rethrowNotFound } from "../not-found";
import { type MemberView, toMemberView } from "./member-view";

export interface ChangeMemberRoleOptions {
  db: Db;
  actor: Actor;
  userId: string;
  role: Role;
}

/**
 * Admins and owners change roles: never to a role above their own, never of someone ranked above them,
 * and never so that the org is left without an owner.
 */
export async function changeMemberRole(opts: ChangeMemberRoleOptions): Promise<MemberView> {
  const { db, actor } = opts;
  requireRole(actor, "admin", "change roles");
  if (!hasRole(actor.role, opts.role)) {
    throw new ServiceError(
      "FORBIDDEN",
      `Your role (${actor.role}) cannot grant the ${opts.role} role: nobody can grant a role above their own.`,
    );
  }
  return db.transaction(async (tx) => {
    const target = await getMember(tx, actor.orgId, opts.userId).catch(
      rethrowNotFound(`User ${opts.userId} is not a member of your organization.`),
    );
    if (!hasRole(actor.role, target.role)) {
      throw new ServiceError(
        "FORBIDDEN",
        `Your role (${actor.role}) cannot change the role of ${target.email}, who is ${target.role}; ask an owner.`,
      );
    }
    if (target.role === opts.role) return toMemberView(target, actor.userId);
    if (target.role === "owner")
      await requireAnotherOwner(tx, actor.orgId, target.userId, target.email, "demoted");
    await updateMembershipRole(tx, actor.orgId, target.userId, opts.role);
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "member.role_change",
      targetType: "member",
      targetId: target.userId,
      details: { email: target.email, from: target.role, to: opts.role },
    });
    return toMemberView({ ...target, role: opts.role }, actor.userId);
  });
}

/** Locks the org's owner rows, then refuses when `userId` is the only owner. */
export async function requireAnotherOwner(
  db: Db,
  orgId: string,
  userId: string,
  email: string,
  what: "demoted" | "removed",
): Promise<void> {
  const owners = await lockOwners(db, orgId);
  if (owners.filter((id) => id !== userId).length === 0) {
    throw new ServiceError(
      "CONFLICT",
      `${email} is the last owner of your organization and cannot be ${what}. Make another member an owner first.`,
    );
  }
}
