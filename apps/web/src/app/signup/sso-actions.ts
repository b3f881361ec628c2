"use server";

import { safeCallbackPath } from "@/lib/callback-url";
import { signIn } from "@/server/auth";
import { SSO_PROVIDER_ID } from "@/server/auth/oidc";

/** Starts single sign-on at the configured IdP; comes back to `callbackUrl` (a path on this site). */
export async function ssoSignInAction(callbackUrl: string): Promise<void> {
  await signIn(SSO_PROVIDER_ID, { redirectTo: safeCallbackPath(callbackUrl) });
}
