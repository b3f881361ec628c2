"use server";

import { headers } from "next/headers";
import { AuthError } from "next-auth";
import { accessEnv } from "@/env";
import { clientIp, signIn } from "@/server/auth";
import { getDb } from "@/server/db";
import { logServiceError, toServiceError } from "@/server/error-mapping";
import { signUp } from "@/server/services/team/sign-up";
import { signUpLimiter } from "@/server/services/team/sign-up-limiter";
import { fieldErrors, ZSignUpForm } from "./form-schema";

export interface SignUpState {
  error: string | null;
  fields: Record<string, string>;
  values: { name: string; email: string; orgName: string };
}

export async function signUpAction(_prev: SignUpState, formData: FormData): Promise<SignUpState> {
  const raw = {
    name: String(formData.get("name") ?? ""),
    email: String(formData.get("email") ?? "").trim(),
    password: String(formData.get("password") ?? ""),
    orgName: String(formData.get("orgName") ?? ""),
  };
  const values = { name: raw.name, email: raw.email, orgName: raw.orgName };
  const parsed = ZSignUpForm.safeParse(raw);
  if (!parsed.success) return { error: null, fields: fieldErrors(parsed.error), values };

  try {
    await signUp({
      db: getDb(),
      signup: accessEnv().signup,
      limiter: signUpLimiter(),
      ip: clientIp(await headers()),
      ...parsed.data,
    });
  } catch (err) {
    const error = toServiceError(err);
    logServiceError("action:signup", error);
    return { error: error.message, fields: {}, values };
  }

  try {
    // Redirects (by throwing) on success.
    await signIn("credentials", {
      email: parsed.data.email,
      password: parsed.data.password,
      redirectTo: "/models",
    });
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    return {
      error:
        "Your account and organization were created, but signing in failed. Sign in with your new email and password.",
      fields: {},
      values,
    };
  }
  return { error: null, fields: {}, values };
}
