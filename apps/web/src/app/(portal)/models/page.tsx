import type { Metadata } from "next";
import { PageHeader } from "@/components/ui";
import { serverEnv } from "@/env";
import { ModelsView } from "./models-view";

export const metadata: Metadata = { title: "Models" };

export default function ModelsPage() {
  return (
    <>
      <PageHeader
        title="Models"
        description="Upload ONNX models; each one is inspected and optimized into a ladder of variants you can deploy to devices."
      />
      <ModelsView maxUploadBytes={serverEnv().maxUploadBytes} />
    </>
  );
}
