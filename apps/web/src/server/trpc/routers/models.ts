import { z } from "zod";
import { cancelOptimization } from "../../services/models/cancel-optimization";
import { getModelDetail } from "../../services/models/get-model";
import { listModels } from "../../services/models/list-models";
import { listOptimizationPasses } from "../../services/models/list-passes";
import { retryOptimization } from "../../services/models/retry-optimization";
import { startOptimization } from "../../services/models/start-optimization";
import { DEFAULT_RECIPE } from "../../services/models/upload-model";
import { DATASET_KINDS, removeModelData } from "../../services/models/upload-model-data";
import { createTRPCRouter, protectedProcedure, writerProcedure } from "../init";

const ZId = z.string().min(1).max(64);

const ZJobSettings = z
  .object({
    goal: z
      .object({
        maxAccuracyDrop: z.number().min(0).max(100).optional(),
        maxFidelityLoss: z.number().min(0).max(2).optional(),
      })
      .optional(),
    calibration: z.enum(["minmax", "percentile", "entropy"]).optional(),
  })
  .default({});

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
        settings: ZJobSettings,
      }),
    )
    .mutation(async ({ ctx, input }) =>
      startOptimization({ db: ctx.db, nc: await ctx.nats(), actor: ctx.actor, ...input }),
    ),

  removeData: writerProcedure
    .input(z.object({ modelId: ZId, kind: z.enum(DATASET_KINDS) }))
    .mutation(async ({ ctx, input }) =>
      removeModelData({ db: ctx.db, nc: await ctx.nats(), actor: ctx.actor, ...input }),
    ),

  passes: protectedProcedure.query(({ ctx }) => listOptimizationPasses({ actor: ctx.actor })),

  cancelJob: writerProcedure
    .input(z.object({ jobId: ZId }))
    .mutation(({ ctx, input }) => cancelOptimization({ db: ctx.db, actor: ctx.actor, jobId: input.jobId })),

  retryJob: writerProcedure
    .input(z.object({ jobId: ZId }))
    .mutation(async ({ ctx, input }) =>
      retryOptimization({ db: ctx.db, nc: await ctx.nats(), actor: ctx.actor, jobId: input.jobId }),
    ),
});
