import type { Member } from "@edgewatt/db";
import type { Role } from "@edgewatt/protocol";

export interface MemberView {
  userId: string;
  email: string;
  name: string | null;
  role: Role;
  joinedAt: Date;
  /** The signed-in user. */
  isYou: boolean;
}

export function toMemberView(m: Member, actorUserId: string): MemberView {
  return { ...m, isYou: m.userId === actorUserId };
}
