import type { Metadata } from "next";
import { PoliciesView } from "./policies-view";

export const metadata: Metadata = { title: "Energy policies" };

export default function PoliciesPage() {
  return <PoliciesView />;
}
