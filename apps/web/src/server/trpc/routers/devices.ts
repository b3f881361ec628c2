import { z } from "zod";
import { getDeviceDetail } from "../../services/devices/get-device";
import { listDevices } from "../../services/devices/list-devices";
import { revokeDevice } from "../../services/devices/revoke-device";
import { createTRPCRouter, protectedProcedure, writerProcedure } from "../init";

const ZId = z.string().min(1).max(64);

export const devicesRouter = createTRPCRouter({
  list: protectedProcedure.query(({ ctx }) => listDevices({ db: ctx.db, actor: ctx.actor })),

  get: protectedProcedure
    .input(z.object({ deviceId: ZId, sampleLimit: z.number().int().min(1).max(500).default(50) }))
    .query(({ ctx, input }) => getDeviceDetail({ db: ctx.db, actor: ctx.actor, ...input })),

  revoke: writerProcedure.input(z.object({ deviceId: ZId })).mutation(async ({ ctx, input }) =>
    revokeDevice({
      db: ctx.db,
      nc: await ctx.nats(),
      natsAuth: ctx.natsAuth?.() ?? null,
      actor: ctx.actor,
      deviceId: input.deviceId,
    }),
  ),
});
