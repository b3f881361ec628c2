import type { Metadata } from "next";
import { PageHeader } from "@/components/ui";
import { DevicesView } from "./devices-view";

export const metadata: Metadata = { title: "Devices" };

export default function DevicesPage() {
  return (
    <>
      <PageHeader
        title="Devices"
        description="Edge agents enrolled in your organization, and the tokens that enroll new ones."
      />
      <DevicesView />
    </>
  );
}
