"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState } from "react";
import { usePortalSession } from "@/components/session-context";
import {
  Badge,
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
import { formatRelative } from "@/lib/format";
import type { RouterOutputs } from "@/server/trpc/root";
import { errorMessage, useTRPC } from "@/trpc/react";

type Rollout = RouterOutputs["deployments"]["rollouts"][number];

const STATUS_TONE = { canary: "blue", promoted: "green", halted: "amber", rolled_back: "red" } as const;

export function RolloutsView() {
  const trpc = useTRPC();
  const session = usePortalSession();
  const canManage = session.role === "owner" || session.role === "admin";
  const rollouts = useQuery({
    ...trpc.deployments.rollouts.queryOptions(),
    // A canary is judged by the worker every 30 s; keep its figures fresh while one runs.
    refetchInterval: (q) => (q.state.data?.some((r) => r.status === "canary") ? 10_000 : false),
  });
  return (
    <div className="flex flex-col gap-6">
      {canManage ? <NewRollout /> : null}
      <Card
        title="Rollouts"
        description="Newest first. A canary shows the worker's last evaluation against its baseline."
      >
        {rollouts.isPending ? (
          <Loading what="rollouts" />
        ) : rollouts.isError ? (
          <ErrorBanner message={errorMessage(rollouts.error)} onRetry={() => rollouts.refetch()} />
        ) : rollouts.data.length === 0 ? (
          <EmptyState title="No rollouts yet" data-testid="rollouts-empty">
            {canManage
              ? "Start one above: pick a model with a ready variant and a device group with enrolled devices."
              : "An admin of your organization starts rollouts here."}
          </EmptyState>
        ) : (
          <ul className="flex flex-col gap-4">
            {rollouts.data.map((r) => (
              <RolloutItem key={r.id} rollout={r} canManage={canManage} />
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}

function NewRollout() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const options = useQuery(trpc.deployments.rolloutOptions.queryOptions());
  const uid = useId();
  const fid = (name: string) => `${uid}-${name}`;
  const [modelId, setModelId] = useState("");
  const [groupId, setGroupId] = useState("");
  const [variantName, setVariantName] = useState("");
  const [canaryPct, setCanaryPct] = useState("10");
  const [maxErrorPct, setMaxErrorPct] = useState("5");
  const [maxEnergyPct, setMaxEnergyPct] = useState("20");
  const [minSamples, setMinSamples] = useState("50");
  const start = useMutation(
    trpc.deployments.startRollout.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.deployments.rollouts.queryKey() }),
    }),
  );
  if (options.isPending) return <Loading what="models and groups" />;
  if (options.isError) return <ErrorBanner message={errorMessage(options.error)} />;
  const { models, groups } = options.data;
  const model = models.find((m) => m.id === modelId);
  const group = groups.find((g) => g.id === groupId);
  if (models.every((m) => m.readyVariants.length === 0) || groups.length === 0) {
    return (
      <EmptyState title="Nothing to roll out yet">
        {models.every((m) => m.readyVariants.length === 0) ? (
          <>
            Upload a model under{" "}
            <Link href="/models" className="text-emerald-700 underline">
              Models
            </Link>{" "}
            and wait for its variants.{" "}
          </>
        ) : null}
        {groups.length === 0 ? (
          <>
            Create a device group under{" "}
            <Link href="/policies" className="text-emerald-700 underline">
              Policies
            </Link>{" "}
            and enroll devices into it.
          </>
        ) : null}
      </EmptyState>
    );
  }
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    start.mutate({
      modelId,
      groupId,
      variantName,
      canaryPct: Number(canaryPct),
      maxErrorRate: Number(maxErrorPct) / 100,
      maxEnergyRegressionPct: Number(maxEnergyPct),
      minCanarySamples: Number(minSamples),
    });
  };
  return (
    <Card title="New rollout">
      <form
        onSubmit={submit}
        className="grid gap-4 md:grid-cols-2"
        aria-label="New rollout"
        data-testid="rollout-form"
      >
        <Field id={fid("model")} label="Model">
          <Select id={fid("model")} value={modelId} onChange={(e) => setModelId(e.target.value)} required>
            <option value="">Choose a model…</option>
            {models.map((m) => (
              <option key={m.id} value={m.id} disabled={m.readyVariants.length === 0}>
                {m.name}
                {m.readyVariants.length === 0 ? " (no ready variant yet)" : ""}
              </option>
            ))}
          </Select>
        </Field>
        <Field id={fid("group")} label="Device group">
          <Select id={fid("group")} value={groupId} onChange={(e) => setGroupId(e.target.value)} required>
            <option value="">Choose a group…</option>
            {groups.map((g) => (
              <option key={g.id} value={g.id} disabled={g.devices === 0}>
                {g.name} ({g.devices} device{g.devices === 1 ? "" : "s"})
              </option>
            ))}
          </Select>
        </Field>
        <Field
          id={fid("variant")}
          label="What the devices run"
          hint="One variant for every request, or the group's energy policy choosing per request from the whole ladder."
        >
          <Select
            id={fid("variant")}
            value={variantName}
            onChange={(e) => setVariantName(e.target.value)}
            required
          >
            <option value="">Choose…</option>
            <option value="group-policy" disabled={!group?.hasPolicy}>
              the group's energy policy{group && !group.hasPolicy ? " (the group has none)" : ""}
            </option>
            {(model?.readyVariants ?? []).map((v) => (
              <option key={v} value={v}>
                variant {v}
              </option>
            ))}
          </Select>
        </Field>
        <Field
          id={fid("canary")}
          label="Canary share (%)"
          hint={
            group
              ? `${Math.max(1, Math.ceil((group.devices * Number(canaryPct || 0)) / 100))} of ${group.devices} devices first.`
              : "At least one device."
          }
        >
          <Input
            id={fid("canary")}
            type="number"
            min={1}
            max={100}
            value={canaryPct}
            onChange={(e) => setCanaryPct(e.target.value)}
            required
          />
        </Field>
        <Field
          id={fid("errors")}
          label="Roll back above this error rate (%)"
          hint="Share of the canary's inferences that fail."
        >
          <Input
            id={fid("errors")}
            type="number"
            min={0}
            max={100}
            step="0.1"
            value={maxErrorPct}
            onChange={(e) => setMaxErrorPct(e.target.value)}
            required
          />
        </Field>
        <Field
          id={fid("energy")}
          label="Roll back above this energy increase (%)"
          hint="Canary energy per inference against the same devices' last 24 h, compared within one energy source only."
        >
          <Input
            id={fid("energy")}
            type="number"
            min={0}
            max={1000}
            value={maxEnergyPct}
            onChange={(e) => setMaxEnergyPct(e.target.value)}
            required
          />
        </Field>
        <Field id={fid("samples")} label="Judge after this many canary inferences">
          <Input
            id={fid("samples")}
            type="number"
            min={1}
            value={minSamples}
            onChange={(e) => setMinSamples(e.target.value)}
            required
          />
        </Field>
        <div className="flex items-end justify-end md:col-span-2">
          <Button type="submit" busy={start.isPending}>
            Start rollout
          </Button>
        </div>
      </form>
      {start.isError ? <ErrorBanner message={errorMessage(start.error)} /> : null}
    </Card>
  );
}

function RolloutItem({ rollout: r, canManage }: { rollout: Rollout; canManage: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.deployments.rollouts.queryKey() });
  const promote = useMutation(trpc.deployments.promoteRollout.mutationOptions({ onSuccess: refresh }));
  const rollBack = useMutation(trpc.deployments.rollBackRollout.mutationOptions({ onSuccess: refresh }));
  const ev = r.lastEvaluation;
  const base = r.baseline;
  const figure = (v: number | null | undefined, unit: string, digits = 4) =>
    v === null || v === undefined ? "—" : `${v.toPrecision(digits)} ${unit}`;
  return (
    <li className="rounded-md border border-slate-200 p-4" data-testid="rollout-row">
      <div className="flex flex-wrap items-center gap-2">
        <Badge tone={STATUS_TONE[r.status]}>{r.status.replace("_", " ")}</Badge>
        <span className="font-medium">
          {r.modelName} → {r.groupName}
        </span>
        <span className="text-sm text-slate-600">
          {r.variantName === "group-policy" ? "group policy" : `variant ${r.variantName}`} · canary{" "}
          {r.canaryPct} % ({r.canaryDeviceIds.length} device{r.canaryDeviceIds.length === 1 ? "" : "s"})
        </span>
        <span className="ml-auto text-xs text-slate-500">started {formatRelative(r.createdAt)}</span>
      </div>
      <p className="mt-1 text-xs text-slate-600">
        Rolls back above {(100 * r.maxErrorRate).toFixed(1)} % errors or +{r.maxEnergyRegressionPct} % energy
        per inference, judged after {r.minCanarySamples} canary inferences.
      </p>
      <div className="mt-3 overflow-x-auto">
        <Table caption={`Rollout ${r.id} figures`}>
          <thead>
            <tr>
              <Th>Window</Th>
              <Th className="text-right">Inferences</Th>
              <Th className="text-right">Error rate</Th>
              <Th className="text-right">Energy / inference</Th>
              <Th>Source</Th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <Td>Baseline (last 24 h before)</Td>
              <Td className="text-right tabular-nums">{base?.samples ?? 0}</Td>
              <Td className="text-right tabular-nums">
                {base?.errorRate == null ? "—" : `${(100 * base.errorRate).toFixed(1)} %`}
              </Td>
              <Td className="text-right tabular-nums">{figure(base?.energyJPerInference, "J")}</Td>
              <Td>{base?.source ?? "no telemetry"}</Td>
            </tr>
            <tr>
              <Td>Canary {ev ? `(evaluated ${formatRelative(new Date(ev.at))})` : "(not evaluated yet)"}</Td>
              <Td className="text-right tabular-nums">{ev?.canary.samples ?? 0}</Td>
              <Td className="text-right tabular-nums">
                {ev?.canary.errorRate == null ? "—" : `${(100 * ev.canary.errorRate).toFixed(1)} %`}
              </Td>
              <Td className="text-right tabular-nums">{figure(ev?.canary.energyJPerInference, "J")}</Td>
              <Td>{ev?.canary.source ?? "—"}</Td>
            </tr>
          </tbody>
        </Table>
      </div>
      {ev?.reasons.length ? <p className="mt-2 text-sm text-slate-700">{ev.reasons.join("; ")}</p> : null}
      {r.reason ? <p className="mt-2 text-sm text-red-700">{r.reason}</p> : null}
      {canManage && r.status === "canary" ? (
        <div className="mt-3 flex gap-2">
          <Button
            busy={promote.isPending}
            onClick={() => promote.mutate({ rolloutId: r.id })}
            data-testid="rollout-promote"
          >
            Promote to all devices
          </Button>
          <Button
            variant="secondary"
            busy={rollBack.isPending}
            onClick={() => rollBack.mutate({ rolloutId: r.id })}
            data-testid="rollout-rollback"
          >
            Roll back
          </Button>
        </div>
      ) : null}
      {promote.isError ? <ErrorBanner message={errorMessage(promote.error)} /> : null}
      {rollBack.isError ? <ErrorBanner message={errorMessage(rollBack.error)} /> : null}
    </li>
  );
}
