import type { Metadata } from "next";
import { PageHeader } from "@/components/ui";
import { RolloutsView } from "./rollouts-view";

export const metadata: Metadata = { title: "Deployments" };

export default function DeploymentsPage() {
  return (
    <>
      <PageHeader
        title="Deployments"
        description="Roll a model out to a device group in stages: a canary share first, watched for errors and energy against the devices' own baseline, then promoted to every device — or rolled back, by you or automatically."
      />
      <RolloutsView />
    </>
  );
}
