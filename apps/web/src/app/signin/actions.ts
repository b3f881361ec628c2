"use server";

import { AuthError, CredentialsSignin } from "next-auth";
import { safeCallbackPath } from "@/lib/callback-url";
import { signIn } from "@/server/auth";

export interface SignInState {
  error: string | null;
  email: string;
}

const MESSAGES: Record<string, string> = {
  invalid_credentials: "The email or password is incorrect.",
  rate_limited:
    "Too many failed sign-in attempts for this email from your network. Wait 15 minutes and try again.",
  no_organization: "Your account does not belong to any organization yet; ask an admin to add you.",
};

export async function signInAction(_prev: SignInState, formData: FormData): Promise<SignInState> {
  const email = String(formData.get("email") ?? "").trim();
  const password = String(formData.get("password") ?? "");
  if (!email || !password) return { error: "Enter your email and password.", email };
  try {
    await signIn("credentials", {
      email,
      password,
      redirectTo: safeCallbackPath(formData.get("callbackUrl")),
    });
    return { error: null, email };
  } catch (err) {
    // signIn redirects by throwing; only Auth.js errors are ours to handle.
    if (!(err instanceof AuthError)) throw err;
    if (err instanceof CredentialsSignin) {
      return { error: MESSAGES[err.code] ?? MESSAGES.invalid_credentials!, email };
    }
    return { error: "Sign-in is unavailable right now (server error). Try again in a moment.", email };
  }
}
