"use client";

import type { ReactNode } from "react";
import { Badge, Card, EmptyState, Table, Td, Th } from "@/components/ui";
import { formatCount, formatDateTime, formatJoules, formatMs } from "@/lib/format";
import type { RouterOutputs } from "@/server/trpc/root";
import { EnergyPerInferenceChart, TotalEnergyChart } from "./report-charts";
import { formatGrams, formatHours, formatKwh, formatPct } from "./report-format";

type Report = RouterOutputs["reports"]["fleet"];
type SourceReport = Report["bySource"][number];
type Savings = SourceReport["savings"];

function Stat({
  label,
  value,
  detail,
  testId,
}: {
  label: string;
  value: ReactNode;
  detail?: ReactNode;
  testId?: string;
}) {
  return (
    <div className="rounded-md border border-slate-200 px-4 py-3 break-inside-avoid" data-testid={testId}>
      <p className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</p>
      <p className="mt-1 text-lg font-semibold tabular-nums text-slate-900">{value}</p>
      {detail ? <p className="mt-0.5 text-xs text-slate-600">{detail}</p> : null}
    </div>
  );
}

export function SourceBadge({ section }: { section: Pick<SourceReport, "source" | "simulated"> }) {
  return section.simulated ? (
    <Badge tone="amber">simulated</Badge>
  ) : (
    <Badge tone={section.source === "model" ? "blue" : "green"}>
      {section.source === "model" ? "modelled (no sensor)" : "measured"}
    </Badge>
  );
}

function MethodBadge({ method }: { method: Savings["method"] | Savings["rows"][number]["baselineMethod"] }) {
  const tone = method === "measured" ? "green" : method === "unavailable" ? "gray" : "blue";
  return <Badge tone={tone}>{method === "mixed" ? "measured + modelled" : method}</Badge>;
}

/** One energy source: its summary cards, charts and tables. Nothing here is added to another source. */
export function SourceSection({ report, section }: { report: Report; section: SourceReport }) {
  const s = section.summary;
  const sv = section.savings;
  return (
    <Card
      data-testid={`source-${section.source}`}
      className="break-inside-avoid-page"
      title={
        <span className="inline-flex flex-wrap items-center gap-2">
          Energy source: {section.label} <SourceBadge section={section} />
        </span>
      }
      description={
        section.simulated
          ? "Simulated by the fleet simulator: not a measurement of any device."
          : "Every figure in this section comes from this source only."
      }
    >
      <div className="flex flex-col gap-6">
        <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4" data-testid="summary-cards">
          <Stat
            label="Energy / inference"
            value={formatJoules(s.energyJPerInference)}
            detail={`${formatCount(s.inferences)} inferences${s.failed ? ` (${s.failed} failed)` : ""} · ${formatJoules(s.inferenceEnergyJ)} in all`}
            testId="stat-energy-per-inference"
          />
          <Stat
            label="Total energy (whole device)"
            value={s.deviceEnergyJ === null ? "—" : formatJoules(s.deviceEnergyJ)}
            detail={
              s.deviceEnergyJ === null
                ? "No periodic samples in the range."
                : `${formatKwh(s.deviceEnergyKwh)} · ${formatGrams(s.co2eG)} CO2e`
            }
            testId="stat-total-energy"
          />
          <Stat
            label="Saved vs always-fp32"
            value={sv.inferences.measured + sv.inferences.modelled > 0 ? formatJoules(sv.savedJ) : "—"}
            detail={
              s.inferences === 0 ? (
                "No inferences in the range."
              ) : sv.inferences.measured + sv.inferences.modelled === 0 ? (
                "No baseline: see the savings table."
              ) : (
                <span className="inline-flex flex-wrap items-center gap-1">
                  {formatPct(sv.savedShare)} of the baseline · {formatGrams(sv.savedCo2eG)} CO2e ·{" "}
                  <MethodBadge method={sv.method} />
                </span>
              )
            }
            testId="stat-savings"
          />
          <Stat
            label="Latency p50 / p95"
            value={s.inferences === 0 ? "—" : `${formatMs(s.latencyP50Ms)} / ${formatMs(s.latencyP95Ms)}`}
            detail={s.inferences === 0 ? "No inferences in the range." : "All inferences in the range."}
            testId="stat-latency"
          />
          <Stat
            label="SLO violations"
            value={
              s.inferences === 0
                ? "—"
                : s.slo.withSlo > 0
                  ? `${s.slo.violations} (${formatPct(s.slo.violationShare)})`
                  : "no SLO set"
            }
            detail={
              s.slo.withSlo > 0
                ? `of ${formatCount(s.slo.withSlo)} inferences with an SLO${s.slo.noSlo ? ` · ${s.slo.noSlo} without` : ""}`
                : s.inferences === 0
                  ? "No inferences in the range."
                  : "No group policy of these devices sets latencySloMs."
            }
            testId="stat-slo"
          />
          <Stat
            label="Accuracy floor adherence"
            value={
              s.inferences === 0
                ? "—"
                : s.adherence.withFloor > 0
                  ? formatPct(s.adherence.share)
                  : "no floor set"
            }
            detail={
              s.adherence.withFloor > 0
                ? `${s.adherence.aboveFloor} at or above, ${s.adherence.belowFloor} below the floor · ${s.adherence.unknownFidelity} unknown fidelity`
                : s.inferences === 0
                  ? "No inferences in the range."
                  : "No group policy of these devices sets minFidelity."
            }
            testId="stat-adherence"
          />
          <Stat
            label="CO2e (inference energy)"
            value={formatGrams(s.inferenceCo2eG)}
            detail={`at ${report.grid.gPerKwh} g/kWh`}
          />
        </div>

        <div className="grid gap-6 lg:grid-cols-2">
          <EnergyPerInferenceChart report={report} section={section} />
          <TotalEnergyChart report={report} section={section} />
        </div>

        <VariantsTable section={section} />
        <SavingsTable savings={sv} />
        <GroupsTable section={section} />
      </div>
    </Card>
  );
}

