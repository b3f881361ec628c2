import { z } from "zod";
import { createGroup } from "../../services/groups/create-group";
import { deleteGroup } from "../../services/groups/delete-group";
import { listGroups } from "../../services/groups/list-groups";
import { moveDevices } from "../../services/groups/move-devices";
import { renameGroup } from "../../services/groups/rename-group";
import { setGroupPolicy } from "../../services/groups/set-group-policy";
import { createTRPCRouter, protectedProcedure, writerProcedure } from "../init";

const ZId = z.string().min(1).max(64);
export const ZGroupName = z
  .string()
  .trim()
  .min(1, "give the group a name")
  .max(80, "a group name is at most 80 characters");

/** Procedures of the groups domain (services in src/server/services/groups/). */
export const groupsRouter = createTRPCRouter({
  list: protectedProcedure.query(({ ctx }) => listGroups({ db: ctx.db, actor: ctx.actor })),

  create: writerProcedure
    .input(z.object({ name: ZGroupName }))
    .mutation(({ ctx, input }) => createGroup({ db: ctx.db, actor: ctx.actor, name: input.name })),

  rename: writerProcedure
    .input(z.object({ groupId: ZId, name: ZGroupName }))
    .mutation(({ ctx, input }) => renameGroup({ db: ctx.db, actor: ctx.actor, ...input })),

  delete: writerProcedure
    .input(z.object({ groupId: ZId }))
    .mutation(({ ctx, input }) =>
      deleteGroup({ db: ctx.db, nats: ctx.nats, actor: ctx.actor, groupId: input.groupId }),
    ),

  setPolicy: writerProcedure
    .input(z.object({ groupId: ZId, policyId: ZId.nullable() }))
    .mutation(({ ctx, input }) => setGroupPolicy({ db: ctx.db, nats: ctx.nats, actor: ctx.actor, ...input })),

  moveDevices: writerProcedure
    .input(
      z.object({
        deviceIds: z
          .array(ZId)
          .min(1, "choose at least one device")
          .max(500, "move at most 500 devices at a time")
          .refine((ids) => new Set(ids).size === ids.length, "each device may be listed once"),
        groupId: ZId.nullable(),
      }),
    )
    .mutation(({ ctx, input }) => moveDevices({ db: ctx.db, actor: ctx.actor, ...input })),
});
