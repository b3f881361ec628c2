"use client";

import {
  CartesianGrid,
  Label,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { EmptyState } from "@/components/ui";
import type { RouterOutputs } from "@/server/trpc/root";

type LadderPoint = RouterOutputs["models"]["get"]["ladder"][number];

interface ChartPoint {
  name: string;
  x: number;
  y: number;
  onFront: boolean;
  xMethod: string;
  yMethod: string;
}

function pointsFor(ladder: LadderPoint[], axis: "energy" | "latency"): ChartPoint[] {
  const out: ChartPoint[] = [];
  for (const p of ladder) {
    const x = axis === "energy" ? p.energyJ : p.latencyMs;
    if (p.status !== "ready" || !p.quality || !x) continue;
    out.push({
      name: p.name,
      x: axis === "energy" ? x.value * 1000 : x.value,
      y: p.quality.value,
      onFront: p.front[axis],
      xMethod: x.method,
      yMethod: p.quality.method,
    });
  }
  return out;
}

function PointTooltip({ active, payload }: { active?: boolean; payload?: Array<{ payload: ChartPoint }> }) {
  const p = payload?.[0]?.payload;
  if (!active || !p) return null;
  return (
    <div className="max-w-xs rounded border border-slate-200 bg-white p-2 text-xs shadow">
      <p className="font-semibold">
        {p.name} {p.onFront ? <span className="text-emerald-700">· on the Pareto front</span> : null}
      </p>
      <p className="mt-1">
        x = {p.x.toPrecision(3)} — <span className="text-slate-600">{p.xMethod}</span>
      </p>
      <p className="mt-1">
        quality = {p.y.toPrecision(4)} — <span className="text-slate-600">{p.yMethod}</span>
      </p>
    </div>
  );
}

function Chart({
  points,
  xLabel,
  yLabel,
  testId,
}: {
  points: ChartPoint[];
  xLabel: string;
  yLabel: string;
  testId: string;
}) {
  const front = points.filter((p) => p.onFront).sort((a, b) => a.x - b.x);
  const rest = points.filter((p) => !p.onFront);
  return (
    <figure data-testid={testId} className="min-w-0">
      <div className="h-64 w-full">
        <ResponsiveContainer width="100%" height="100%">
          <ScatterChart margin={{ top: 10, right: 20, bottom: 30, left: 20 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis type="number" dataKey="x" name={xLabel} domain={["auto", "auto"]}>
              <Label value={xLabel} position="bottom" offset={10} />
            </XAxis>
            <YAxis type="number" dataKey="y" name={yLabel} domain={["auto", "auto"]}>
              <Label value={yLabel} angle={-90} position="left" />
            </YAxis>
            <Tooltip content={<PointTooltip />} />
            <Scatter name="other variants" data={rest} fill="#94a3b8" />
            <Scatter name="Pareto front" data={front} fill="#059669" line={{ stroke: "#059669" }} />
          </ScatterChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="mt-1 text-xs text-slate-600">
        {front.length > 0
          ? `On the front: ${front.map((p) => p.name).join(", ")}.`
          : "No variant has both figures yet."}
      </figcaption>
    </figure>
  );
}

/** Quality against energy per inference and against latency, the Pareto front highlighted. */
export function LadderCharts({ ladder }: { ladder: LadderPoint[] }) {
  const energy = pointsFor(ladder, "energy");
  const latency = pointsFor(ladder, "latency");
  if (energy.length === 0 && latency.length === 0) {
    return (
      <EmptyState title="Nothing to chart yet">
        Variants appear here once an optimization job has measured them (quality, energy and latency).
      </EmptyState>
    );
  }
  const kind =
    ladder.find((p) => p.quality)?.quality?.kind === "accuracy"
      ? "accuracy"
      : "fidelity (cosine to the original)";
  return (
    <div className="grid gap-6 lg:grid-cols-2">
      <Chart
        points={energy}
        xLabel="energy per inference (mJ, modelled)"
        yLabel={kind}
        testId="ladder-chart-energy"
      />
      <Chart
        points={latency}
        xLabel="latency p50 (ms, 1 thread)"
        yLabel={kind}
        testId="ladder-chart-latency"
      />
    </div>
  );
}
