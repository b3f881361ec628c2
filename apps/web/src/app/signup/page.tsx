import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { Notice } from "@/components/ui";
import { accessEnv } from "@/env";
import { getSessionClaims } from "@/server/auth";
import { MIN_PASSWORD_LENGTH } from "@/server/services/auth/password";
import { SignUpForm } from "./signup-form";

export const metadata: Metadata = { title: "Create an account" };
export const dynamic = "force-dynamic";

export default async function SignUpPage() {
  if (await getSessionClaims()) redirect("/models");
  const open = accessEnv().signup === "open";
  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-10">
      <div className="w-full max-w-md">
        <div className="mb-6 text-center">
          <p className="text-2xl font-semibold tracking-tight">
            Edge<span className="text-emerald-600">Watt</span>
          </p>
          <h1 className="mt-2 text-sm text-slate-600">Create an account and a new organization</h1>
        </div>
        <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
          {open ? (
            <SignUpForm minPasswordLength={MIN_PASSWORD_LENGTH} />
          ) : (
            <Notice>
              Sign-up is closed on this portal. Ask an admin of your organization to invite you; the
              invitation link lets you create your account.
            </Notice>
          )}
        </div>
        <p className="mt-4 text-center text-sm text-slate-600">
          Already have an account?{" "}
          <Link href="/signin" className="font-medium text-emerald-700 hover:underline">
            Sign in
          </Link>
        </p>
      </div>
    </main>
  );
}
