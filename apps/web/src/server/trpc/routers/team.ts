import { ROLES } from "@edgewatt/protocol";
import { z } from "zod";
import { changeMemberRole } from "../../services/team/change-member-role";
import {
  createInvitation,
  DEFAULT_INVITATION_DAYS,
  MAX_INVITATION_DAYS,
} from "../../services/team/create-invitation";
import { INVITATION_STATES } from "../../services/team/invitation-view";
import { listInvitations } from "../../services/team/list-invitations";
import { listMembers } from "../../services/team/list-members";
import { listMyOrganizations } from "../../services/team/list-my-organizations";
import { removeMember } from "../../services/team/remove-member";
import { revokeInvitation } from "../../services/team/revoke-invitation";
import { createTRPCRouter, protectedProcedure, writerProcedure } from "../init";

const ZId = z.string().min(1).max(64);
const ZRole = z.enum(ROLES, { message: `choose one of: ${ROLES.join(", ")}` });

export const ZCreateInvitationInput = z.object({
  email: z.email("enter a valid email address, like ann@example.com").max(320),
  role: ZRole,
  expiresInDays: z
    .number()
    .int("whole days only")
    .min(1, "an invitation must be valid for at least 1 day")
    .max(MAX_INVITATION_DAYS, `an invitation can be valid for at most ${MAX_INVITATION_DAYS} days`)
    .default(DEFAULT_INVITATION_DAYS),
});

/** Procedures of the team domain (services in src/server/services/team/). */
export const teamRouter = createTRPCRouter({
  members: protectedProcedure.query(({ ctx }) => listMembers({ db: ctx.db, actor: ctx.actor })),

  myOrganizations: protectedProcedure.query(({ ctx }) =>
    listMyOrganizations({ db: ctx.db, actor: ctx.actor }),
  ),

  changeRole: writerProcedure
    .input(z.object({ userId: ZId, role: ZRole }))
    .mutation(({ ctx, input }) => changeMemberRole({ db: ctx.db, actor: ctx.actor, ...input })),

  removeMember: writerProcedure
    .input(z.object({ userId: ZId }))
    .mutation(({ ctx, input }) => removeMember({ db: ctx.db, actor: ctx.actor, userId: input.userId })),

  invitations: protectedProcedure
    .input(z.object({ state: z.enum(INVITATION_STATES).optional() }).default({}))
    .query(({ ctx, input }) => listInvitations({ db: ctx.db, actor: ctx.actor, state: input.state })),

  invite: writerProcedure
    .input(ZCreateInvitationInput)
    .mutation(({ ctx, input }) =>
      createInvitation({ db: ctx.db, actor: ctx.actor, origin: ctx.origin, ...input }),
    ),

  revokeInvitation: writerProcedure
    .input(z.object({ invitationId: ZId }))
    .mutation(({ ctx, input }) =>
      revokeInvitation({ db: ctx.db, actor: ctx.actor, invitationId: input.invitationId }),
    ),
});
