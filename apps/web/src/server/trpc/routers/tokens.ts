import { z } from "zod";
import { createEnrollmentToken } from "../../services/tokens/create-enrollment-token";
import { listEnrollmentTokens } from "../../services/tokens/list-enrollment-tokens";
import { revokeEnrollmentToken } from "../../services/tokens/revoke-enrollment-token";
import { createTRPCRouter, protectedProcedure, writerProcedure } from "../init";

export const ZCreateTokenInput = z.object({
  label: z
    .string()
    .trim()
    .max(80, "a label is at most 80 characters")
    .optional()
    .transform((v) => (v ? v : null)),
  expiresInHours: z
    .number()
    .int("whole hours only")
    .min(1, "a token must live at least 1 hour")
    .max(720, "a token can live at most 720 hours (30 days)"),
  maxUses: z.number().int("whole uses only").min(1, "at least 1 use").max(1000, "at most 1000 uses"),
  groupId: z.string().min(1).max(64).nullable().optional(),
});

export const tokensRouter = createTRPCRouter({
  list: protectedProcedure.query(({ ctx }) => listEnrollmentTokens({ db: ctx.db, actor: ctx.actor })),

  create: writerProcedure
    .input(ZCreateTokenInput)
    .mutation(({ ctx, input }) =>
      createEnrollmentToken({ db: ctx.db, actor: ctx.actor, serverUrl: ctx.origin, ...input }),
    ),

  revoke: writerProcedure
    .input(z.object({ tokenId: z.string().min(1).max(64) }))
    .mutation(({ ctx, input }) =>
      revokeEnrollmentToken({ db: ctx.db, actor: ctx.actor, tokenId: input.tokenId }),
    ),
});
