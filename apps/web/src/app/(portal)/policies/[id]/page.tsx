import type { Metadata } from "next";
import { EditPolicyView } from "./edit-policy-view";

export const metadata: Metadata = { title: "Energy policy" };

export default async function PolicyPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ created?: string | string[] }>;
}) {
  const { id } = await params;
  const { created } = await searchParams;
  return <EditPolicyView policyId={id} created={created === "1"} />;
}
