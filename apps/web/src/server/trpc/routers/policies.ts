import { z } from "zod";
import { createPolicy } from "../../services/policies/create-policy";
import { deletePolicy } from "../../services/policies/delete-policy";
import { getPolicy } from "../../services/policies/get-policy";
import { listPolicies } from "../../services/policies/list-policies";
import { ZPolicyDraft } from "../../services/policies/policy-input";
import { updatePolicy } from "../../services/policies/update-policy";
import { createTRPCRouter, protectedProcedure, writerProcedure } from "../init";

const ZId = z.string().min(1).max(64);

/** Procedures of the policies domain (services in src/server/services/policies/). */
export const policiesRouter = createTRPCRouter({
  list: protectedProcedure.query(({ ctx }) => listPolicies({ db: ctx.db, actor: ctx.actor })),

  get: protectedProcedure
    .input(z.object({ policyId: ZId }))
    .query(({ ctx, input }) => getPolicy({ db: ctx.db, actor: ctx.actor, policyId: input.policyId })),

  create: writerProcedure
    .input(ZPolicyDraft)
    .mutation(({ ctx, input }) => createPolicy({ db: ctx.db, actor: ctx.actor, draft: input })),

  update: writerProcedure
    .input(z.object({ policyId: ZId, expectedVersion: z.number().int().min(1).optional() }).and(ZPolicyDraft))
    .mutation(({ ctx, input }) => {
      const { policyId, expectedVersion, ...draft } = input;
      return updatePolicy({
        db: ctx.db,
        nats: ctx.nats,
        actor: ctx.actor,
        policyId,
        draft,
        ...(expectedVersion === undefined ? {} : { expectedVersion }),
      });
    }),

  delete: writerProcedure
    .input(z.object({ policyId: ZId }))
    .mutation(({ ctx, input }) => deletePolicy({ db: ctx.db, actor: ctx.actor, policyId: input.policyId })),
});
