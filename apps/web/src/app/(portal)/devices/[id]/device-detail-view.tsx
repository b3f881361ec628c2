"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useId, useState } from "react";
import { useCanWrite } from "@/components/session-context";
import { PresenceBadge } from "@/components/status-badges";
import {
  Badge,
  Button,
  Card,
  Dl,
  EmptyState,
  ErrorBanner,
  Field,
  Loading,
  PageHeader,
  Select,
  Table,
  Td,
  Th,
} from "@/components/ui";
import { energySourceLabel } from "@/lib/energy-sources";
import { formatDateTime, formatJoules, formatMs, formatRelative } from "@/lib/format";
import type { RouterOutputs } from "@/server/trpc/root";
import { errorMessage, useTRPC } from "@/trpc/react";

type Detail = RouterOutputs["devices"]["get"];

export function DeviceDetailView({ deviceId }: { deviceId: string }) {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.devices.get.queryOptions({ deviceId }), refetchInterval: 5_000 });
  const models = useQuery(trpc.models.list.queryOptions());
  const modelNames = new Map((models.data ?? []).map((m) => [m.id, m.name]));

  if (query.isPending) return <Loading what="the device" />;
  if (query.isError) {
    return (
      <div className="flex flex-col gap-4">
        <ErrorBanner
          title="Could not load this device"
          message={errorMessage(query.error)}
          onRetry={() => query.refetch()}
        />
        <Link href="/devices" className="text-sm text-emerald-700 hover:underline">
          ← Back to devices
        </Link>
      </div>
    );
  }
  const { device, deployment, energy, recentSamples } = query.data;
  return (
    <div className="flex flex-col gap-6">
      <div>
        <Link href="/devices" className="text-sm text-emerald-700 hover:underline">
          ← Devices
        </Link>
      </div>
      <PageHeader
        title={device.name}
        description={
          <span className="inline-flex items-center gap-2">
            <PresenceBadge presence={device.presence} /> last seen {formatRelative(device.lastSeenAt)}
          </span>
        }
        actions={
          device.presence !== "revoked" ? <RevokeButton deviceId={device.id} name={device.name} /> : null
        }
      />

      <Card title="Device">
        <Dl
          items={[
            { term: "Platform", value: `${device.platform.os} / ${device.platform.arch}` },
            { term: "Host", value: device.platform.hostname ?? "—" },
            { term: "Agent", value: device.agentVersion ?? "—" },
            { term: "Meter", value: device.meter ? energySourceLabel(device.meter) : "—" },
            { term: "Meters available", value: device.meters.length ? device.meters.join(", ") : "—" },
            {
              term: "Battery",
              value: device.batteryPct === null ? "—" : `${Math.round(device.batteryPct)}%`,
            },
            { term: "Power", value: device.powerState ?? "—" },
            { term: "Running", value: device.currentVariant ?? "—" },
            { term: "Outbox", value: device.outboxDepth ?? "—" },
            { term: "Group", value: device.groupName ?? "—" },
            { term: "Enrolled", value: formatDateTime(device.createdAt) },
            { term: "Device id", value: <span className="font-mono text-xs">{device.id}</span> },
          ]}
        />
      </Card>

      <Card title="Deployment" description="Which model the device runs, and which variant of its ladder.">
        <div className="flex flex-col gap-4">
          {deployment ? (
            <p className="text-sm" data-testid="current-deployment">
              Deployed{" "}
              <span className="font-medium">{modelNames.get(deployment.modelId) ?? deployment.modelId}</span>{" "}
              · variant <span className="font-medium">{deployment.variantName}</span>{" "}
              {deployment.scope === "group" ? <Badge>via group</Badge> : null} ·{" "}
              {formatRelative(deployment.createdAt)}
            </p>
          ) : (
            <p className="text-sm text-slate-600">Nothing deployed yet.</p>
          )}
          {device.presence === "revoked" ? (
            <p className="text-sm text-slate-600">
              This device was revoked; enroll it again to deploy to it.
            </p>
          ) : (
            <DeployForm deviceId={device.id} />
          )}
        </div>
      </Card>

      <Card
        title="Energy per inference"
        description="By model, variant and energy source. Figures from different sources are never added together."
      >
        <EnergyTable energy={energy} modelNames={modelNames} deployed={deployment !== null} />
      </Card>

      <Card title="Recent samples" description="The last 50 samples the device reported, newest first.">
        <SamplesTable samples={recentSamples} />
      </Card>
    </div>
  );
}

