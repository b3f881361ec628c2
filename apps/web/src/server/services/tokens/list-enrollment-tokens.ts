import { type Db, findTokensByOrg } from "@edgewatt/db";
import type { Actor } from "../actor";
import { type TokenView, toTokenView } from "./token-view";

export interface ListEnrollmentTokensOptions {
  db: Db;
  actor: Actor;
  now?: Date;
}

/** The org's enrollment tokens, newest first, without their hashes. */
export async function listEnrollmentTokens(opts: ListEnrollmentTokensOptions): Promise<TokenView[]> {
  const now = opts.now ?? new Date();
  const rows = await findTokensByOrg(opts.db, opts.actor.orgId);
  return rows.map((t) => toTokenView(t, now));
}
