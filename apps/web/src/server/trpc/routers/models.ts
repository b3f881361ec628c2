import { z } from "zod";
import { getModelDetail } from "../../services/models/get-model";
import { listModels } from "../../services/models/list-models";
import { startOptimization } from "../../services/models/start-optimization";
import { DEFAULT_RECIPE } from "../../services/models/upload-model";
import { createTRPCRouter, protectedProcedure, writerProcedure } from "../init";

const ZId = z.string().min(1).max(64);

export const modelsRouter = createTRPCRouter({
  list: protectedProcedure.query(({ ctx }) => listModels({ db: ctx.db, actor: ctx.actor })),

  get: protectedProcedure
    .input(z.object({ modelId: ZId }))
    .query(({ ctx, input }) => getModelDetail({ db: ctx.db, actor: ctx.actor, modelId: input.modelId })),

  startOptimization: writerProcedure
    .input(
      z.object({
        modelId: ZId,
        recipe: z.array(z.string().trim().min(1).max(64)).min(1).max(16).default(DEFAULT_RECIPE),
      }),
    )
    .mutation(async ({ ctx, input }) =>
      startOptimization({ db: ctx.db, nc: await ctx.nats(), actor: ctx.actor, ...input }),
    ),
});
