"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { type FormEvent, useId, useRef, useState } from "react";
import { useCanWrite } from "@/components/session-context";
import { JobStatusBadge } from "@/components/status-badges";
import {
  Button,
  Card,
  EmptyState,
  ErrorBanner,
  Field,
  Input,
  Loading,
  ProgressBar,
  Table,
  Td,
  Th,
} from "@/components/ui";
import { formatBytes, formatCount, formatRelative } from "@/lib/format";
import { type UploadHandle, uploadModelFile } from "@/lib/upload-client";
import { errorMessage, useTRPC } from "@/trpc/react";

export function ModelsView({ maxUploadBytes }: { maxUploadBytes: number }) {
  return (
    <div className="flex flex-col gap-6">
      <UploadCard maxUploadBytes={maxUploadBytes} />
      <ModelList />
    </div>
  );
}

type UploadState =
  | { phase: "idle" }
  | { phase: "uploading"; loaded: number; total: number }
  | { phase: "processing"; total: number }
  | { phase: "done"; modelId: string }
  | { phase: "error"; message: string };

function baseName(fileName: string): string {
  return fileName.replace(/\.onnx$/i, "").slice(0, 120) || fileName.slice(0, 120);
}

function UploadCard({ maxUploadBytes }: { maxUploadBytes: number }) {
  const canWrite = useCanWrite();
  const router = useRouter();
  const queryClient = useQueryClient();
  const trpc = useTRPC();
  const fileId = useId();
  const nameId = useId();
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [state, setState] = useState<UploadState>({ phase: "idle" });
  const handle = useRef<UploadHandle | null>(null);
  const busy = state.phase === "uploading" || state.phase === "processing";

  function onFileChange(f: File | null) {
    setFile(f);
    setState({ phase: "idle" });
    if (f && (!name || (file && name === baseName(file.name)))) setName(baseName(f.name));
    if (f && f.size > maxUploadBytes) {
      setState({
        phase: "error",
        message: `${f.name} is ${formatBytes(f.size)}; the limit is ${formatBytes(maxUploadBytes)}. Choose a smaller model.`,
      });
    }
  }

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (!file) {
      setState({ phase: "error", message: "Choose an .onnx file first." });
      return;
    }
    if (file.size > maxUploadBytes) return;
    const modelName = name.trim() || baseName(file.name);
    setState({ phase: "uploading", loaded: 0, total: file.size });
    const h = uploadModelFile(file, modelName, (loaded, total) => {
      setState(loaded >= total ? { phase: "processing", total } : { phase: "uploading", loaded, total });
    });
    handle.current = h;
    try {
      const result = await h.done;
      setState({ phase: "done", modelId: result.modelId });
      await queryClient.invalidateQueries({ queryKey: trpc.models.list.queryKey() });
      router.push(`/models/${result.modelId}`);
    } catch (err) {
      setState({ phase: "error", message: errorMessage(err) });
    } finally {
      handle.current = null;
    }
  }

  const pct =
    state.phase === "uploading"
      ? (state.loaded / Math.max(1, state.total)) * 100
      : state.phase === "processing" || state.phase === "done"
        ? 100
        : 0;

  return (
    <Card
      title="Upload a model"
      description={`An ONNX file (.onnx, weights embedded), up to ${formatBytes(maxUploadBytes)}. It is inspected, stored, and an int8 variant is made automatically.`}
    >
      {!canWrite ? (
        <p className="text-sm text-slate-600">Your role (viewer) can look at models but not upload them.</p>
      ) : (
        <form onSubmit={onSubmit} className="flex flex-col gap-4">
          <div className="grid gap-4 sm:grid-cols-2">
            <Field id={fileId} label="Model file" hint="Export with torch.onnx.export, tf2onnx or skl2onnx.">
              <Input
                id={fileId}
                type="file"
                accept=".onnx,application/octet-stream"
                disabled={busy}
                onChange={(e) => onFileChange(e.target.files?.[0] ?? null)}
                data-testid="upload-input"
                className="file:mr-3 file:rounded file:border-0 file:bg-slate-100 file:px-3 file:py-1 file:text-sm"
              />
            </Field>
            <Field id={nameId} label="Name" hint="Defaults to the file name.">
              <Input
                id={nameId}
                value={name}
                maxLength={120}
                disabled={busy}
                onChange={(e) => setName(e.target.value)}
                placeholder="e.g. sensor anomaly detector"
                data-testid="upload-name"
              />
            </Field>
          </div>

          {state.phase !== "idle" && state.phase !== "error" ? (
            <div className="flex flex-col gap-1.5" aria-live="polite">
              <ProgressBar value={pct} label="Upload progress" data-testid="upload-progress" />
              <p className="text-xs text-slate-600" data-testid="upload-status">
                {state.phase === "uploading"
                  ? `Uploading… ${Math.floor(pct)}% (${formatBytes(state.loaded)} of ${formatBytes(state.total)})`
                  : state.phase === "processing"
                    ? `Uploaded ${formatBytes(state.total)}. Inspecting and storing the model…`
                    : "Done. Opening the model…"}
              </p>
            </div>
          ) : null}
          {state.phase === "error" ? <ErrorBanner title="Upload failed" message={state.message} /> : null}

          <div className="flex gap-2">
            <Button type="submit" busy={busy} disabled={!file} data-testid="upload-submit">
              {busy ? "Uploading…" : "Upload"}
            </Button>
            {state.phase === "uploading" ? (
              <Button variant="secondary" onClick={() => handle.current?.abort()}>
                Cancel
              </Button>
            ) : null}
          </div>
        </form>
      )}
    </Card>
  );
}

