import { z } from "zod";
import { listAudit } from "../../services/audit/list-audit";
import { listAuditFacets } from "../../services/audit/list-audit-facets";
import { createTRPCRouter, protectedProcedure } from "../init";

const ZDay = z.iso.date("use a date like 2025-01-31");
const DAY_MS = 86_400_000;

export const ZListAuditInput = z.object({
  action: z.string().trim().min(1).max(100).optional(),
  actorUserId: z.string().min(1).max(64).optional(),
  targetType: z.string().trim().min(1).max(100).optional(),
  /** First day of the range (UTC), inclusive. */
  from: ZDay.optional(),
  /** Last day of the range (UTC), inclusive. */
  to: ZDay.optional(),
  limit: z.number().int().min(1).max(200).default(50),
  cursor: z.object({ createdAt: z.date(), id: z.number().int() }).nullish(),
});

/** Procedures of the audit domain (services in src/server/services/audit/). */
export const auditRouter = createTRPCRouter({
  list: protectedProcedure.input(ZListAuditInput).query(({ ctx, input }) =>
    listAudit({
      db: ctx.db,
      actor: ctx.actor,
      action: input.action,
      actorUserId: input.actorUserId,
      targetType: input.targetType,
      from: input.from ? new Date(`${input.from}T00:00:00Z`) : undefined,
      // The whole last day: up to the next midnight, exclusive.
      to: input.to ? new Date(Date.parse(`${input.to}T00:00:00Z`) + DAY_MS) : undefined,
      cursor: input.cursor,
      limit: input.limit,
    }),
  ),

  facets: protectedProcedure.query(({ ctx }) => listAuditFacets({ db: ctx.db, actor: ctx.actor })),
});