function RevokeButton({ deviceId, name }: { deviceId: string; name: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canWrite = useCanWrite();
  const [confirming, setConfirming] = useState(false);
  const revoke = useMutation(
    trpc.devices.revoke.mutationOptions({
      onSuccess: () => {
        setConfirming(false);
        void queryClient.invalidateQueries({ queryKey: trpc.devices.get.queryKey({ deviceId }) });
        void queryClient.invalidateQueries({ queryKey: trpc.devices.list.queryKey() });
      },
    }),
  );
  if (!canWrite) return null;
  return (
    <div className="flex flex-col items-end gap-2">
      {confirming ? (
        <div className="flex items-center gap-2">
          <span className="text-sm">Revoke {name}? It stops receiving deployments.</span>
          <Button variant="danger" busy={revoke.isPending} onClick={() => revoke.mutate({ deviceId })}>
            Revoke
          </Button>
          <Button variant="ghost" onClick={() => setConfirming(false)}>
            Cancel
          </Button>
        </div>
      ) : (
        <Button variant="danger" onClick={() => setConfirming(true)}>
          Revoke device
        </Button>
      )}
      {revoke.isError ? <ErrorBanner message={errorMessage(revoke.error)} /> : null}
    </div>
  );
}

function DeployForm({ deviceId }: { deviceId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canWrite = useCanWrite();
  const modelFieldId = useId();
  const variantFieldId = useId();
  const [modelId, setModelId] = useState("");
  const [variantName, setVariantName] = useState("");
  const models = useQuery(trpc.models.list.queryOptions());
  const model = useQuery({ ...trpc.models.get.queryOptions({ modelId }), enabled: modelId !== "" });
  const ready = (model.data?.variants ?? []).filter((v) => v.status === "ready");
  const deploy = useMutation(
    trpc.deployments.create.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.devices.get.queryKey({ deviceId }) }),
    }),
  );

  if (!canWrite) return <p className="text-sm text-slate-600">Your role (viewer) cannot deploy models.</p>;
  if (models.isPending) return <Loading what="models" />;
  if (models.isError) return <ErrorBanner message={errorMessage(models.error)} />;
  if (models.data.length === 0) {
    return (
      <EmptyState title="No models to deploy">
        <Link href="/models" className="text-emerald-700 hover:underline">
          Upload a model
        </Link>{" "}
        first; its variants can then be deployed here.
      </EmptyState>
    );
  }

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (modelId && variantName) deploy.mutate({ deviceId, modelId, variantName });
  }

  return (
    <form onSubmit={onSubmit} className="flex flex-col gap-3" aria-label="Deploy a model">
      <div className="grid gap-4 sm:grid-cols-[2fr_1fr_auto] sm:items-end">
        <Field id={modelFieldId} label="Model">
          <Select
            id={modelFieldId}
            value={modelId}
            required
            onChange={(e) => {
              setModelId(e.target.value);
              setVariantName("");
              deploy.reset();
            }}
            data-testid="deploy-model"
          >
            <option value="">Choose a model…</option>
            {models.data.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </Select>
        </Field>
        <Field
          id={variantFieldId}
          label="Variant"
          hint={modelId && !model.isPending && ready.length === 0 ? "No ready variants yet." : undefined}
        >
          <Select
            id={variantFieldId}
            value={variantName}
            required
            disabled={!modelId || model.isPending || ready.length === 0}
            onChange={(e) => setVariantName(e.target.value)}
            data-testid="deploy-variant"
          >
            <option value="">{modelId && model.isPending ? "Loading…" : "Choose a variant…"}</option>
            {ready.map((v) => (
              <option key={v.id} value={v.name}>
                {v.name}
              </option>
            ))}
          </Select>
        </Field>
        <Button
          type="submit"
          busy={deploy.isPending}
          disabled={!modelId || !variantName}
          data-testid="deploy-submit"
        >
          Deploy
        </Button>
      </div>
      {deploy.isError ? <ErrorBanner message={errorMessage(deploy.error)} /> : null}
      {deploy.isSuccess ? (
        <p aria-live="polite" className="text-sm text-emerald-800">
          Deployed {deploy.data.assignment.modelName} ({deploy.data.assignment.policy.variant}); the agent
          picks it up within seconds.
        </p>
      ) : null}
    </form>
  );
}

