"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useId, useState } from "react";
import { PresenceBadge } from "@/components/status-badges";
import {
  Button,
  Card,
  EmptyState,
  ErrorBanner,
  Field,
  Input,
  Loading,
  PageHeader,
  Select,
  Table,
  Td,
  Th,
} from "@/components/ui";
import type { RouterOutputs } from "@/server/trpc/root";
import { errorMessage, useTRPC } from "@/trpc/react";
import { ReadOnlyNote, useCanManagePolicies } from "../access";
import { ModeBadge } from "../mode-badge";

type Group = RouterOutputs["groups"]["list"][number];
type Policy = RouterOutputs["policies"]["list"][number];

export function GroupsView() {
  return (
    <div className="flex flex-col gap-6">
      <div>
        <Link href="/policies" className="text-sm text-emerald-700 hover:underline">
          ← Policies
        </Link>
      </div>
      <PageHeader
        title="Device groups"
        description="Group devices and attach an energy policy to each group. Deployments to a group's devices follow its policy, and later edits of the policy reach them live."
      />
      <GroupsCard />
      <MembershipCard />
    </div>
  );
}

function useInvalidateGroups() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.groups.list.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.policies.list.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.devices.list.queryKey() }),
    ]);
}

function GroupsCard() {
  const trpc = useTRPC();
  const canManage = useCanManagePolicies();
  const invalidate = useInvalidateGroups();
  const groups = useQuery(trpc.groups.list.queryOptions());
  const policies = useQuery(trpc.policies.list.queryOptions());
  const setPolicy = useMutation(trpc.groups.setPolicy.mutationOptions({ onSuccess: invalidate }));
  const remove = useMutation(trpc.groups.delete.mutationOptions({ onSuccess: invalidate }));
  const [renaming, setRenaming] = useState<string | null>(null);
  const actionError = setPolicy.error ?? remove.error;

  return (
    <Card title="Groups" description="A group can be deleted once no device is left in it.">
      <div className="flex flex-col gap-6">
        {canManage ? <CreateGroupForm onCreated={invalidate} /> : <ReadOnlyNote what="groups" />}
        {actionError ? (
          <ErrorBanner
            title={setPolicy.isError ? "Policy not changed" : "Group not deleted"}
            message={errorMessage(actionError)}
          />
        ) : null}
        {groups.isPending ? (
          <Loading what="groups" />
        ) : groups.isError ? (
          <ErrorBanner
            title="Could not load groups"
            message={errorMessage(groups.error)}
            onRetry={() => groups.refetch()}
          />
        ) : groups.data.length === 0 ? (
          <EmptyState title="No device groups yet" data-testid="groups-empty">
            {canManage
              ? "Create one above, move devices into it below, then attach a policy."
              : "An admin of your organization can create one; it will show up here."}
          </EmptyState>
        ) : (
          <Table caption="Device groups">
            <thead>
              <tr>
                <Th>Name</Th>
                <Th className="text-right">Devices</Th>
                <Th>Policy</Th>
                <Th>
                  <span className="sr-only">Actions</span>
                </Th>
              </tr>
            </thead>
            <tbody>
              {groups.data.map((g) => (
                <tr key={g.id} data-testid="group-row">
                  <Td>
                    {renaming === g.id ? (
                      <RenameGroupForm
                        group={g}
                        onDone={() => {
                          setRenaming(null);
                          void invalidate();
                        }}
                        onCancel={() => setRenaming(null)}
                      />
                    ) : (
                      <span className="font-medium">{g.name}</span>
                    )}
                  </Td>
                  <Td className="text-right tabular-nums">{g.deviceCount}</Td>
                  <Td>
                    {canManage ? (
                      <PolicySelect
                        group={g}
                        policies={policies.data ?? []}
                        busy={setPolicy.isPending && setPolicy.variables?.groupId === g.id}
                        onChange={(policyId) => setPolicy.mutate({ groupId: g.id, policyId })}
                      />
                    ) : g.policy ? (
                      <PolicyName policy={g.policy} />
                    ) : (
                      <span className="text-slate-400">none</span>
                    )}
                  </Td>
                  <Td className="whitespace-nowrap text-right">
                    {canManage && renaming !== g.id ? (
                      <span className="inline-flex gap-2">
                        <Button
                          variant="secondary"
                          className="px-2.5 py-1 text-xs"
                          onClick={() => setRenaming(g.id)}
                          aria-label={`Rename group ${g.name}`}
                        >
                          Rename
                        </Button>
                        <Button
                          variant="danger"
                          className="px-2.5 py-1 text-xs"
                          busy={remove.isPending && remove.variables?.groupId === g.id}
                          onClick={() => remove.mutate({ groupId: g.id })}
                          aria-label={`Delete group ${g.name}`}
                          data-testid="group-delete"
                        >
                          Delete
                        </Button>
                      </span>
                    ) : null}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </div>
    </Card>
  );
}

function PolicyName({ policy }: { policy: NonNullable<Group["policy"]> }) {
  return (
    <span className="inline-flex items-center gap-2">
      <Link href={`/policies/${policy.id}`} className="text-emerald-700 hover:underline">
        {policy.name}
      </Link>
      <ModeBadge mode={policy.mode} />
      <span className="text-xs text-slate-500">v{policy.version}</span>
    </span>
  );
}

function PolicySelect({
  group,
  policies,
  busy,
  onChange,
}: {
  group: Group;
  policies: Policy[];
  busy: boolean;
  onChange: (policyId: string | null) => void;
}) {
  const id = `group-policy-${group.id}`;
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="sr-only">
        Policy for group {group.name}
      </label>
      <Select
        id={id}
        value={group.policy?.id ?? ""}
        disabled={busy}
        aria-busy={busy || undefined}
        onChange={(e) => onChange(e.target.value || null)}
        data-testid="group-policy"
        className="min-w-48"
      >
        <option value="">No policy (deployments run one static variant)</option>
        {policies.map((p) => (
          <option key={p.id} value={p.id} disabled={p.mode === "learned"}>
            {p.name} ({p.mode}, v{p.version})
          </option>
        ))}
      </Select>
      {group.policy ? (
        <span className="text-xs text-slate-500" data-testid="group-policy-published">
          Published v{group.policy.version} ·{" "}
          <Link href={`/policies/${group.policy.id}`} className="text-emerald-700 hover:underline">
            edit policy
          </Link>
        </span>
      ) : policies.length === 0 ? (
        <span className="text-xs text-slate-500">
          <Link href="/policies/new" className="text-emerald-700 hover:underline">
            Create a policy
          </Link>{" "}
          to attach one.
        </span>
      ) : null}
    </div>
  );
}

function CreateGroupForm({ onCreated }: { onCreated: () => void }) {
  const trpc = useTRPC();
  const id = useId();
  const [name, setName] = useState("");
  const create = useMutation(
    trpc.groups.create.mutationOptions({
      onSuccess: () => {
        setName("");
        onCreated();
      },
    }),
  );
  function onSubmit(e: FormEvent) {
    e.preventDefault();
    create.mutate({ name });
  }
  return (
    <form onSubmit={onSubmit} noValidate className="flex flex-col gap-3" aria-label="Create a device group">
      <div className="grid gap-3 sm:grid-cols-[1fr_auto] sm:items-end">
        <Field
          id={id}
          label="New group"
          hint="e.g. the devices of one site or one power setup"
          error={create.isError ? errorMessage(create.error) : null}
        >
          <Input
            id={id}
            value={name}
            maxLength={80}
            placeholder="e.g. field sensors"
            aria-invalid={create.isError || undefined}
            aria-describedby={create.isError ? `${id}-error` : `${id}-hint`}
            onChange={(e) => setName(e.target.value)}
            data-testid="group-name"
          />
        </Field>
        <Button type="submit" busy={create.isPending} data-testid="group-create">
          Create group
        </Button>
      </div>
    </form>
  );
}

function RenameGroupForm({
  group,
  onDone,
  onCancel,
}: {
  group: Group;
  onDone: () => void;
  onCancel: () => void;
}) {
  const trpc = useTRPC();
  const [name, setName] = useState(group.name);
  const rename = useMutation(trpc.groups.rename.mutationOptions({ onSuccess: onDone }));
  const id = `rename-${group.id}`;
  return (
    <form
      noValidate
      className="flex flex-col gap-2"
      aria-label={`Rename group ${group.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        rename.mutate({ groupId: group.id, name });
      }}
    >
      <Field id={id} label="Name" error={rename.isError ? errorMessage(rename.error) : null}>
        <Input
          id={id}
          value={name}
          maxLength={80}
          autoFocus
          aria-describedby={rename.isError ? `${id}-error` : undefined}
          onChange={(e) => setName(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Escape") onCancel();
          }}
        />
      </Field>
      <span className="flex gap-2">
        <Button type="submit" className="px-2.5 py-1 text-xs" busy={rename.isPending}>
          Save
        </Button>
        <Button variant="ghost" className="px-2.5 py-1 text-xs" onClick={onCancel}>
          Cancel
        </Button>
      </span>
    </form>
  );
}

function MembershipCard() {
  const trpc = useTRPC();
  const canManage = useCanManagePolicies();
  const invalidate = useInvalidateGroups();
  const devices = useQuery(trpc.devices.list.queryOptions());
  const groups = useQuery(trpc.groups.list.queryOptions());
  const move = useMutation(trpc.groups.moveDevices.mutationOptions({ onSuccess: invalidate }));
  const live = devices.data?.filter((d) => d.presence !== "revoked") ?? [];
  return (
    <Card
      title="Devices"
      description="Move devices between groups. A device keeps its running deployment; the new group's policy applies from its next deployment."
    >
      <div className="flex flex-col gap-4">
        {move.isError ? <ErrorBanner title="Device not moved" message={errorMessage(move.error)} /> : null}
        {devices.isPending || groups.isPending ? (
          <Loading what="devices" />
        ) : devices.isError || groups.isError ? (
          <ErrorBanner
            title="Could not load devices"
            message={errorMessage(devices.error ?? groups.error)}
            onRetry={() => {
              void devices.refetch();
              void groups.refetch();
            }}
          />
        ) : live.length === 0 ? (
          <EmptyState title="No devices yet" data-testid="group-devices-empty">
            Enroll devices on the{" "}
            <Link href="/devices" className="text-emerald-700 hover:underline">
              Devices
            </Link>{" "}
            page, then come back to put them into groups.
          </EmptyState>
        ) : (
          <Table caption="Devices and their groups">
            <thead>
              <tr>
                <Th>Device</Th>
                <Th>Status</Th>
                <Th>Group</Th>
              </tr>
            </thead>
            <tbody>
              {live.map((d) => (
                <tr key={d.id} data-testid="group-device-row">
                  <Td>
                    <Link href={`/devices/${d.id}`} className="font-medium text-emerald-700 hover:underline">
                      {d.name}
                    </Link>
                  </Td>
                  <Td>
                    <PresenceBadge presence={d.presence} />
                  </Td>
                  <Td>
                    {canManage ? (
                      <>
                        <label htmlFor={`device-group-${d.id}`} className="sr-only">
                          Group of device {d.name}
                        </label>
                        <Select
                          id={`device-group-${d.id}`}
                          value={d.groupId ?? ""}
                          disabled={move.isPending && move.variables?.deviceIds.includes(d.id)}
                          onChange={(e) =>
                            move.mutate({ deviceIds: [d.id], groupId: e.target.value || null })
                          }
                          data-testid="device-group"
                          className="min-w-48"
                        >
                          <option value="">No group</option>
                          {groups.data.map((g) => (
                            <option key={g.id} value={g.id}>
                              {g.name}
                            </option>
                          ))}
                        </Select>
                      </>
                    ) : (
                      (d.groupName ?? <span className="text-slate-400">no group</span>)
                    )}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </div>
    </Card>
  );
}
