"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useId, useState } from "react";
import { CopyButton } from "@/components/copy-button";
import { useCanWrite } from "@/components/session-context";
import { PresenceBadge, TokenStateBadge } from "@/components/status-badges";
import {
  Button,
  Card,
  EmptyState,
  ErrorBanner,
  Field,
  Input,
  Loading,
  Select,
  Table,
  Td,
  Th,
} from "@/components/ui";
import { energySourceLabel } from "@/lib/energy-sources";
import { formatDateTime, formatRelative } from "@/lib/format";
import type { RouterOutputs } from "@/server/trpc/root";
import { errorMessage, useTRPC } from "@/trpc/react";

export function DevicesView() {
  return (
    <div className="flex flex-col gap-6">
      <DeviceList />
      <TokensCard />
    </div>
  );
}

function DeviceList() {
  const trpc = useTRPC();
  // Presence is computed from the last heartbeat; refresh so it stays current.
  const devices = useQuery({ ...trpc.devices.list.queryOptions(), refetchInterval: 10_000 });
  return (
    <Card title="Devices">
      {devices.isPending ? (
        <Loading what="devices" />
      ) : devices.isError ? (
        <ErrorBanner
          title="Could not load devices"
          message={errorMessage(devices.error)}
          onRetry={() => devices.refetch()}
        />
      ) : devices.data.length === 0 ? (
        <EmptyState title="No devices yet" data-testid="devices-empty">
          Create an enrollment token below, then run the command it shows on the device.
        </EmptyState>
      ) : (
        <Table caption="Devices">
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Status</Th>
              <Th className="text-right">Battery</Th>
              <Th>Meter</Th>
              <Th>Running</Th>
              <Th>Last seen</Th>
            </tr>
          </thead>
          <tbody>
            {devices.data.map((d) => (
              <tr key={d.id} data-testid="device-row">
                <Td>
                  <Link href={`/devices/${d.id}`} className="font-medium text-emerald-700 hover:underline">
                    {d.name}
                  </Link>
                  <div className="text-xs text-slate-500">
                    {d.platform.os}/{d.platform.arch}
                    {d.groupName ? ` · ${d.groupName}` : ""}
                  </div>
                </Td>
                <Td>
                  <PresenceBadge presence={d.presence} />
                </Td>
                <Td className="text-right tabular-nums">
                  {d.batteryPct === null ? "—" : `${Math.round(d.batteryPct)}%`}
                </Td>
                <Td className="text-xs">{d.meter ? energySourceLabel(d.meter) : "—"}</Td>
                <Td className="text-xs">{d.currentVariant ?? "—"}</Td>
                <Td className="whitespace-nowrap text-slate-600">
                  <span title={formatDateTime(d.lastSeenAt)}>{formatRelative(d.lastSeenAt)}</span>
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </Card>
  );
}

type Created = RouterOutputs["tokens"]["create"];

function TokensCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canWrite = useCanWrite();
  const tokens = useQuery(trpc.tokens.list.queryOptions());
  const [created, setCreated] = useState<Created | null>(null);
  const revoke = useMutation(
    trpc.tokens.revoke.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() }),
    }),
  );
  return (
    <Card
      title="Enrollment tokens"
      description="A token lets an edge agent join your organization. Its secret is shown once, when you create it."
    >
      <div className="flex flex-col gap-6">
        {canWrite ? (
          <CreateTokenForm
            onCreated={(c) => {
              setCreated(c);
              void queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() });
            }}
          />
        ) : (
          <p className="text-sm text-slate-600">
            Your role (viewer) can see tokens but not create or revoke them.
          </p>
        )}
        {created ? <CreatedToken created={created} onDismiss={() => setCreated(null)} /> : null}
        {revoke.isError ? <ErrorBanner message={errorMessage(revoke.error)} /> : null}
        {tokens.isPending ? (
          <Loading what="tokens" />
        ) : tokens.isError ? (
          <ErrorBanner
            title="Could not load tokens"
            message={errorMessage(tokens.error)}
            onRetry={() => tokens.refetch()}
          />
        ) : tokens.data.length === 0 ? (
          <EmptyState title="No tokens yet">Create one above to enroll your first device.</EmptyState>
        ) : (
          <Table caption="Enrollment tokens">
            <thead>
              <tr>
                <Th>Token</Th>
                <Th>Label</Th>
                <Th className="text-right">Uses</Th>
                <Th>Expires</Th>
                <Th>State</Th>
                <Th>
                  <span className="sr-only">Actions</span>
                </Th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((t) => (
                <tr key={t.id} data-testid="token-row">
                  <Td className="font-mono text-xs">{t.prefix}…</Td>
                  <Td>{t.label ?? <span className="text-slate-400">—</span>}</Td>
                  <Td className="text-right tabular-nums">
                    {t.uses} / {t.maxUses}
                  </Td>
                  <Td className="whitespace-nowrap">
                    <span title={formatDateTime(t.expiresAt)}>{formatRelative(t.expiresAt)}</span>
                  </Td>
                  <Td>
                    <TokenStateBadge state={t.state} />
                  </Td>
                  <Td className="text-right">
                    {canWrite && t.state === "active" ? (
                      <Button
                        variant="danger"
                        className="px-2.5 py-1 text-xs"
                        busy={revoke.isPending && revoke.variables?.tokenId === t.id}
                        onClick={() => revoke.mutate({ tokenId: t.id })}
                        aria-label={`Revoke token ${t.prefix}`}
                      >
                        Revoke
                      </Button>
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

function CreateTokenForm({ onCreated }: { onCreated: (created: Created) => void }) {
  const trpc = useTRPC();
  const labelId = useId();
  const hoursId = useId();
  const usesId = useId();
  const groupFieldId = useId();
  const [groupId, setGroupId] = useState("");
  const groups = useQuery(trpc.groups.list.queryOptions());
  const [label, setLabel] = useState("");
  const [hours, setHours] = useState("24");
  const [uses, setUses] = useState("1");
  const create = useMutation(trpc.tokens.create.mutationOptions({ onSuccess: onCreated }));

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    create.mutate({
      label: label || undefined,
      expiresInHours: Number(hours),
      maxUses: Number(uses),
      groupId: groupId || null,
    });
  }

  return (
    <form onSubmit={onSubmit} className="flex flex-col gap-3" aria-label="Create an enrollment token">
      <div className="grid gap-4 sm:grid-cols-[2fr_1fr_1fr_1fr_auto] sm:items-end">
        <Field id={labelId} label="Label (optional)">
          <Input
            id={labelId}
            value={label}
            maxLength={80}
            onChange={(e) => setLabel(e.target.value)}
            placeholder="e.g. warehouse gateways"
            data-testid="token-label"
          />
        </Field>
        <Field id={hoursId} label="Expires in (hours)">
          <Input
            id={hoursId}
            type="number"
            min={1}
            max={720}
            step={1}
            required
            value={hours}
            onChange={(e) => setHours(e.target.value)}
            data-testid="token-hours"
          />
        </Field>
        <Field id={usesId} label="Max uses">
          <Input
            id={usesId}
            type="number"
            min={1}
            max={1000}
            step={1}
            required
            value={uses}
            onChange={(e) => setUses(e.target.value)}
            data-testid="token-uses"
          />
        </Field>
        <Field id={groupFieldId} label="Devices join group">
          <Select
            id={groupFieldId}
            value={groupId}
            onChange={(e) => setGroupId(e.target.value)}
            data-testid="token-group"
          >
            <option value="">no group</option>
            {(groups.data ?? []).map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </Select>
        </Field>
        <Button type="submit" busy={create.isPending} data-testid="token-create">
          Create token
        </Button>
      </div>
      {create.isError ? <ErrorBanner message={errorMessage(create.error)} /> : null}
    </form>
  );
}

function CreatedToken({ created, onDismiss }: { created: Created; onDismiss: () => void }) {
  return (
    <div className="rounded-md border border-emerald-200 bg-emerald-50 p-4" aria-live="polite">
      <p className="text-sm font-medium text-emerald-900">
        Token created. Copy it now: it is shown only once and cannot be recovered.
      </p>
      <div className="mt-3 flex flex-col gap-3">
        <div>
          <p className="text-xs font-medium uppercase tracking-wide text-emerald-900">Token</p>
          <div className="mt-1 flex items-center gap-2">
            <code
              className="flex-1 break-all rounded bg-white px-3 py-2 font-mono text-sm"
              data-testid="token-secret"
            >
              {created.secret}
            </code>
            <CopyButton text={created.secret} />
          </div>
        </div>
        <div>
          <p className="text-xs font-medium uppercase tracking-wide text-emerald-900">
            Run on the device (from the EdgeWatt checkout)
          </p>
          <div className="mt-1 flex items-center gap-2">
            <code
              className="flex-1 break-all rounded bg-white px-3 py-2 font-mono text-sm"
              data-testid="token-command"
            >
              {created.command}
            </code>
            <CopyButton text={created.command} label="Copy command" />
          </div>
        </div>
        <p className="text-xs text-emerald-900">
          Valid until {formatDateTime(created.token.expiresAt)} UTC for {created.token.maxUses}{" "}
          {created.token.maxUses === 1 ? "device" : "devices"}.
        </p>
        <div>
          <Button variant="secondary" onClick={onDismiss}>
            I have copied it
          </Button>
        </div>
      </div>
    </div>
  );
}
