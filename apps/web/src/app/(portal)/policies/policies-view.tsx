"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Card, EmptyState, ErrorBanner, Loading, PageHeader, Table, Td, Th } from "@/components/ui";
import { formatDateTime, formatRelative } from "@/lib/format";
import { errorMessage, useTRPC } from "@/trpc/react";
import { ReadOnlyNote, useCanManagePolicies } from "./access";
import { ModeBadge } from "./mode-badge";

const LINK_BUTTON =
  "inline-flex items-center justify-center rounded-md px-3.5 py-2 text-sm font-medium focus-visible:outline-2 focus-visible:outline-offset-2";

export function PoliciesView() {
  const trpc = useTRPC();
  const canManage = useCanManagePolicies();
  const policies = useQuery(trpc.policies.list.queryOptions());
  return (
    <>
      <PageHeader
        title="Energy policies"
        description="How agents choose a variant and threads for each request. Attach a policy to a device group; deployments to the group's devices follow it, including later edits."
        actions={
          <>
            <Link
              href="/policies/groups"
              className={`${LINK_BUTTON} border border-slate-300 bg-white text-slate-800 hover:bg-slate-50 focus-visible:outline-slate-500`}
              data-testid="groups-link"
            >
              Device groups
            </Link>
            {canManage ? (
              <Link
                href="/policies/new"
                className={`${LINK_BUTTON} bg-emerald-600 text-white hover:bg-emerald-700 focus-visible:outline-emerald-600`}
                data-testid="policy-new"
              >
                New policy
              </Link>
            ) : null}
          </>
        }
      />
      <Card title="Policies">
        <div className="flex flex-col gap-4">
          {canManage ? null : <ReadOnlyNote what="policies" />}
          {policies.isPending ? (
            <Loading what="policies" />
          ) : policies.isError ? (
            <ErrorBanner
              title="Could not load policies"
              message={errorMessage(policies.error)}
              onRetry={() => policies.refetch()}
            />
          ) : policies.data.length === 0 ? (
            <EmptyState title="No energy policies yet" data-testid="policies-empty">
              {canManage
                ? "Create one with New policy, then attach it to a device group under Device groups."
                : "An admin of your organization can create one; it will show up here."}
            </EmptyState>
          ) : (
            <Table caption="Energy policies">
              <thead>
                <tr>
                  <Th>Name</Th>
                  <Th>Mode</Th>
                  <Th className="text-right">Version</Th>
                  <Th>Groups</Th>
                  <Th>Updated</Th>
                </tr>
              </thead>
              <tbody>
                {policies.data.map((p) => (
                  <tr key={p.id} data-testid="policy-row">
                    <Td>
                      <Link
                        href={`/policies/${p.id}`}
                        className="font-medium text-emerald-700 hover:underline"
                      >
                        {p.name}
                      </Link>
                      {p.description ? <div className="text-xs text-slate-500">{p.description}</div> : null}
                    </Td>
                    <Td>
                      <ModeBadge mode={p.mode} />
                    </Td>
                    <Td className="text-right tabular-nums">v{p.version}</Td>
                    <Td className="text-sm">
                      {p.groups.length === 0 ? (
                        <span className="text-slate-400">not attached</span>
                      ) : (
                        p.groups.map((g) => g.name).join(", ")
                      )}
                    </Td>
                    <Td className="whitespace-nowrap text-slate-600">
                      <span title={formatDateTime(p.updatedAt)}>{formatRelative(p.updatedAt)}</span>
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </div>
      </Card>
    </>
  );
}
