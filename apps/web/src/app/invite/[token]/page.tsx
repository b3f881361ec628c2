import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { ErrorBanner } from "@/components/ui";
import { auth } from "@/server/auth";
import { getDb } from "@/server/db";
import { logServiceError, toServiceError } from "@/server/error-mapping";
import { MIN_PASSWORD_LENGTH } from "@/server/services/auth/password";
import { describeInvitation, type InvitationPreview } from "@/server/services/team/describe-invitation";
import { SsoButton } from "../../signup/sso-button";
import { acceptInvitationAction, acceptWithSignUpAction, signOutForInvitationAction } from "./actions";
import { AcceptForm, InviteSignUpForm } from "./invite-forms";

export const metadata: Metadata = { title: "Invitation" };
export const dynamic = "force-dynamic";

function Shell({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-10">
      <div className="w-full max-w-md">
        <div className="mb-6 text-center">
          <p className="text-2xl font-semibold tracking-tight">
            Edge<span className="text-emerald-600">Watt</span>
          </p>
          <h1 className="mt-2 text-sm text-slate-600" data-testid="invite-title">
            {title}
          </h1>
        </div>
        <div className="flex flex-col gap-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
          {children}
        </div>
      </div>
    </main>
  );
}

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  // Secrets are base64url, so the segment needs no decoding; anything else is simply unknown.
  const { token: secret } = await params;
  let preview: InvitationPreview;
  try {
    preview = await describeInvitation({ db: getDb(), secret });
  } catch (err) {
    const error = toServiceError(err);
    logServiceError("page:invite", error);
    return (
      <Shell title="This invitation cannot be used">
        <div data-testid="invite-problem">
          <ErrorBanner message={error.message} />
        </div>
        <p className="text-center text-sm text-slate-600">
          <Link href="/signin" className="font-medium text-emerald-700 hover:underline">
            Go to sign in
          </Link>
        </p>
      </Shell>
    );
  }

  const session = await auth();
  const userId = session?.claims?.userId ?? session?.userId;
  const signedInEmail = session?.user?.email?.toLowerCase() ?? null;
  const here = `/invite/${secret}`;
  const summary = (
    <p className="text-sm text-slate-700" data-testid="invite-summary">
      {preview.invitedBy ?? "An admin"} invited <strong>{preview.email}</strong> to join{" "}
      <strong>{preview.orgName}</strong> as <strong>{preview.role}</strong>. The invitation is valid until{" "}
      {preview.expiresAt.toISOString().slice(0, 16).replace("T", " ")} UTC.
    </p>
  );

  if (userId) {
    if (signedInEmail !== null && signedInEmail !== preview.email) {
      return (
        <Shell title={`Join ${preview.orgName}`}>
          {summary}
          <ErrorBanner
            message={`You are signed in as ${signedInEmail}, but this invitation is for ${preview.email}. Sign out, then open the link again as ${preview.email}.`}
          />
          <form action={signOutForInvitationAction.bind(null, secret)}>
            <button
              type="submit"
              className="w-full rounded-md border border-slate-300 bg-white px-3.5 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-slate-500"
            >
              Sign out
            </button>
          </form>
        </Shell>
      );
    }
    return (
      <Shell title={`Join ${preview.orgName}`}>
        {summary}
        <AcceptForm action={acceptInvitationAction.bind(null, secret)} orgName={preview.orgName} />
      </Shell>
    );
  }

  return (
    <Shell title={`Join ${preview.orgName}`}>
      {summary}
      {preview.hasAccount ? (
        <p className="text-sm text-slate-700">
          You already have an EdgeWatt account for {preview.email}.{" "}
          <Link
            href={`/signin?callbackUrl=${encodeURIComponent(here)}`}
            className="font-medium text-emerald-700 hover:underline"
            data-testid="invite-signin"
          >
            Sign in to accept
          </Link>
        </p>
      ) : (
        <InviteSignUpForm
          action={acceptWithSignUpAction.bind(null, secret)}
          email={preview.email}
          minPasswordLength={MIN_PASSWORD_LENGTH}
        />
      )}
      <SsoButton callbackUrl={here} />
    </Shell>
  );
}
