"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Badge, Button, Card, Dl, ErrorBanner, Loading, PageHeader } from "@/components/ui";
import { formatDateTime, formatRelative } from "@/lib/format";
import type { RouterOutputs } from "@/server/trpc/root";
import { errorMessage, useTRPC } from "@/trpc/react";
import { ReadOnlyNote, useCanManagePolicies } from "../access";
import { ModeBadge } from "../mode-badge";
import { PolicyForm } from "../policy-form";
import { PolicySummary } from "../policy-summary";

type Policy = RouterOutputs["policies"]["get"];

export function EditPolicyView({ policyId, created }: { policyId: string; created: boolean }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.policies.get.queryOptions({ policyId }));

  if (query.isPending) return <Loading what="the policy" />;
  if (query.isError) {
    return (
      <div className="flex flex-col gap-4">
        <ErrorBanner
          title="Could not load this policy"
          message={errorMessage(query.error)}
          onRetry={() => query.refetch()}
        />
        <Link href="/policies" className="text-sm text-emerald-700 hover:underline">
          ← Back to policies
        </Link>
      </div>
    );
  }
  return <PolicyDetail policy={query.data} created={created} />;
}

function PolicyDetail({ policy, created }: { policy: Policy; created: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const canManage = useCanManagePolicies();
  const [saved, setSaved] = useState<number | null>(null);
  const remove = useMutation(
    trpc.policies.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.policies.list.queryKey() });
        router.push("/policies");
      },
    }),
  );
  const attached = policy.groups.length > 0;
  return (
    <div className="flex flex-col gap-6">
      <div>
        <Link href="/policies" className="text-sm text-emerald-700 hover:underline">
          ← Policies
        </Link>
      </div>
      <PageHeader
        title={policy.name}
        description={policy.description ?? undefined}
        actions={
          canManage ? (
            <Button
              variant="danger"
              busy={remove.isPending}
              disabled={attached}
              title={attached ? "Attach another policy (or none) to its groups first" : undefined}
              onClick={() => remove.mutate({ policyId: policy.id })}
              data-testid="policy-delete"
            >
              Delete policy
            </Button>
          ) : null
        }
      />
      {created || saved !== null ? (
        <output
          className="block rounded-md border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900"
          data-testid="policy-saved"
        >
          {created && saved === null ? "Policy created" : `Saved as version ${saved}`}
          {attached
            ? `; published to ${policy.groups.map((g) => g.name).join(", ")}.`
            : ". Attach it to a device group under Device groups so devices run it."}
        </output>
      ) : null}
      {remove.isError ? <ErrorBanner title="Not deleted" message={errorMessage(remove.error)} /> : null}
      <Card title="Overview">
        <Dl
          items={[
            { term: "Mode", value: <ModeBadge mode={policy.mode} /> },
            { term: "Version", value: <span data-testid="policy-version">v{policy.version}</span> },
            {
              term: "Updated",
              value: <span title={formatDateTime(policy.updatedAt)}>{formatRelative(policy.updatedAt)}</span>,
            },
            {
              term: "Groups",
              value: attached ? (
                <span className="flex flex-wrap gap-1">
                  {policy.groups.map((g) => (
                    <Badge key={g.id} tone="blue">
                      {g.name}
                    </Badge>
                  ))}
                </span>
              ) : (
                <Link href="/policies/groups" className="text-emerald-700 hover:underline">
                  Not attached — attach it to a group
                </Link>
              ),
            },
          ]}
        />
      </Card>
      <Card title={canManage ? "Edit" : "Settings"}>
        {canManage ? (
          <PolicyForm
            // After a save the form starts again from the stored revision (and its version).
            key={policy.version}
            policy={policy}
            onSaved={(next) => {
              setSaved(next.version);
              queryClient.setQueryData(trpc.policies.get.queryKey({ policyId: policy.id }), next);
              void queryClient.invalidateQueries({ queryKey: trpc.policies.list.queryKey() });
              void queryClient.invalidateQueries({ queryKey: trpc.groups.list.queryKey() });
            }}
          />
        ) : (
          <div className="flex flex-col gap-4">
            <ReadOnlyNote what="this policy" />
            <PolicySummary policy={policy} />
          </div>
        )}
      </Card>
    </div>
  );
}
