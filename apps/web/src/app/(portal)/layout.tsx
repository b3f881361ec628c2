import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { NavBar } from "@/components/nav-bar";
import { PortalSessionProvider } from "@/components/session-context";
import { auth } from "@/server/auth";
import { signOutAction } from "./actions";

/** Every portal page: signed-in only (the middleware redirects too; this is the server-side guard). */
export default async function PortalLayout({ children }: { children: ReactNode }) {
  const session = await auth();
  const claims = session?.claims;
  if (!claims) redirect("/signin");
  const email = session?.user?.email ?? null;
  return (
    <PortalSessionProvider value={{ orgName: claims.orgName, role: claims.role, email }}>
      <NavBar orgName={claims.orgName} email={email} role={claims.role} signOut={signOutAction} />
      <main className="mx-auto max-w-6xl px-4 py-8">{children}</main>
    </PortalSessionProvider>
  );
}