function ModelList() {
  const trpc = useTRPC();
  const models = useQuery(trpc.models.list.queryOptions());
  return (
    <Card title="Your models">
      {models.isPending ? (
        <Loading what="models" />
      ) : models.isError ? (
        <ErrorBanner
          title="Could not load models"
          message={errorMessage(models.error)}
          onRetry={() => models.refetch()}
        />
      ) : models.data.length === 0 ? (
        <EmptyState title="No models yet" data-testid="models-empty">
          Upload an .onnx file above to get started; it will be inspected and optimized into variants you can
          deploy.
        </EmptyState>
      ) : (
        <Table caption="Models">
          <thead>
            <tr>
              <Th>Name</Th>
              <Th className="text-right">Size</Th>
              <Th className="text-right">Params</Th>
              <Th className="text-right">MACs</Th>
              <Th className="text-right">Variants</Th>
              <Th>Latest job</Th>
              <Th>Uploaded</Th>
            </tr>
          </thead>
          <tbody>
            {models.data.map((m) => (
              <tr key={m.id} data-testid="model-row">
                <Td>
                  <Link href={`/models/${m.id}`} className="font-medium text-emerald-700 hover:underline">
                    {m.name}
                  </Link>
                  <div className="text-xs text-slate-500">{m.fileName}</div>
                </Td>
                <Td className="text-right tabular-nums">{formatBytes(m.sizeBytes)}</Td>
                <Td className="text-right tabular-nums">{formatCount(m.params)}</Td>
                <Td className="text-right tabular-nums">{formatCount(m.macs)}</Td>
                <Td className="text-right tabular-nums">{m.readyVariants}</Td>
                <Td>
                  {m.latestJob ? (
                    <span className="inline-flex items-center gap-2">
                      <JobStatusBadge status={m.latestJob.status} />
                      {m.latestJob.status === "running" ? (
                        <span className="text-xs text-slate-500">{m.latestJob.fractionPct}%</span>
                      ) : null}
                    </span>
                  ) : (
                    <span className="text-slate-400">—</span>
                  )}
                </Td>
                <Td className="whitespace-nowrap text-slate-600">{formatRelative(m.createdAt)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </Card>
  );
}
