import type { Metadata } from "next";
import { NewPolicyView } from "./new-policy-view";

export const metadata: Metadata = { title: "New energy policy" };

export default function NewPolicyPage() {
  return <NewPolicyView />;
}
