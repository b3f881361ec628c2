"use client";

import type { Role } from "@edgewatt/protocol";
import { createContext, type ReactNode, useContext } from "react";

export interface PortalSession {
  orgName: string;
  role: Role;
  email: string | null;
}

const SessionContext = createContext<PortalSession | null>(null);

export function PortalSessionProvider({ value, children }: { value: PortalSession; children: ReactNode }) {
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function usePortalSession(): PortalSession {
  const value = useContext(SessionContext);
  if (!value) throw new Error("usePortalSession must be used inside the portal layout");
  return value;
}

/** Viewers can read but not change anything; the server enforces it, this only shapes the UI. */
export function useCanWrite(): boolean {
  return usePortalSession().role !== "viewer";
}
