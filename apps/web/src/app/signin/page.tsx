import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { safeCallbackPath } from "@/lib/callback-url";
import { getSessionClaims } from "@/server/auth";
import { SignInAlternatives, SignInErrorFromUrl } from "../signup/signin-extras";
import { SignInForm } from "./signin-form";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<{ callbackUrl?: string; error?: string }>;
}) {
  const { callbackUrl, error } = await searchParams;
  const target = safeCallbackPath(callbackUrl);
  if (await getSessionClaims()) redirect(target);
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm">
        <div className="mb-6 text-center">
          <p className="text-2xl font-semibold tracking-tight">
            Edge<span className="text-emerald-600">Watt</span>
          </p>
          <h1 className="mt-2 text-sm text-slate-600">Sign in to your organization</h1>
        </div>
        <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
          <SignInErrorFromUrl error={error} />
          <SignInForm callbackUrl={target} />
          <SignInAlternatives callbackUrl={target} />
        </div>
        <p className="mt-4 text-center text-xs text-slate-500">
          First run? <code className="font-mono">pnpm --filter @edgewatt/web seed</code> prints the admin
          login.
        </p>
      </div>
    </main>
  );
}
