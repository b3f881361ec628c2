import { and, desc, eq, gte, lt } from "drizzle-orm";
import type { Db } from "../client";
import { auditLog } from "../schema";

export type AuditEntry = typeof auditLog.$inferSelect;

export type WriteAuditInput = {
  orgId: string;
  actorUserId?: string | null;
  actorDeviceId?: string | null;
  /** verb-first, dotted: `model.upload`, `token.create`, `device.enroll`… */
  action: string;
  targetType: string;
  targetId?: string | null;
  details?: Record<string, unknown>;
};

/** Write it in the same transaction as the change it records. */
export async function writeAudit(db: Db, input: WriteAuditInput): Promise<AuditEntry> {
  const [row] = await db
    .insert(auditLog)
    .values({
      orgId: input.orgId,
      actorUserId: input.actorUserId ?? null,
      actorDeviceId: input.actorDeviceId ?? null,
      action: input.action,
      targetType: input.targetType,
      targetId: input.targetId ?? null,
      details: input.details ?? {},
    })
    .returning();
  return row!;
}

export type AuditFilters = {
  action?: string;
  targetType?: string;
  targetId?: string;
  actorUserId?: string;
  actorDeviceId?: string;
  since?: Date;
  /** Exclusive upper bound, for paging back in time. */
  before?: Date;
  /** Default 100, at most 1000. */
  limit?: number;
};

/** Newest first. */
export async function findAudit(db: Db, orgId: string, filters: AuditFilters = {}): Promise<AuditEntry[]> {
  const limit = Math.min(Math.max(Math.trunc(filters.limit ?? 100), 1), 1000);
  return db
    .select()
    .from(auditLog)
    .where(
      and(
        eq(auditLog.orgId, orgId),
        filters.action !== undefined ? eq(auditLog.action, filters.action) : undefined,
        filters.targetType !== undefined ? eq(auditLog.targetType, filters.targetType) : undefined,
        filters.targetId !== undefined ? eq(auditLog.targetId, filters.targetId) : undefined,
        filters.actorUserId !== undefined ? eq(auditLog.actorUserId, filters.actorUserId) : undefined,
        filters.actorDeviceId !== undefined ? eq(auditLog.actorDeviceId, filters.actorDeviceId) : undefined,
        filters.since ? gte(auditLog.createdAt, filters.since) : undefined,
        filters.before ? lt(auditLog.createdAt, filters.before) : undefined,
      ),
    )
    .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
    .limit(limit);
}
