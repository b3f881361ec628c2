import { z } from "zod";
import { createDeployment } from "../../services/deployments/create-deployment";
import { listDeployments } from "../../services/deployments/list-deployments";
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
});
