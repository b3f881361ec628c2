import { type Db, revokeToken, writeAudit } from "@edgewatt/db";
import { type Actor, requireWriter } from "../actor";
import { rethrowNotFound } from "../not-found";
import { type TokenView, toTokenView } from "./token-view";

export interface RevokeEnrollmentTokenOptions {
  db: Db;
  actor: Actor;
  tokenId: string;
}

/** Revokes a token (idempotent). Devices it already enrolled stay enrolled. */
export async function revokeEnrollmentToken(opts: RevokeEnrollmentTokenOptions): Promise<TokenView> {
  const { db, actor } = opts;
  requireWriter(actor, "revoke enrollment tokens");
  return db.transaction(async (tx) => {
    const row = await revokeToken(tx, actor.orgId, opts.tokenId).catch(
      rethrowNotFound(`Enrollment token ${opts.tokenId} does not exist in your organization.`),
    );
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "token.revoke",
      targetType: "enrollment_token",
      targetId: row.id,
      details: { prefix: row.prefix },
    });
    return toTokenView(row, new Date());
  });
}
