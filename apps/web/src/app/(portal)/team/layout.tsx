import type { ReactNode } from "react";
import { PageHeader } from "@/components/ui";
import { TeamTabs } from "./team-tabs";

export default function TeamLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <PageHeader
        title="Team"
        description="Who belongs to your organization, what they may do, and what everyone did."
      />
      <TeamTabs />
      {children}
    </>
  );
}
