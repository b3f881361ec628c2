import type { Metadata } from "next";
import { ModelDetailView } from "./model-detail-view";

export const metadata: Metadata = { title: "Model" };

export default async function ModelPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <ModelDetailView modelId={id} />;
}
