"use client";

import { useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { Card, PageHeader } from "@/components/ui";
import { useTRPC } from "@/trpc/react";
import { ReadOnlyNote, useCanManagePolicies } from "../access";
import { PolicyForm } from "../policy-form";

export function NewPolicyView() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const canManage = useCanManagePolicies();
  return (
    <div className="flex flex-col gap-6">
      <div>
        <Link href="/policies" className="text-sm text-emerald-700 hover:underline">
          ← Policies
        </Link>
      </div>
      <PageHeader
        title="New energy policy"
        description="Nothing runs it until you attach it to a device group; each field says what agents do with it."
      />
      <Card>
        {canManage ? (
          <PolicyForm
            policy={null}
            onSaved={(saved) => {
              void queryClient.invalidateQueries({ queryKey: trpc.policies.list.queryKey() });
              router.push(`/policies/${saved.id}?created=1`);
            }}
          />
        ) : (
          <ReadOnlyNote what="policies" />
        )}
      </Card>
    </div>
  );
}
