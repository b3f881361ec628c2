"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useState } from "react";
import { usePortalSession } from "@/components/session-context";
import { Button, EmptyState, ErrorBanner, Loading, Notice, PageHeader } from "@/components/ui";
import { formatDateTime } from "@/lib/format";
import type { RouterOutputs } from "@/server/trpc/root";
import { errorMessage, useTRPC } from "@/trpc/react";
import { GridIntensityCard } from "./grid-intensity-card";
import { ReportControls } from "./report-controls";
import { csvHref, type ReportParams, reportSearch, resolveDates } from "./report-params";
import { BatteryCard, MethodsCard, SourceBadge, SourceSection } from "./report-sections";

/**
 * Hides the portal's navigation: when printing, and on screen in the printable view (`?print=1`). The nav bar
 * belongs to the portal layout, so the report page reaches it by its landmark.
 */
const PRINT_CSS = `@media print {
  header:has(> nav[aria-label="Main"]) { display: none !important; }
  main { max-width: none !important; padding: 0 !important; }
  @page { margin: 12mm; }
}`;
const PRINT_VIEW_CSS = `header:has(> nav[aria-label="Main"]) { display: none !important; }`;

export function ReportsView({ initial, print }: { initial: ReportParams; print: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const session = usePortalSession();
  const [params, setParams] = useState(initial);
  const [anchorMs, setAnchorMs] = useState(() => Date.now());
  const dates = resolveDates(params, anchorMs);
  const grid = params.grid === "" ? undefined : Number(params.grid);

  const report = useQuery({
    ...trpc.reports.fleet.queryOptions({
      range: dates ?? { from: new Date(0), to: new Date(0) },
      filter: {
        groupId: params.groupId || undefined,
        deviceId: params.deviceId || undefined,
        modelId: params.modelId || undefined,
      },
      gridIntensityGPerKwh: grid !== undefined && Number.isFinite(grid) ? grid : undefined,
    }),
    enabled: dates !== null,
    placeholderData: keepPreviousData,
  });

  function update(next: ReportParams) {
    setParams(next);
    setAnchorMs(Date.now());
    router.replace(`${pathname}?${reportSearch(next, print ? { print: "1" } : {})}`, { scroll: false });
  }

  const title = "Fleet energy report";
  return (
    <div className="flex flex-col gap-6" data-testid="reports-page">
      <style>{print ? `${PRINT_CSS}\n${PRINT_VIEW_CSS}` : PRINT_CSS}</style>
      {print ? (
        <div className="flex flex-wrap items-end justify-between gap-4">
          <div>
            <p className="text-sm font-semibold tracking-tight">
              Edge<span className="text-emerald-600">Watt</span> · {session.orgName}
            </p>
            <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
          </div>
          <div className="flex gap-2 print:hidden">
            <Button variant="secondary" onClick={() => window.print()} data-testid="report-print">
              Print
            </Button>
            <Link
              href={`/reports?${reportSearch(params)}`}
              className="inline-flex items-center rounded-md px-3.5 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100"
            >
              ← Back to the report
            </Link>
          </div>
        </div>
      ) : (
        <PageHeader
          title={title}
          description="Energy, savings, latency, accuracy and battery life of your fleet, per energy source."
          actions={
            dates ? (
              <>
                <a
                  href={csvHref(params, dates)}
                  download
                  className="inline-flex items-center rounded-md border border-slate-300 bg-white px-3.5 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50"
                  data-testid="export-csv"
                >
                  Export CSV
                </a>
                <Link
                  href={`/reports?${reportSearch(params, { print: "1" })}`}
                  className="inline-flex items-center rounded-md border border-slate-300 bg-white px-3.5 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50"
                  data-testid="printable-view"
                >
                  Printable view
                </Link>
              </>
            ) : null
          }
        />
      )}

      {print ? null : (
        <ReportControls params={params} onChange={update} onRefresh={() => setAnchorMs(Date.now())} />
      )}

      {dates === null ? (
        <Notice>Choose both the start and the end of the custom range.</Notice>
      ) : report.isPending ? (
        <Loading what="the report" />
      ) : report.isError ? (
        <ErrorBanner
          title="Could not build the report"
          message={errorMessage(report.error)}
          onRetry={() => report.refetch()}
        />
      ) : (
        <ReportBody report={report.data} refreshing={report.isFetching} />
      )}

      {print ? null : (
        <GridIntensityCard
          override={params.grid}
          onOverride={(value) => update({ ...params, grid: value })}
        />
      )}
    </div>
  );
}

type Report = RouterOutputs["reports"]["fleet"];

function ReportBody({ report, refreshing }: { report: Report; refreshing: boolean }) {
  const rangeText = `${formatDateTime(report.range.from)} – ${formatDateTime(report.range.to)} UTC · per ${report.range.bucket}`;
  if (!report.hasTelemetry) {
    return (
      <EmptyState title="No telemetry yet" data-testid="reports-empty">
        Reports are built from the energy telemetry devices send.{" "}
        <Link href="/devices" className="text-emerald-700 hover:underline">
          Enroll a device
        </Link>{" "}
        and deploy a model to it, or run{" "}
        <code className="rounded bg-slate-100 px-1">edgewatt-agent simulate</code> to send simulated telemetry
        from a virtual fleet.
      </EmptyState>
    );
  }
  return (
    <div className="flex flex-col gap-6" aria-busy={refreshing || undefined}>
      <section
        aria-label="Report overview"
        className="flex flex-wrap items-center gap-x-6 gap-y-2 text-sm text-slate-700"
        data-testid="report-overview"
      >
        <span>
          <span className="font-medium">Range:</span> {rangeText}
        </span>
        <span>
          <span className="font-medium">CO2e at:</span> {report.grid.gPerKwh} g/kWh ({report.grid.origin})
        </span>
        {report.bySource.length > 0 ? (
          <span className="inline-flex flex-wrap items-center gap-2">
            <span className="font-medium">Sources:</span>
            {report.bySource.map((s) => (
              <span key={s.source} className="inline-flex items-center gap-1">
                {s.source} <SourceBadge section={s} />
              </span>
            ))}
          </span>
        ) : null}
      </section>

      {report.notes.length > 0 ? (
        <div data-testid="report-notes">
          <Notice>
            <ul className="list-disc pl-5">
              {report.notes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          </Notice>
        </div>
      ) : null}

      {report.bySource.length === 0 && report.battery.length === 0 ? (
        <EmptyState title="No telemetry in this range" data-testid="reports-range-empty">
          Nothing matches this range and these filters. Pick a longer range or clear the filters.
        </EmptyState>
      ) : (
        report.bySource.map((section) => (
          <SourceSection key={section.source} report={report} section={section} />
        ))
      )}

      {report.battery.length > 0 || report.bySource.length > 0 ? <BatteryCard report={report} /> : null}
      <MethodsCard report={report} />
      <p className="text-xs text-slate-500">Generated {formatDateTime(report.generatedAt)} UTC.</p>
    </div>
  );
}