function VariantsTable({ section }: { section: SourceReport }) {
  if (section.variants.length === 0) return null;
  return (
    <div>
      <h3 className="mb-2 text-sm font-semibold">By variant</h3>
      <Table caption={`Inferences by variant, source ${section.source}`}>
        <thead>
          <tr>
            <Th>Model</Th>
            <Th>Variant</Th>
            <Th className="text-right">Fidelity</Th>
            <Th className="text-right">Inferences</Th>
            <Th className="text-right">Energy / inference</Th>
            <Th className="text-right">Energy</Th>
            <Th className="text-right">p50</Th>
            <Th className="text-right">p95</Th>
            <Th className="text-right">SLO violations</Th>
            <Th className="text-right">Below floor</Th>
          </tr>
        </thead>
        <tbody>
          {section.variants.map((v) => (
            <tr key={v.key} data-testid="variant-row">
              <Td>{v.modelName ?? v.modelId ?? "—"}</Td>
              <Td className="font-medium">{v.variant ?? "—"}</Td>
              <Td className="text-right tabular-nums">
                {v.fidelity === null ? "unknown" : v.fidelity.toFixed(4)}
              </Td>
              <Td className="text-right tabular-nums">{formatCount(v.inferences)}</Td>
              <Td className="text-right font-medium tabular-nums">{formatJoules(v.energyJPerInference)}</Td>
              <Td className="text-right tabular-nums">{formatJoules(v.totalJ)}</Td>
              <Td className="text-right tabular-nums">{formatMs(v.latencyP50Ms)}</Td>
              <Td className="text-right tabular-nums">{formatMs(v.latencyP95Ms)}</Td>
              <Td className="text-right tabular-nums">{v.slo.withSlo > 0 ? v.slo.violations : "—"}</Td>
              <Td className="text-right tabular-nums">
                {v.adherence.withFloor > 0 ? v.adherence.belowFloor : "—"}
              </Td>
            </tr>
          ))}
        </tbody>
      </Table>
    </div>
  );
}

