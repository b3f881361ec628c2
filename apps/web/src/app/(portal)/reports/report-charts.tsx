"use client";

import {
  Area,
  AreaChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { EmptyState } from "@/components/ui";
import { formatDateTime, formatJoules } from "@/lib/format";
import type { RouterOutputs } from "@/server/trpc/root";
import { energyScale, formatBucketTick } from "./report-format";

type Report = RouterOutputs["reports"]["fleet"];
type SourceReport = Report["bySource"][number];

const COLORS = ["#059669", "#2563eb", "#d97706", "#7c3aed", "#dc2626", "#0891b2", "#65a30d", "#db2777"];

function useAxis(report: Report) {
  const from = report.range.from.getTime();
  const to = report.range.to.getTime();
  return {
    domain: [from, to] as [number, number],
    tick: (ms: number) => formatBucketTick(ms, report.range.bucket, to - from),
  };
}

/** Energy per inference of each variant over time (one line per model variant), for one energy source. */
export function EnergyPerInferenceChart({ report, section }: { report: Report; section: SourceReport }) {
  const axis = useAxis(report);
  const { variants, points } = section.series;
  if (points.length === 0) {
    return (
      <EmptyState title="No inferences from this source in the range">
        Only periodic (whole-device) samples were reported.
      </EmptyState>
    );
  }
  const scale = energyScale(Math.max(...points.map((p) => p.energyJPerInference)));
  const rows = new Map<number, Record<string, number>>();
  for (const p of points) {
    const t = p.bucketStart.getTime();
    const row = rows.get(t) ?? { t };
    row[p.key] = p.energyJPerInference * scale.factor;
    rows.set(t, row);
  }
  const data = [...rows.values()].sort((a, b) => (a.t ?? 0) - (b.t ?? 0));
  return (
    <figure className="min-w-0 break-inside-avoid" data-testid="chart-energy-per-inference">
      <div className="h-64 w-full">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={data} margin={{ top: 10, right: 20, bottom: 5, left: 10 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis
              type="number"
              dataKey="t"
              scale="time"
              domain={axis.domain}
              tickFormatter={axis.tick}
              fontSize={12}
            />
            <YAxis
              fontSize={12}
              width={60}
              label={{ value: `${scale.unit} / inference`, angle: -90, position: "insideLeft", fontSize: 12 }}
            />
            <Tooltip
              labelFormatter={(t) => `${formatDateTime(new Date(Number(t)))} UTC`}
              formatter={(v) => formatJoules(Number(v) / scale.factor)}
            />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {variants.map((v, i) => (
              <Line
                key={v.key}
                type="monotone"
                dataKey={v.key}
                name={v.label}
                stroke={COLORS[i % COLORS.length]}
                strokeWidth={2}
                dot={data.length < 40}
                connectNulls
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="mt-1 text-xs text-slate-600">
        Energy per inference by variant, per {report.range.bucket} (UTC) · source: {section.label}
      </figcaption>
    </figure>
  );
}

/** Whole-device energy (periodic samples) and the part attributed to inferences, per bucket, for one source. */
export function TotalEnergyChart({ report, section }: { report: Report; section: SourceReport }) {
  const axis = useAxis(report);
  const energy = section.series.energy;
  const hasDevice = energy.some((e) => e.deviceEnergyJ !== null);
  const hasInferences = energy.some((e) => e.inferences > 0);
  const scale = energyScale(
    Math.max(...energy.map((e) => Math.max(e.deviceEnergyJ ?? 0, e.inferenceEnergyJ))),
  );
  const data = energy.map((e) => ({
    t: e.bucketStart.getTime(),
    device: e.deviceEnergyJ === null ? null : e.deviceEnergyJ * scale.factor,
    inference: e.inferenceEnergyJ * scale.factor,
  }));
  return (
    <figure className="min-w-0 break-inside-avoid" data-testid="chart-total-energy">
      <div className="h-64 w-full">
        <ResponsiveContainer width="100%" height="100%">
          <AreaChart data={data} margin={{ top: 10, right: 20, bottom: 5, left: 10 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis
              type="number"
              dataKey="t"
              scale="time"
              domain={axis.domain}
              tickFormatter={axis.tick}
              fontSize={12}
            />
            <YAxis
              fontSize={12}
              width={60}
              label={{
                value: `${scale.unit} per ${report.range.bucket}`,
                angle: -90,
                position: "insideLeft",
                fontSize: 12,
              }}
            />
            <Tooltip
              labelFormatter={(t) => `${formatDateTime(new Date(Number(t)))} UTC`}
              formatter={(v) => formatJoules(Number(v) / scale.factor)}
            />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {hasDevice ? (
              <Area
                type="monotone"
                dataKey="device"
                name="whole device (periodic samples)"
                stroke="#2563eb"
                fill="#2563eb"
                fillOpacity={0.15}
                connectNulls
                isAnimationActive={false}
              />
            ) : null}
            {hasInferences ? (
              <Area
                type="monotone"
                dataKey="inference"
                name="attributed to inferences (part of the total)"
                stroke="#059669"
                fill="#059669"
                fillOpacity={0.3}
                isAnimationActive={false}
              />
            ) : null}
          </AreaChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="mt-1 text-xs text-slate-600">
        Total energy per {report.range.bucket} (UTC) · source: {section.label}
        {hasDevice ? "" : " · no periodic samples: only inference energy is known"}
      </figcaption>
    </figure>
  );
}
