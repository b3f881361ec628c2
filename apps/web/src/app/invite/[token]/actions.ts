"use server";

import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { AuthError } from "next-auth";
import { auth, clientIp, signIn, signOut, updateSessionOrg } from "@/server/auth";
import { getDb } from "@/server/db";
import { logServiceError, toServiceError } from "@/server/error-mapping";
import { acceptInvitation } from "@/server/services/team/accept-invitation";
import { acceptInvitationWithSignUp } from "@/server/services/team/accept-invitation-with-sign-up";
import { signUpLimiter } from "@/server/services/team/sign-up-limiter";
import { fieldErrors, ZInviteSignUpForm } from "../../signup/form-schema";

export interface InviteActionState {
  error: string | null;
  fields: Record<string, string>;
  name: string;
}

function failure(where: string, err: unknown, name = ""): InviteActionState {
  const error = toServiceError(err);
  logServiceError(where, error);
  return { error: error.message, fields: {}, name };
}

/** The signed-in user joins the org, and the session moves to it. */
export async function acceptInvitationAction(
  token: string,
  _prev: InviteActionState,
  _formData: FormData,
): Promise<InviteActionState> {
  const session = await auth();
  const userId = session?.claims?.userId ?? session?.userId;
  if (!userId) return { error: "You are not signed in any more; reload the page.", fields: {}, name: "" };
  try {
    const accepted = await acceptInvitation({ db: getDb(), userId, secret: token });
    await updateSessionOrg(accepted.orgId);
  } catch (err) {
    return failure("action:invite-accept", err);
  }
  redirect("/models");
}

/** A visitor creates their account from the invitation, joins, and is signed in. */
export async function acceptWithSignUpAction(
  token: string,
  _prev: InviteActionState,
  formData: FormData,
): Promise<InviteActionState> {
  const raw = { name: String(formData.get("name") ?? ""), password: String(formData.get("password") ?? "") };
  const parsed = ZInviteSignUpForm.safeParse(raw);
  if (!parsed.success) return { error: null, fields: fieldErrors(parsed.error), name: raw.name };
  let email: string;
  try {
    const accepted = await acceptInvitationWithSignUp({
      db: getDb(),
      limiter: signUpLimiter(),
      ip: clientIp(await headers()),
      secret: token,
      ...parsed.data,
    });
    email = accepted.email;
  } catch (err) {
    return failure("action:invite-signup", err, raw.name);
  }
  try {
    await signIn("credentials", { email, password: parsed.data.password, redirectTo: "/models" });
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    return {
      error:
        "Your account was created and you joined the organization, but signing in failed. Sign in with your new password.",
      fields: {},
      name: raw.name,
    };
  }
  return { error: null, fields: {}, name: raw.name };
}

/** Signed in as someone else: sign out and come back to the invitation. */
export async function signOutForInvitationAction(token: string): Promise<void> {
  await signOut({ redirectTo: `/invite/${encodeURIComponent(token)}` });
}
