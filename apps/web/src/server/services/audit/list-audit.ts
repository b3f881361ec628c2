import { type AuditCursor, type Db, findAudit, findUserSummaries } from "@edgewatt/db";
import { ServiceError } from "../../errors";
import { type Actor, requireRole } from "../actor";

export const AUDIT_PAGE_SIZE = 50;

export interface ListAuditOptions {
  db: Db;
  actor: Actor;
  action?: string;
  /** The user who acted. */
  actorUserId?: string;
  targetType?: string;
  /** Inclusive lower bound. */
  from?: Date;
  /** Exclusive upper bound. */
  to?: Date;
  /** Where the previous page ended. */
  cursor?: AuditCursor | null;
  /** 1..200, default 50. */
  limit?: number;
}

export interface AuditEntryView {
  id: number;
  createdAt: Date;
  action: string;
  targetType: string;
  targetId: string | null;
  actorUserId: string | null;
  /** The acting user's email, when the account still exists. */
  actorEmail: string | null;
  actorDeviceId: string | null;
  details: Record<string, unknown>;
}

export interface AuditPage {
  entries: AuditEntryView[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: AuditCursor | null;
}

/** The org's audit log, newest first, filtered and paged. Admins and owners only. */
export async function listAudit(opts: ListAuditOptions): Promise<AuditPage> {
  const { db, actor } = opts;
  requireRole(actor, "admin", "view the audit log");
  if (opts.from && opts.to && opts.from.getTime() >= opts.to.getTime()) {
    throw new ServiceError("BAD_REQUEST", "The start of the date range must be before its end.");
  }
  const limit = Math.min(Math.max(Math.trunc(opts.limit ?? AUDIT_PAGE_SIZE), 1), 200);
  // One more than the page: tells whether an older page exists without a count query.
  const rows = await findAudit(db, actor.orgId, {
    action: opts.action,
    actorUserId: opts.actorUserId,
    targetType: opts.targetType,
    since: opts.from,
    before: opts.to,
    cursor: opts.cursor ?? undefined,
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const users = await findUserSummaries(
    db,
    page.flatMap((r) => (r.actorUserId ? [r.actorUserId] : [])),
  );
  const emails = new Map(users.map((u) => [u.id, u.email]));
  const last = page.at(-1);
  return {
    entries: page.map((r) => ({
      id: r.id,
      createdAt: r.createdAt,
      action: r.action,
      targetType: r.targetType,
      targetId: r.targetId,
      actorUserId: r.actorUserId,
      actorEmail: r.actorUserId ? (emails.get(r.actorUserId) ?? null) : null,
      actorDeviceId: r.actorDeviceId,
      details: r.details,
    })),
    nextCursor: rows.length > limit && last ? { createdAt: last.createdAt, id: last.id } : null,
  };
}
