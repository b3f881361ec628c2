"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { useCanWrite } from "@/components/session-context";
import { JobStatusBadge, VariantStatusBadge } from "@/components/status-badges";
import {
  Badge,
  Button,
  Card,
  Dl,
  EmptyState,
  ErrorBanner,
  Loading,
  Notice,
  PageHeader,
  ProgressBar,
  Table,
  Td,
  Th,
} from "@/components/ui";
import { formatBytes, formatCount, formatDateTime, formatRelative } from "@/lib/format";
import type { RouterOutputs } from "@/server/trpc/root";
import { errorMessage, useTRPC } from "@/trpc/react";
import { LadderCharts } from "./ladder-charts";
import { ModelDataCard } from "./model-data-card";

type Detail = RouterOutputs["models"]["get"];
type Job = Detail["jobs"][number];
type Variant = Detail["variants"][number];

/** Fallback refresh while a job is in flight, in case the live stream is unavailable. */
const POLL_MS = 10_000;

export function ModelDetailView({ modelId }: { modelId: string }) {
  const trpc = useTRPC();
  const query = useQuery({
    ...trpc.models.get.queryOptions({ modelId }),
    refetchInterval: (q) =>
      q.state.data?.jobs.some((j) => j.status === "queued" || j.status === "running") ? POLL_MS : false,
  });
  const activeJob = query.data?.jobs.find((j) => j.status === "queued" || j.status === "running");
  useJobStream(modelId, activeJob?.id ?? null);

  if (query.isPending) return <Loading what="the model" />;
  if (query.isError) {
    return (
      <div className="flex flex-col gap-4">
        <ErrorBanner
          title="Could not load this model"
          message={errorMessage(query.error)}
          onRetry={() => query.refetch()}
        />
        <Link href="/models" className="text-sm text-emerald-700 hover:underline">
          ← Back to models
        </Link>
      </div>
    );
  }
  const { model, variants, jobs, ladder } = query.data;
  const inspection = model.inspection;
  return (
    <div className="flex flex-col gap-6">
      <div>
        <Link href="/models" className="text-sm text-emerald-700 hover:underline">
          ← Models
        </Link>
      </div>
      <PageHeader
        title={model.name}
        description={
          <>
            {model.fileName} · uploaded {formatRelative(model.createdAt)} ·{" "}
            <span className="font-mono text-xs" title={model.sha256}>
              sha256 {model.sha256.slice(0, 12)}…
            </span>
          </>
        }
        actions={<OptimizePanel modelId={model.id} />}
      />

      <Card title="Inspection" data-testid="model-inspection">
        <Dl
          items={[
            { term: "Size", value: formatBytes(model.sizeBytes) },
            {
              term: "Parameters",
              value: <span data-testid="model-params">{formatCount(inspection.params)}</span>,
            },
            {
              term: "MACs / inference",
              value:
                inspection.macs === null ? "not computable (dynamic shapes)" : formatCount(inspection.macs),
            },
            { term: "Nodes", value: inspection.nodeCount },
            { term: "IR version", value: inspection.irVersion },
            {
              term: "Opsets",
              value: Object.entries(inspection.opsets)
                .map(([d, v]) => `${d} ${v}`)
                .join(", "),
            },
            { term: "Producer", value: inspection.producer || "unknown" },
          ]}
        />
        <div className="mt-6 grid gap-6 lg:grid-cols-2">
          <TensorTable title="Inputs" tensors={inspection.inputs} testId="model-inputs" />
          <TensorTable title="Outputs" tensors={inspection.outputs} testId="model-outputs" />
        </div>
        <OpHistogram histogram={inspection.opHistogram} />
      </Card>

      <ModelDataCard model={model} />

      <Card
        title="Variant ladder"
        description="The original (fp32) and every optimized variant; ready variants can be deployed to devices."
      >
        <VariantTable variants={variants} />
      </Card>

      <Card
        title="Quality against cost"
        description="Each ready variant by its quality and its energy per inference or latency (1 thread). Variants on the Pareto front — nothing else is both at least as good and at least as cheap — are highlighted; hover a point for how each figure was measured."
      >
        <LadderCharts ladder={ladder} />
      </Card>

      <Card title="Optimization jobs" description="Progress streams live while a job is queued or running.">
        {jobs.length === 0 ? (
          <EmptyState title="No jobs yet">Use “Optimize again” to make the variants.</EmptyState>
        ) : (
          <ul className="flex flex-col gap-4">
            {jobs.map((job) => (
              <JobItem key={job.id} job={job} />
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}

/** Keeps the model's query fresh from the job's server-sent events while a job is queued or running. */
function useJobStream(modelId: string, jobId: string | null) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  useEffect(() => {
    if (!jobId || typeof EventSource === "undefined") return;
    const source = new EventSource(`/api/jobs/${encodeURIComponent(jobId)}/events`);
    const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.models.get.queryKey({ modelId }) });
    source.addEventListener("job", refresh);
    source.addEventListener("end", () => {
      source.close();
      void refresh();
    });
    return () => source.close();
  }, [jobId, modelId, queryClient, trpc]);
}

function OptimizePanel({ modelId }: { modelId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canWrite = useCanWrite();
  const [open, setOpen] = useState(false);
  const [mode, setMode] = useState<"auto" | "custom">("auto");
  const [chosen, setChosen] = useState<string[]>([]);
  const [accuracyDrop, setAccuracyDrop] = useState("");
  const [fidelityLoss, setFidelityLoss] = useState("");
  const [calibration, setCalibration] = useState("");
  const passes = useQuery({ ...trpc.models.passes.queryOptions(), enabled: open });
  const mutation = useMutation(
    trpc.models.startOptimization.mutationOptions({
      onSuccess: () => {
        setOpen(false);
        return queryClient.invalidateQueries({ queryKey: trpc.models.get.queryKey({ modelId }) });
      },
    }),
  );
  if (!canWrite) return null;
  const number = (v: string) => (v.trim() === "" ? undefined : Number(v));
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const maxAccuracyDrop = number(accuracyDrop);
    const maxFidelityLoss = number(fidelityLoss);
    mutation.mutate({
      modelId,
      recipe: mode === "auto" ? ["auto"] : chosen,
      settings: {
        ...(maxAccuracyDrop !== undefined || maxFidelityLoss !== undefined
          ? {
              goal: {
                ...(maxAccuracyDrop !== undefined ? { maxAccuracyDrop } : {}),
                ...(maxFidelityLoss !== undefined ? { maxFidelityLoss } : {}),
              },
            }
          : {}),
        ...(calibration ? { calibration: calibration as "minmax" | "percentile" | "entropy" } : {}),
      },
    });
  };
  return (
    <div className="flex flex-col items-end gap-2">
      <div className="flex gap-2">
        <Button
          variant="secondary"
          busy={mutation.isPending && !open}
          onClick={() => mutation.mutate({ modelId, recipe: ["auto"], settings: {} })}
          data-testid="optimize-again"
        >
          Optimize again
        </Button>
        <Button
          variant="secondary"
          onClick={() => setOpen((o) => !o)}
          aria-expanded={open}
          data-testid="optimize-options"
        >
          Options…
        </Button>
      </div>
      {open ? (
        <form
          onSubmit={submit}
          className="w-full max-w-xl rounded-md border border-slate-200 bg-white p-4 text-left text-sm shadow-sm"
          aria-label="Optimization options"
          data-testid="optimize-form"
        >
          <fieldset className="flex flex-col gap-2">
            <legend className="mb-1 font-semibold">Recipe</legend>
            <label className="flex items-center gap-2">
              <input type="radio" name="recipe" checked={mode === "auto"} onChange={() => setMode("auto")} />
              Standard ladder (auto): int8 dynamic and static, int4 where MatMul-heavy, fp16
            </label>
            <label className="flex items-center gap-2">
              <input
                type="radio"
                name="recipe"
                checked={mode === "custom"}
                onChange={() => setMode("custom")}
              />
              Choose passes (one variant each)
            </label>
            {mode === "custom" ? (
              passes.isPending ? (
                <Loading what="the passes" />
              ) : passes.isError ? (
                <ErrorBanner message={errorMessage(passes.error)} />
              ) : (
                <ul className="ml-6 flex flex-col gap-1">
                  {passes.data.passes.map((p) => (
                    <li key={p.name}>
                      <label className="flex items-start gap-2">
                        <input
                          type="checkbox"
                          className="mt-1"
                          checked={chosen.includes(p.name)}
                          onChange={(e) =>
                            setChosen((c) =>
                              e.target.checked ? [...c, p.name] : c.filter((x) => x !== p.name),
                            )
                          }
                        />
                        <span>
                          <span className="font-mono text-xs">{p.name}</span>
                          <span className="ml-2 text-slate-600">{p.description}</span>
                        </span>
                      </label>
                    </li>
                  ))}
                </ul>
              )
            ) : null}
          </fieldset>
          <fieldset className="mt-4 grid gap-3 sm:grid-cols-3">
            <legend className="mb-1 font-semibold">Goal (accuracy-aware pass)</legend>
            <label className="flex flex-col gap-1">
              <span>Max accuracy drop (points)</span>
              <input
                type="number"
                min={0}
                max={100}
                step="0.1"
                value={accuracyDrop}
                onChange={(e) => setAccuracyDrop(e.target.value)}
                className="rounded border border-slate-300 px-2 py-1"
                placeholder="e.g. 1"
              />
            </label>
            <label className="flex flex-col gap-1">
              <span>Max fidelity loss (1 − cos)</span>
              <input
                type="number"
                min={0}
                max={2}
                step="0.001"
                value={fidelityLoss}
                onChange={(e) => setFidelityLoss(e.target.value)}
                className="rounded border border-slate-300 px-2 py-1"
                placeholder="e.g. 0.01"
              />
            </label>
            <label className="flex flex-col gap-1">
              <span>Static int8 calibration</span>
              <select
                value={calibration}
                onChange={(e) => setCalibration(e.target.value)}
                className="rounded border border-slate-300 px-2 py-1"
              >
                <option value="">default</option>
                {(passes.data?.calibrationMethods ?? ["minmax", "percentile", "entropy"]).map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </select>
            </label>
          </fieldset>
          <div className="mt-4 flex items-center justify-end gap-2">
            <Button variant="secondary" type="button" onClick={() => setOpen(false)}>
              Close
            </Button>
            <Button
              type="submit"
              busy={mutation.isPending}
              disabled={mode === "custom" && chosen.length === 0}
            >
              Start optimization
            </Button>
          </div>
        </form>
      ) : null}
      {mutation.isError ? <ErrorBanner message={errorMessage(mutation.error)} /> : null}
      {mutation.data && !mutation.data.queued ? (
        <Notice>The job was created but could not be queued; see its error below.</Notice>
      ) : null}
    </div>
  );
}

function TensorTable({
  title,
  tensors,
  testId,
}: {
  title: string;
  tensors: { name: string; elemType: string; shape: (number | string)[] }[];
  testId: string;
}) {
  return (
    <div data-testid={testId}>
      <h3 className="mb-2 text-sm font-semibold">{title}</h3>
      <Table caption={title}>
        <thead>
          <tr>
            <Th>Name</Th>
            <Th>Type</Th>
            <Th>Shape</Th>
          </tr>
        </thead>
        <tbody>
          {tensors.map((t) => (
            <tr key={t.name}>
              <Td className="font-mono text-xs">{t.name}</Td>
              <Td>{t.elemType}</Td>
              <Td className="font-mono text-xs">[{t.shape.join(", ")}]</Td>
            </tr>
          ))}
        </tbody>
      </Table>
    </div>
  );
}

function OpHistogram({ histogram }: { histogram: Record<string, number> }) {
  const entries = Object.entries(histogram).sort((a, b) => b[1] - a[1]);
  const max = entries[0]?.[1] ?? 1;
  return (
    <div className="mt-6" data-testid="model-op-histogram">
      <h3 className="mb-2 text-sm font-semibold">Operators</h3>
      {entries.length === 0 ? (
        <p className="text-sm text-slate-500">The graph has no nodes.</p>
      ) : (
        <ul className="grid gap-1.5 sm:grid-cols-2">
          {entries.map(([op, count]) => (
            <li key={op} className="flex items-center gap-3 text-sm">
              <span className="w-36 shrink-0 truncate font-mono text-xs" title={op}>
                {op}
              </span>
              <span
                className="h-2 rounded bg-emerald-500/70"
                style={{ width: `${(count / max) * 60}%` }}
                aria-hidden="true"
              />
              <span className="tabular-nums text-slate-600">{count}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function VariantTable({ variants }: { variants: Variant[] }) {
  const base = variants.find((v) => v.name === "fp32")?.sizeBytes ?? null;
  if (variants.length === 0) {
    return (
      <EmptyState title="No variants yet">They appear here as the optimization job makes them.</EmptyState>
    );
  }
  return (
    <Table caption="Variant ladder">
      <thead>
        <tr>
          <Th>Variant</Th>
          <Th>Passes</Th>
          <Th className="text-right">Size</Th>
          <Th className="text-right">vs fp32</Th>
          <Th>sha256</Th>
          <Th className="text-right">Fidelity</Th>
          <Th>Status</Th>
        </tr>
      </thead>
      <tbody>
        {variants.map((v) => {
          const fidelity = v.metrics.fidelity;
          return (
            <tr key={v.id} data-testid="variant-row">
              <Td className="font-medium">{v.name}</Td>
              <Td className="text-xs text-slate-600">
                {v.passes.length ? v.passes.join(" → ") : "original"}
              </Td>
              <Td className="text-right tabular-nums">{v.sizeBytes ? formatBytes(v.sizeBytes) : "—"}</Td>
              <Td className="text-right tabular-nums">
                {v.sizeBytes && base ? `${(v.sizeBytes / base).toFixed(2)}×` : "—"}
              </Td>
              <Td className="font-mono text-xs" title={v.sha256 ?? undefined}>
                {v.sha256 ? `${v.sha256.slice(0, 12)}…` : "—"}
              </Td>
              <Td className="text-right tabular-nums">
                {v.name === "fp32" ? (
                  <span className="text-slate-500">reference</span>
                ) : fidelity ? (
                  <span
                    title={`max |error| ${fidelity.maxAbsError.toPrecision(3)} over ${fidelity.samples} samples${
                      v.metrics.inputs === "synthetic inputs" ? " of synthetic inputs" : ""
                    }`}
                  >
                    cos {fidelity.cosine.toFixed(4)}
                  </span>
                ) : (
                  <span className="text-slate-400">not measured</span>
                )}
              </Td>
              <Td>
                <VariantStatusBadge status={v.status} />
                {v.error ? <p className="mt-1 max-w-xs text-xs text-red-700">{v.error}</p> : null}
              </Td>
            </tr>
          );
        })}
      </tbody>
    </Table>
  );
}

function JobItem({ job }: { job: Job }) {
  const active = job.status === "queued" || job.status === "running";
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canWrite = useCanWrite();
  const refresh = () =>
    queryClient.invalidateQueries({ queryKey: trpc.models.get.queryKey({ modelId: job.modelId }) });
  const cancel = useMutation(trpc.models.cancelJob.mutationOptions({ onSuccess: refresh }));
  const retry = useMutation(trpc.models.retryJob.mutationOptions({ onSuccess: refresh }));
  const settings = [
    job.settings.goal?.maxAccuracyDrop !== undefined
      ? `max accuracy drop ${job.settings.goal.maxAccuracyDrop} pt`
      : null,
    job.settings.goal?.maxFidelityLoss !== undefined
      ? `max fidelity loss ${job.settings.goal.maxFidelityLoss}`
      : null,
    job.settings.calibration ? `calibration ${job.settings.calibration}` : null,
  ].filter(Boolean);
  return (
    <li className="rounded-md border border-slate-200 p-4" data-testid="job-row">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div className="flex items-center gap-2">
          <JobStatusBadge status={job.status} />
          <span className="text-sm font-medium">{job.recipe.join(" · ")}</span>
          {settings.length ? <span className="text-xs text-slate-500">({settings.join(", ")})</span> : null}
        </div>
        {canWrite && active ? (
          <Button
            variant="secondary"
            busy={cancel.isPending}
            onClick={() => cancel.mutate({ jobId: job.id })}
            data-testid="job-cancel"
          >
            Cancel
          </Button>
        ) : null}
        {canWrite && (job.status === "failed" || job.status === "cancelled") ? (
          <Button
            variant="secondary"
            busy={retry.isPending}
            onClick={() => retry.mutate({ jobId: job.id })}
            data-testid="job-retry"
          >
            Retry
          </Button>
        ) : null}
        <span className="text-xs text-slate-500">
          created {formatRelative(job.createdAt)}
          {job.finishedAt ? ` · finished ${formatRelative(job.finishedAt)}` : ""}
        </span>
      </div>
      {active || job.fraction > 0 ? (
        <div className="mt-3 flex items-center gap-3">
          <ProgressBar value={job.fraction} label={`Job ${job.id} progress`} data-testid="job-progress" />
          <span className="w-10 text-right text-xs tabular-nums text-slate-600">{job.fraction}%</span>
        </div>
      ) : null}
      {job.status === "queued" ? (
        <p className="mt-2 text-xs text-slate-500">Waiting for a worker to pick the job up…</p>
      ) : null}
      {job.error ? <p className="mt-2 text-sm text-red-700">{job.error}</p> : null}
      {cancel.isError ? <ErrorBanner message={errorMessage(cancel.error)} /> : null}
      {retry.isError ? <ErrorBanner message={errorMessage(retry.error)} /> : null}
      {job.steps.length > 0 ? (
        <ol className="mt-3 flex flex-col gap-1 text-sm">
          {job.steps.map((s, i) => (
            <li key={`${s.step}-${s.ts}-${i}`} className="flex flex-wrap items-baseline gap-2">
              <Badge tone={s.status === "done" ? "green" : s.status === "failed" ? "red" : "blue"}>
                {s.status}
              </Badge>
              <span className="font-mono text-xs">{s.step}</span>
              {s.message ? <span className="text-slate-600">{s.message}</span> : null}
              <span className="ml-auto text-xs text-slate-400">{formatDateTime(new Date(s.ts))}</span>
            </li>
          ))}
        </ol>
      ) : null}
    </li>
  );
}