function SavingsTable({ savings }: { savings: Savings }) {
  if (savings.rows.length === 0) return null;
  return (
    <div>
      <h3 className="mb-2 text-sm font-semibold">Savings against always-fp32, per device</h3>
      <Table caption="Savings per device, model and variant">
        <thead>
          <tr>
            <Th>Device</Th>
            <Th>Model</Th>
            <Th>Variant</Th>
            <Th className="text-right">Inferences</Th>
            <Th className="text-right">Actual</Th>
            <Th className="text-right">Baseline / inference</Th>
            <Th>Baseline</Th>
            <Th className="text-right">Saved</Th>
          </tr>
        </thead>
        <tbody>
          {savings.rows.map((r) => (
            <tr key={`${r.deviceId}/${r.modelId}/${r.variant}`} data-testid="savings-row">
              <Td>{r.deviceName ?? r.deviceId}</Td>
              <Td>{r.modelName ?? r.modelId ?? "—"}</Td>
              <Td className="font-medium">{r.variant ?? "—"}</Td>
              <Td className="text-right tabular-nums">{formatCount(r.inferences)}</Td>
              <Td className="text-right tabular-nums">{formatJoules(r.actualJ)}</Td>
              <Td className="text-right tabular-nums">{formatJoules(r.baselineJPerInference)}</Td>
              <Td>
                <span title={r.note ?? undefined}>
                  <MethodBadge method={r.baselineMethod} />
                </span>
              </Td>
              <Td className="text-right font-medium tabular-nums">{formatJoules(r.savedJ)}</Td>
            </tr>
          ))}
        </tbody>
      </Table>
      {savings.rows.some((r) => r.note) ? (
        <ul className="mt-2 list-disc pl-5 text-xs text-slate-600">
          {[...new Set(savings.rows.map((r) => r.note).filter(Boolean))].map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function GroupsTable({ section }: { section: SourceReport }) {
  if (section.groups.length === 0) return null;
  return (
    <div>
      <h3 className="mb-2 text-sm font-semibold">SLO and accuracy floor, per device group</h3>
      <Table caption="SLO and accuracy floor per device group">
        <thead>
          <tr>
            <Th>Group</Th>
            <Th>Policy</Th>
            <Th className="text-right">Inferences</Th>
            <Th className="text-right">Latency SLO</Th>
            <Th className="text-right">p50 / p95</Th>
            <Th className="text-right">SLO violations</Th>
            <Th className="text-right">Min fidelity</Th>
            <Th className="text-right">Adherence</Th>
          </tr>
        </thead>
        <tbody>
          {section.groups.map((g) => (
            <tr key={g.groupId ?? "none"} data-testid="group-row">
              <Td>{g.groupName ?? <span className="text-slate-500">no group</span>}</Td>
              <Td>{g.policyName ?? <span className="text-slate-500">none</span>}</Td>
              <Td className="text-right tabular-nums">{formatCount(g.inferences)}</Td>
              <Td className="text-right tabular-nums">
                {g.sloMs === null ? "no SLO set" : formatMs(g.sloMs)}
              </Td>
              <Td className="text-right tabular-nums">
                {formatMs(g.latencyP50Ms)} / {formatMs(g.latencyP95Ms)}
              </Td>
              <Td className="text-right tabular-nums">
                {g.slo.withSlo > 0 ? `${g.slo.violations} (${formatPct(g.slo.violationShare)})` : "—"}
              </Td>
              <Td className="text-right tabular-nums">{g.minFidelity ?? "no floor set"}</Td>
              <Td className="text-right tabular-nums">
                {g.adherence.withFloor > 0 ? (
                  <>
                    {formatPct(g.adherence.share)}
                    {g.adherence.unknownFidelity ? ` · ${g.adherence.unknownFidelity} unknown` : ""}
                  </>
                ) : (
                  "—"
                )}
              </Td>
            </tr>
          ))}
        </tbody>
      </Table>
    </div>
  );
}

const BATTERY_STATUS_LABEL: Record<Report["battery"][number]["status"], string> = {
  projected: "projected",
  "on-mains": "on mains",
  "not-draining": "not draining",
  "not-enough-data": "not enough data",
};

/** Battery-life projections, per device with periodic samples in the range. */
export function BatteryCard({ report }: { report: Report }) {
  return (
    <Card
      title="Battery life"
      description="Hours to empty at the current drain, from the least-squares battery trend of periodic samples."
      className="break-inside-avoid"
      data-testid="battery-card"
    >
      {report.battery.length === 0 ? (
        <EmptyState title="No periodic samples in this range">
          Devices report their battery level in periodic samples (every 10 s by default).
        </EmptyState>
      ) : (
        <Table caption="Battery-life projection per device">
          <thead>
            <tr>
              <Th>Device</Th>
              <Th>Status</Th>
              <Th className="text-right">Battery</Th>
              <Th className="text-right">Drain</Th>
              <Th className="text-right">Time to empty</Th>
              <Th>Empty at (UTC)</Th>
              <Th>Note</Th>
            </tr>
          </thead>
          <tbody>
            {report.battery.map((b) => (
              <tr key={b.deviceId} data-testid="battery-row">
                <Td>
                  <span className="font-medium">{b.deviceName ?? b.deviceId}</span>{" "}
                  {b.simulated ? <Badge tone="amber">simulated</Badge> : null}
                </Td>
                <Td>
                  <Badge
                    tone={b.status === "projected" ? "green" : b.status === "on-mains" ? "blue" : "gray"}
                  >
                    {BATTERY_STATUS_LABEL[b.status]}
                  </Badge>
                </Td>
                <Td className="text-right tabular-nums">
                  {b.batteryPct === null ? "—" : `${b.batteryPct.toFixed(1)} %`}
                </Td>
                <Td className="text-right tabular-nums">
                  {b.drainPctPerHour === null ? "—" : `${b.drainPctPerHour.toFixed(2)} %/h`}
                </Td>
                <Td className="text-right font-medium tabular-nums">{formatHours(b.hoursToEmpty)}</Td>
                <Td className="whitespace-nowrap font-mono text-xs">
                  {b.emptyAt ? formatDateTime(b.emptyAt) : "—"}
                </Td>
                <Td className="text-xs text-slate-600">{b.note}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </Card>
  );
}

/** How every figure is computed: the same text the API returns. */
export function MethodsCard({ report }: { report: Report }) {
  const m = report.methods;
  return (
    <Card title="How these figures are computed" className="break-inside-avoid" data-testid="methods-card">
      <dl className="grid gap-3 text-sm sm:grid-cols-[10rem_1fr]">
        {(
          [
            ["Energy sources", m.sources],
            ["Energy", m.energy],
            ["Savings", m.savings],
            ["Latency", m.latency],
            ["SLO", m.slo],
            ["Accuracy floor", m.adherence],
            ["Battery", m.battery],
            ["CO2e", m.co2e],
          ] as const
        ).map(([term, text]) => (
          <div key={term} className="contents">
            <dt className="font-medium text-slate-800">{term}</dt>
            <dd className="text-slate-700">{text}</dd>
          </div>
        ))}
      </dl>
    </Card>
  );
}
