/**
 * What the sign-in page adds for the team domain: the message for a refused single sign-on (Auth.js sends
 * the browser back with `?error=`), the single sign-on button, and the link to sign up.
 */
import Link from "next/link";
import { ErrorBanner } from "@/components/ui";
import { accessEnv } from "@/env";
import { SsoButton } from "./sso-button";

const SSO_ERRORS: Record<string, string> = {
  sso_not_invited:
    "Single sign-on worked, but your email does not belong to any organization here and has no pending invitation. Ask an admin to invite your email address, then sign in again.",
  sso_email_unverified:
    "Your identity provider reports your email address as unverified. Verify it there, then sign in again.",
  sso_no_email:
    "Your identity provider did not share an email address. Ask your IT admin to release the email claim to EdgeWatt.",
  AccessDenied: "Sign-in was refused. Ask an admin of your organization to invite you.",
  OAuthAccountNotLinked:
    "This email already has an account that cannot be linked to single sign-on. Sign in with your password.",
};
const SSO_FAILED =
  "Single sign-on did not complete (the identity provider could not be reached or refused the request). Try again, or sign in with your password.";

/** The `?error=` message, or null when there is none. */
export function signInErrorMessage(error: string | undefined): string | null {
  if (!error) return null;
  return SSO_ERRORS[error] ?? SSO_FAILED;
}

export function SignInErrorFromUrl({ error }: { error: string | undefined }) {
  const message = signInErrorMessage(error);
  return message ? (
    <div className="mb-4">
      <ErrorBanner message={message} />
    </div>
  ) : null;
}

export function SignInAlternatives({ callbackUrl }: { callbackUrl: string }) {
  const env = accessEnv();
  return (
    <>
      {env.oidc ? (
        <div className="mt-4 flex flex-col gap-4">
          <p
            className="flex items-center gap-3 text-xs uppercase tracking-wide text-slate-400"
            aria-hidden="true"
          >
            <span className="h-px flex-1 bg-slate-200" />
            or
            <span className="h-px flex-1 bg-slate-200" />
          </p>
          <SsoButton callbackUrl={callbackUrl} />
        </div>
      ) : null}
      {env.signup === "open" ? (
        <p className="mt-4 text-center text-sm text-slate-600">
          New to EdgeWatt?{" "}
          <Link
            href="/signup"
            className="font-medium text-emerald-700 hover:underline"
            data-testid="signup-link"
          >
            Create an account
          </Link>
        </p>
      ) : null}
    </>
  );
}
