"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useCanWrite } from "@/components/session-context";
import { Button, Card, ErrorBanner, ProgressBar } from "@/components/ui";
import { formatBytes, formatRelative } from "@/lib/format";
import { uploadModelDataFile } from "@/lib/upload-client";
import type { RouterOutputs } from "@/server/trpc/root";
import { errorMessage, useTRPC } from "@/trpc/react";

type Model = RouterOutputs["models"]["get"]["model"];
type Kind = "calibration" | "evaluation";

const ABOUT: Record<Kind, string> = {
  calibration:
    "Static int8 calibrates its activation ranges on it (default: the evaluation data, else synthetic inputs).",
  evaluation:
    "Every variant's fidelity — and accuracy, with a labels array — is measured on it instead of synthetic inputs.",
};

/** The model's calibration and evaluation data (.npz): what is there, upload with progress, remove. */
export function ModelDataCard({ model }: { model: Model }) {
  const inputs = model.inspection.inputs
    .map((i) => `${i.name} [N, ${i.shape.slice(1).join(", ")}]`)
    .join(", ");
  return (
    <Card
      title="Calibration and evaluation data"
      description={`Optional NumPy .npz files with one array per model input (${inputs}), one row per sample, and optionally "labels". Used by the next optimization job.`}
    >
      <div className="grid gap-6 lg:grid-cols-2">
        <DataSlot model={model} kind="calibration" />
        <DataSlot model={model} kind="evaluation" />
      </div>
    </Card>
  );
}

function DataSlot({ model, kind }: { model: Model; kind: Kind }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canWrite = useCanWrite();
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const dataset = model.datasets[kind];
  const refresh = () =>
    queryClient.invalidateQueries({ queryKey: trpc.models.get.queryKey({ modelId: model.id }) });
  const remove = useMutation(trpc.models.removeData.mutationOptions({ onSuccess: refresh }));
  const onFile = async (file: File | undefined) => {
    if (!file) return;
    setError(null);
    setProgress(0);
    try {
      await uploadModelDataFile(model.id, kind, file, (loaded, total) =>
        setProgress(Math.round((100 * loaded) / Math.max(1, total))),
      ).done;
      await refresh();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setProgress(null);
    }
  };
  return (
    <section aria-labelledby={`data-${kind}`} data-testid={`data-${kind}`}>
      <h3 id={`data-${kind}`} className="text-sm font-semibold capitalize">
        {kind}
      </h3>
      <p className="mt-1 text-xs text-slate-600">{ABOUT[kind]}</p>
      {dataset ? (
        <dl className="mt-2 text-sm">
          <div>
            <dt className="inline text-slate-500">File </dt>
            <dd className="inline font-medium">{dataset.fileName}</dd>
            <span className="text-slate-500">
              {" "}
              · {formatBytes(dataset.sizeBytes)} · uploaded {formatRelative(new Date(dataset.uploadedAt))}
            </span>
          </div>
          <div>
            <dt className="inline text-slate-500">Samples </dt>
            <dd className="inline">{dataset.samples}</dd>
            {dataset.hasLabels ? <span className="text-slate-500"> · with labels</span> : null}
          </div>
          <div className="font-mono text-xs text-slate-600">
            {dataset.arrays.map((a) => `${a.name} ${a.dtype} [${a.shape.join(", ")}]`).join(" · ")}
          </div>
        </dl>
      ) : (
        <p className="mt-2 text-sm text-slate-500">None: jobs use synthetic inputs.</p>
      )}
      {canWrite ? (
        <div className="mt-3 flex flex-wrap items-center gap-2">
          <label className="cursor-pointer rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50 focus-within:ring-2 focus-within:ring-emerald-500">
            {dataset ? "Replace…" : "Upload .npz…"}
            <input
              type="file"
              accept=".npz"
              className="sr-only"
              aria-label={`Upload ${kind} data (.npz)`}
              disabled={progress !== null}
              onChange={(e) => {
                void onFile(e.target.files?.[0]);
                e.target.value = "";
              }}
            />
          </label>
          {dataset ? (
            <Button
              variant="secondary"
              busy={remove.isPending}
              onClick={() => remove.mutate({ modelId: model.id, kind })}
            >
              Remove
            </Button>
          ) : null}
        </div>
      ) : null}
      {progress !== null ? (
        <div className="mt-2">
          <ProgressBar value={progress} label={`${kind} data upload`} data-testid={`data-${kind}-progress`} />
        </div>
      ) : null}
      {error ? <ErrorBanner message={error} /> : null}
      {remove.isError ? <ErrorBanner message={errorMessage(remove.error)} /> : null}
    </section>
  );
}
