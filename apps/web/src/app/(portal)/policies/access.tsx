"use client";

import { usePortalSession } from "@/components/session-context";

/** Admins and owners create and edit policies and groups; members and viewers read. The server enforces it. */
export function useCanManagePolicies(): boolean {
  const { role } = usePortalSession();
  return role === "owner" || role === "admin";
}

export function ReadOnlyNote({ what }: { what: string }) {
  const { role } = usePortalSession();
  return (
    <p className="text-sm text-slate-600">
      Your role ({role}) can see {what}; only admins and owners of your organization can change them.
    </p>
  );
}
