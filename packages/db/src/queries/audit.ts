import { and, asc, desc, eq, gte, isNotNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "../client";
import { auditLog, users } from "../schema";

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

/** Where a page of the log ended: the last entry's time and id. */
export type AuditCursor = { createdAt: Date; id: number };

export type AuditFilters = {
  action?: string;
  targetType?: string;
  targetId?: string;
  actorUserId?: string;
  actorDeviceId?: string;
  since?: Date;
  /** Exclusive upper bound, for paging back in time. */
  before?: Date;
  /**
   * Keyset paging: only entries strictly older than this one in the (createdAt, id) order. Entries written
   * in one transaction share a timestamp, so a `before` date alone would skip or repeat them.
   */
  cursor?: AuditCursor;
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
        filters.cursor
          ? or(
              lt(auditLog.createdAt, filters.cursor.createdAt),
              and(eq(auditLog.createdAt, filters.cursor.createdAt), lt(auditLog.id, filters.cursor.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
    .limit(limit);
}

/** The values the org's log holds, for filter pickers: actions, target types and the users who acted. */
export type AuditFacets = {
  actions: string[];
  targetTypes: string[];
  actors: { userId: string; email: string | null }[];
};

export async function findAuditFacets(db: Db, orgId: string): Promise<AuditFacets> {
  const [actions, targetTypes, actors] = await Promise.all([
    db
      .selectDistinct({ action: auditLog.action })
      .from(auditLog)
      .where(eq(auditLog.orgId, orgId))
      .orderBy(asc(auditLog.action)),
    db
      .selectDistinct({ targetType: auditLog.targetType })
      .from(auditLog)
      .where(eq(auditLog.orgId, orgId))
      .orderBy(asc(auditLog.targetType)),
    db
      .selectDistinct({ userId: sql<string>`${auditLog.actorUserId}`, email: users.email })
      .from(auditLog)
      .leftJoin(users, eq(users.id, auditLog.actorUserId))
      .where(and(eq(auditLog.orgId, orgId), isNotNull(auditLog.actorUserId)))
      .orderBy(asc(users.email)),
  ]);
  return {
    actions: actions.map((r) => r.action),
    targetTypes: targetTypes.map((r) => r.targetType),
    actors,
  };
}
