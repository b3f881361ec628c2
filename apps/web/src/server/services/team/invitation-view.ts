import type { Invitation, InvitationWithPeople } from "@edgewatt/db";
import type { Role } from "@edgewatt/protocol";

export const INVITATION_STATES = ["pending", "accepted", "expired", "revoked"] as const;
export type InvitationState = (typeof INVITATION_STATES)[number];

/** What the team page shows about an invitation: everything but its hash. */
export interface InvitationView {
  id: string;
  email: string;
  role: Role;
  state: InvitationState;
  invitedByEmail: string | null;
  acceptedByEmail: string | null;
  expiresAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

/** Accepted and revoked are final; a pending invitation past its expiry is expired. */
export function invitationState(
  i: Pick<Invitation, "acceptedAt" | "revokedAt" | "expiresAt">,
  now: Date,
): InvitationState {
  if (i.acceptedAt !== null) return "accepted";
  if (i.revokedAt !== null) return "revoked";
  if (i.expiresAt.getTime() <= now.getTime()) return "expired";
  return "pending";
}

export function toInvitationView(
  i: Invitation & Partial<Pick<InvitationWithPeople, "invitedByEmail" | "acceptedByEmail">>,
  now: Date,
): InvitationView {
  return {
    id: i.id,
    email: i.email,
    role: i.role,
    state: invitationState(i, now),
    invitedByEmail: i.invitedByEmail ?? null,
    acceptedByEmail: i.acceptedByEmail ?? null,
    expiresAt: i.expiresAt,
    acceptedAt: i.acceptedAt,
    revokedAt: i.revokedAt,
    createdAt: i.createdAt,
  };
}
