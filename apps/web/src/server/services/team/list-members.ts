import { type Db, findMembersByOrg } from "@edgewatt/db";
import type { Actor } from "../actor";
import { type MemberView, toMemberView } from "./member-view";

export interface ListMembersOptions {
  db: Db;
  actor: Actor;
}

/** Everyone in the actor's org with their roles, owners first. Every role may read it. */
export async function listMembers(opts: ListMembersOptions): Promise<MemberView[]> {
  const members = await findMembersByOrg(opts.db, opts.actor.orgId);
  return members.map((m) => toMemberView(m, opts.actor.userId));
}
