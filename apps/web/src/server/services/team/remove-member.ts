import { type Db, deleteMembership, getMember, writeAudit } from "@edgewatt/db";
import { ServiceError } from "../../errors";
import { type Actor, hasRole, requireRole } from "../actor";
import { rethrowNotFound } from "../not-found";
import { requireAnotherOwner } from "./change-member-role";
import { type MemberView, toMemberView } from "./member-view";

export interface RemoveMemberOptions {
  db: Db;
  actor: Actor;
  userId: string;
}

/**
 * Admins and owners remove members ranked no higher than themselves; the last owner stays. The account
 * itself remains (it may belong to other orgs); the removed user's next request is refused.
 */
export async function removeMember(opts: RemoveMemberOptions): Promise<MemberView> {
  const { db, actor } = opts;
  requireRole(actor, "admin", "remove members");
  return db.transaction(async (tx) => {
    const target = await getMember(tx, actor.orgId, opts.userId).catch(
      rethrowNotFound(`User ${opts.userId} is not a member of your organization.`),
    );
    if (!hasRole(actor.role, target.role)) {
      throw new ServiceError(
        "FORBIDDEN",
        `Your role (${actor.role}) cannot remove ${target.email}, who is ${target.role}; ask an owner.`,
      );
    }
    if (target.role === "owner")
      await requireAnotherOwner(tx, actor.orgId, target.userId, target.email, "removed");
    await deleteMembership(tx, actor.orgId, target.userId);
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "member.remove",
      targetType: "member",
      targetId: target.userId,
      details: { email: target.email, role: target.role },
    });
    return toMemberView(target, actor.userId);
  });
}
