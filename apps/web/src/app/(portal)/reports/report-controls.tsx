"use client";

import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { Button, Field, Input, Select } from "@/components/ui";
import { useTRPC } from "@/trpc/react";
import {
  isoToLocalInput,
  localInputToIso,
  RANGE_PRESETS,
  type RangeChoice,
  type ReportParams,
} from "./report-params";

/** Range picker (presets or custom) and the group / device / model filters. */
export function ReportControls({
  params,
  onChange,
  onRefresh,
}: {
  params: ReportParams;
  onChange: (next: ReportParams) => void;
  onRefresh: () => void;
}) {
  const trpc = useTRPC();
  const options = useQuery(trpc.reports.filters.queryOptions());
  const ids = {
    range: useId(),
    from: useId(),
    to: useId(),
    group: useId(),
    device: useId(),
    model: useId(),
  };
  const set = (patch: Partial<ReportParams>) => onChange({ ...params, ...patch });
  const devices = (options.data?.devices ?? []).filter(
    (d) => !params.groupId || d.groupId === params.groupId,
  );

  return (
    <form
      aria-label="Report range and filters"
      className="grid gap-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:grid-cols-2 lg:grid-cols-4 print:hidden"
      onSubmit={(e) => {
        e.preventDefault();
        onRefresh();
      }}
    >
      <Field id={ids.range} label="Range">
        <Select
          id={ids.range}
          value={params.range}
          onChange={(e) => {
            const range = e.target.value as RangeChoice;
            if (range !== "custom") return set({ range });
            // Start a custom range from the last 24 hours, to the minute.
            const now = new Date();
            now.setSeconds(0, 0);
            set({
              range,
              from: params.from || new Date(now.getTime() - 24 * 3_600_000).toISOString(),
              to: params.to || now.toISOString(),
            });
          }}
          data-testid="report-range"
        >
          {RANGE_PRESETS.map((p) => (
            <option key={p.id} value={p.id}>
              {p.label}
            </option>
          ))}
          <option value="custom">Custom…</option>
        </Select>
      </Field>
      {params.range === "custom" ? (
        <>
          <Field id={ids.from} label="From (your time zone)">
            <Input
              id={ids.from}
              type="datetime-local"
              value={isoToLocalInput(params.from)}
              onChange={(e) => set({ from: localInputToIso(e.target.value) })}
              data-testid="report-from"
            />
          </Field>
          <Field id={ids.to} label="To (your time zone)">
            <Input
              id={ids.to}
              type="datetime-local"
              value={isoToLocalInput(params.to)}
              onChange={(e) => set({ to: localInputToIso(e.target.value) })}
              data-testid="report-to"
            />
          </Field>
        </>
      ) : null}
      <Field id={ids.group} label="Device group">
        <Select
          id={ids.group}
          value={params.groupId}
          onChange={(e) => set({ groupId: e.target.value, deviceId: "" })}
          disabled={options.isPending}
          data-testid="report-group"
        >
          <option value="">All groups</option>
          {(options.data?.groups ?? []).map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </Select>
      </Field>
      <Field id={ids.device} label="Device">
        <Select
          id={ids.device}
          value={params.deviceId}
          onChange={(e) => set({ deviceId: e.target.value })}
          disabled={options.isPending}
          data-testid="report-device"
        >
          <option value="">All devices</option>
          {devices.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </Select>
      </Field>
      <Field id={ids.model} label="Model">
        <Select
          id={ids.model}
          value={params.modelId}
          onChange={(e) => set({ modelId: e.target.value })}
          disabled={options.isPending}
          data-testid="report-model"
        >
          <option value="">All models</option>
          {(options.data?.models ?? []).map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </Select>
      </Field>
      <div className="flex items-end">
        <Button type="submit" variant="secondary" data-testid="report-refresh">
          Refresh
        </Button>
      </div>
    </form>
  );
}
