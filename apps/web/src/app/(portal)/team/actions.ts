"use server";

import { redirect } from "next/navigation";
import { auth, updateSessionOrg } from "@/server/auth";
import { getDb } from "@/server/db";
import { logServiceError, toServiceError } from "@/server/error-mapping";
import { switchSessionOrg } from "@/server/services/team/session-org";

/** Moves the session to another org the user belongs to; returns a message when it cannot. */
export async function switchOrganizationAction(orgId: string): Promise<{ error: string } | undefined> {
  const session = await auth();
  const userId = session?.claims?.userId;
  if (!userId) return { error: "You are not signed in any more; sign in again." };
  try {
    await switchSessionOrg({ db: getDb(), userId, orgId });
    await updateSessionOrg(orgId);
  } catch (err) {
    const error = toServiceError(err);
    logServiceError("action:switch-org", error);
    return { error: error.message };
  }
  redirect("/models");
}