function EnergyTable({
  energy,
  modelNames,
  deployed,
}: {
  energy: Detail["energy"];
  modelNames: Map<string, string>;
  deployed: boolean;
}) {
  if (energy.length === 0) {
    return (
      <EmptyState title="No inferences reported yet">
        {deployed
          ? "Energy per inference appears here once the agent has fetched the model, run it and reported telemetry."
          : "Deploy a model to this device above; energy per inference appears once the agent runs it and reports telemetry."}
      </EmptyState>
    );
  }
  return (
    <Table caption="Energy per inference">
      <thead>
        <tr>
          <Th>Model</Th>
          <Th>Variant</Th>
          <Th>Energy source</Th>
          <Th className="text-right">Inferences</Th>
          <Th className="text-right">Energy / inference</Th>
          <Th className="text-right">p50 latency</Th>
          <Th className="text-right">p95 latency</Th>
          <Th className="text-right">Failed</Th>
          <Th>Last</Th>
        </tr>
      </thead>
      <tbody>
        {energy.map((row) => (
          <tr key={`${row.modelId}-${row.variant}-${row.energySource}`} data-testid="energy-row">
            <Td>{row.modelId ? (modelNames.get(row.modelId) ?? row.modelId) : "—"}</Td>
            <Td className="font-medium">{row.variant ?? "—"}</Td>
            <Td className="text-xs" data-testid="energy-source">
              {energySourceLabel(row.energySource)}
            </Td>
            <Td className="text-right tabular-nums">{row.inferences}</Td>
            <Td className="text-right font-medium tabular-nums">
              <span data-testid="energy-per-inference">{formatJoules(row.meanJPerInference)}</span>
            </Td>
            <Td className="text-right tabular-nums">{formatMs(row.latencyP50Ms)}</Td>
            <Td className="text-right tabular-nums">{formatMs(row.latencyP95Ms)}</Td>
            <Td className="text-right tabular-nums">{row.failed}</Td>
            <Td className="whitespace-nowrap text-slate-600">{formatRelative(row.lastTs)}</Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

function SamplesTable({ samples }: { samples: Detail["recentSamples"] }) {
  if (samples.length === 0)
    return <EmptyState title="No samples yet">The agent has not reported telemetry.</EmptyState>;
  return (
    <Table caption="Recent samples">
      <thead>
        <tr>
          <Th>Time (UTC)</Th>
          <Th>Kind</Th>
          <Th>Variant</Th>
          <Th className="text-right">Energy</Th>
          <Th>Source</Th>
          <Th className="text-right">Duration</Th>
          <Th className="text-right">Battery</Th>
          <Th>OK</Th>
        </tr>
      </thead>
      <tbody>
        {samples.map((s) => (
          <tr key={s.id} data-testid="sample-row">
            <Td className="whitespace-nowrap font-mono text-xs">{formatDateTime(s.ts)}</Td>
            <Td>{s.kind}</Td>
            <Td>{s.variant ?? "—"}</Td>
            <Td className="text-right tabular-nums">{formatJoules(s.energyJ)}</Td>
            <Td className="text-xs">{s.energySource}</Td>
            <Td className="text-right tabular-nums">{formatMs(s.durationMs)}</Td>
            <Td className="text-right tabular-nums">
              {s.batteryPct === null ? "—" : `${Math.round(s.batteryPct)}%`}
            </Td>
            <Td>{s.ok ? "yes" : <span className="text-red-700">no</span>}</Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
