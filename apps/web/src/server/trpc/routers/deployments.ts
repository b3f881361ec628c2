import { z } from "zod";
import { createDeployment } from "../../services/deployments/create-deployment";
import { listDeployments } from "../../services/deployments/list-deployments";
import { promoteRollout, rollBackRollout } from "../../services/rollouts/finish-rollout";
import { listRollouts } from "../../services/rollouts/list-rollouts";
import { getRolloutOptions } from "../../services/rollouts/rollout-options";
import { startRollout } from "../../services/rollouts/start-rollout";
import { createTRPCRouter, protectedProcedure, writerProcedure } from "../init";

const ZId = z.string().min(1).max(64);

export const deploymentsRouter = createTRPCRouter({
  list: protectedProcedure
    .input(z.object({ activeOnly: z.boolean().default(false) }).default({ activeOnly: false }))
    .query(({ ctx, input }) =>
      listDeployments({ db: ctx.db, actor: ctx.actor, activeOnly: input.activeOnly }),
    ),

  create: writerProcedure
    .input(z.object({ modelId: ZId, deviceId: ZId, variantName: z.string().trim().min(1).max(64) }))
    .mutation(async ({ ctx, input }) =>
      createDeployment({ db: ctx.db, nc: await ctx.nats(), actor: ctx.actor, ...input }),
    ),

  rollouts: protectedProcedure.query(({ ctx }) => listRollouts({ db: ctx.db, actor: ctx.actor })),

  rolloutOptions: protectedProcedure.query(({ ctx }) => getRolloutOptions({ db: ctx.db, actor: ctx.actor })),

  startRollout: writerProcedure
    .input(
      z.object({
        modelId: z.string().min(1).max(64),
        groupId: z.string().min(1).max(64),
        variantName: z.string().trim().min(1).max(64),
        canaryPct: z.number().int("whole percent").min(1, "at least 1 %").max(100, "at most 100 %"),
        maxErrorRate: z.number().min(0, "0 to 1").max(1, "0 to 1").optional(),
        maxEnergyRegressionPct: z.number().min(0, "at least 0 %").max(1000, "at most 1000 %").optional(),
        minCanarySamples: z.number().int().min(1).max(1_000_000).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) =>
      startRollout({ db: ctx.db, nc: await ctx.nats(), actor: ctx.actor, ...input }),
    ),

  promoteRollout: writerProcedure
    .input(z.object({ rolloutId: z.string().min(1).max(64) }))
    .mutation(async ({ ctx, input }) =>
      promoteRollout({ db: ctx.db, nc: await ctx.nats(), actor: ctx.actor, rolloutId: input.rolloutId }),
    ),

  rollBackRollout: writerProcedure
    .input(z.object({ rolloutId: z.string().min(1).max(64), reason: z.string().trim().max(200).optional() }))
    .mutation(async ({ ctx, input }) =>
      rollBackRollout({ db: ctx.db, nc: await ctx.nats(), actor: ctx.actor, ...input }),
    ),
});
