/**
 * The fleet energy report of the actor's org over a time range: energy per inference and total energy over time
 * by variant, savings against an always-fp32 baseline, latency p50/p95 and SLO violations, accuracy-floor
 * adherence, battery-life projections and CO2e. All of it is aggregated in Postgres; what comes back is one
 * section per energy source (never summed across sources) plus the battery projections, each with its method.
 */
import {
  type Db,
  findDevice,
  findDeviceGroup,
  findModel,
  findOrgGridIntensity,
  findReportBatteryTrends,
  findReportDeviceEnergySeries,
  findReportInferenceSeries,
  findReportInferenceSummary,
  findReportSavingsInputs,
  orgHasTelemetry,
  type ReportBucketUnit,
  type ReportInferenceSummaryRow,
  type ReportScope,
} from "@edgewatt/db";
import { ENERGY_SOURCES, type EnergySource } from "@edgewatt/protocol";
import { energySourceLabel } from "../../../lib/energy-sources";
import { ServiceError } from "../../errors";
import { type Actor, requireRole } from "../actor";
import { type BaselineMethod, computeSavings, type SavingsRow } from "./compute-savings";
import { co2eGrams, type GridIntensity, joulesToKwh, resolveGridIntensity } from "./grid-intensity";
import { type BatteryProjection, projectBattery } from "./project-battery";
import type { ReportFilter } from "./report-input";
import { describeReportMethods, type ReportMethods } from "./report-methods";
import { BUCKET_MS, type ReportBucket, type ReportRange, resolveReportRange } from "./report-range";

export interface GetFleetReportOptions {
  db: Db;
  actor: Actor;
  range: ReportRange;
  filter?: ReportFilter;
  bucket?: ReportBucket;
  /** g CO2e/kWh for this report only; otherwise the org's setting, otherwise the default. */
  gridIntensityGPerKwh?: number;
  now?: Date;
}

export interface SloFigures {
  /** Inferences on devices whose group policy sets latencySloMs. */
  withSlo: number;
  violations: number;
  /** violations ÷ withSlo; null when no inference has an SLO. */
  violationShare: number | null;
  /** Inferences on devices without a group, or whose policy sets no SLO. */
  noSlo: number;
}

export interface AdherenceFigures {
  /** Inferences on devices whose group policy sets minFidelity. */
  withFloor: number;
  aboveFloor: number;
  belowFloor: number;
  /** Ran a variant without a measured fidelity: counted here, outside the share. */
  unknownFidelity: number;
  /** aboveFloor ÷ (aboveFloor + belowFloor); null when there is nothing to judge. */
  share: number | null;
  /** Inferences on devices whose policy sets no floor. */
  noFloor: number;
}

export interface LatencyFigures {
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

export interface SourceSummary extends LatencyFigures {
  inferences: number;
  failed: number;
  /** Energy attributed to inferences (J). */
  inferenceEnergyJ: number;
  energyJPerInference: number | null;
  /** Whole-device energy from periodic samples (J), idle included; null without periodic samples. */
  deviceEnergyJ: number | null;
  periodicSamples: number;
  deviceEnergyKwh: number | null;
  /** CO2e of the whole-device energy (g); null without periodic samples. */
  co2eG: number | null;
  /** CO2e of the inference energy (g). */
  inferenceCo2eG: number;
  slo: SloFigures;
  adherence: AdherenceFigures;
}

export interface VariantSummary extends LatencyFigures {
  key: string;
  modelId: string | null;
  modelName: string | null;
  variant: string | null;
  fidelity: number | null;
  inferences: number;
  failed: number;
  totalJ: number;
  energyJPerInference: number;
  slo: SloFigures;
  adherence: AdherenceFigures;
}

export interface GroupSummary extends LatencyFigures {
  groupId: string | null;
  groupName: string | null;
  policyName: string | null;
  sloMs: number | null;
  minFidelity: number | null;
  inferences: number;
  slo: SloFigures;
  adherence: AdherenceFigures;
}

export interface SavingsSummary {
  /** Σ (baseline − actual) over inferences with a baseline (J). */
  savedJ: number;
  baselineJ: number;
  /** Actual energy of the inferences with a baseline (J). */
  actualJ: number;
  /** savedJ ÷ baselineJ; null when nothing has a baseline. */
  savedShare: number | null;
  savedCo2eG: number;
  inferences: Record<BaselineMethod, number>;
  /** `measured`, `modelled`, `mixed` (some of each) or `unavailable`. */
  method: BaselineMethod | "mixed";
  rows: SavingsRow[];
}

export interface SeriesVariant {
  key: string;
  modelId: string | null;
  modelName: string | null;
  variant: string | null;
  label: string;
}

export interface VariantPoint {
  bucketStart: Date;
  key: string;
  inferences: number;
  totalJ: number;
  energyJPerInference: number;
}

export interface EnergyPoint {
  bucketStart: Date;
  /** Whole-device energy in the bucket (periodic samples); null when the bucket has none. */
  deviceEnergyJ: number | null;
  /** Mean power of the periodic samples in the bucket (W); null without them. */
  averageW: number | null;
  periodicSamples: number;
  inferenceEnergyJ: number;
  inferences: number;
}

export interface SourceReport {
  source: EnergySource;
  label: string;
  simulated: boolean;
  summary: SourceSummary;
  savings: SavingsSummary;
  variants: VariantSummary[];
  groups: GroupSummary[];
  series: { variants: SeriesVariant[]; points: VariantPoint[]; energy: EnergyPoint[] };
}

export interface FleetReport {
  generatedAt: Date;
  range: { from: Date; to: Date; bucket: ReportBucketUnit; bucketMs: number };
  filter: ReportFilter;
  /** False when the org has no telemetry at all, in any range. */
  hasTelemetry: boolean;
  /** Energy sources with samples in the range, in the protocol's order. */
  sources: EnergySource[];
  /** Things the reader must know before comparing figures (several sources, simulated or modelled data). */
  notes: string[];
  grid: GridIntensity;
  methods: ReportMethods;
  bySource: SourceReport[];
  battery: BatteryProjection[];
}

export async function getFleetReport(opts: GetFleetReportOptions): Promise<FleetReport> {
  const { db, actor } = opts;
  requireRole(actor, "viewer", "read reports");
  const range = resolveReportRange(opts.range, opts.bucket ?? "auto");
  const filter = definedFilter(opts.filter ?? {});
  await assertFilterInOrg(db, actor.orgId, filter);
  const scope: ReportScope = { orgId: actor.orgId, from: range.from, to: range.to, ...filter };

  // One snapshot for every aggregate, so the series, the summaries and the savings agree with each other.
  const data = await db.transaction(
    async (tx) => ({
      hasTelemetry: await orgHasTelemetry(tx, actor.orgId),
      orgGrid: await findOrgGridIntensity(tx, actor.orgId),
      inferenceSeries: await findReportInferenceSeries(tx, scope, range.bucket),
      energySeries: await findReportDeviceEnergySeries(tx, scope, range.bucket),
      summary: await findReportInferenceSummary(tx, scope),
      savings: await findReportSavingsInputs(tx, scope),
      battery: await findReportBatteryTrends(tx, scope),
    }),
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );

  const grid = resolveGridIntensity(opts.gridIntensityGPerKwh, data.orgGrid);
  const present = new Set<EnergySource>([
    ...data.inferenceSeries.map((r) => r.source),
    ...data.energySeries.map((r) => r.source),
  ]);
  const sources = ENERGY_SOURCES.filter((s) => present.has(s));
  const savingsRows = data.savings.map(computeSavings);

  const bySource = sources.map((source): SourceReport => {
    const summaryRows = data.summary.filter((r) => r.source === source);
    const total = summaryRows.find((r) => r.level === "source");
    const energyRows = data.energySeries.filter((r) => r.source === source);
    const periodicSamples = sum(energyRows.map((r) => r.samples));
    const deviceEnergyJ = periodicSamples > 0 ? sum(energyRows.map((r) => r.energyJ)) : null;
    const inferences = total?.inferences ?? 0;
    const inferenceEnergyJ = total?.totalJ ?? 0;
    return {
      source,
      label: energySourceLabel(source),
      simulated: source === "simulated",
      summary: {
        inferences,
        failed: total?.failed ?? 0,
        inferenceEnergyJ,
        energyJPerInference: inferences > 0 ? inferenceEnergyJ / inferences : null,
        deviceEnergyJ,
        periodicSamples,
        deviceEnergyKwh: deviceEnergyJ === null ? null : joulesToKwh(deviceEnergyJ),
        co2eG: deviceEnergyJ === null ? null : co2eGrams(deviceEnergyJ, grid),
        inferenceCo2eG: co2eGrams(inferenceEnergyJ, grid),
        latencyP50Ms: total?.latencyP50Ms ?? null,
        latencyP95Ms: total?.latencyP95Ms ?? null,
        slo: sloFigures(total),
        adherence: adherenceFigures(total),
      },
      savings: summarizeSavings(
        savingsRows.filter((r) => r.source === source),
        grid,
      ),
      variants: summaryRows.filter((r) => r.level === "variant").map(toVariantSummary),
      groups: summaryRows.filter((r) => r.level === "group").map(toGroupSummary),
      series: buildSeries(source, data.inferenceSeries, energyRows),
    };
  });

  return {
    generatedAt: opts.now ?? new Date(),
    range: { ...range, bucketMs: BUCKET_MS[range.bucket] },
    filter,
    hasTelemetry: data.hasTelemetry,
    sources,
    notes: reportNotes(sources, bySource),
    grid,
    methods: describeReportMethods(grid),
    bySource,
    battery: data.battery.map(projectBattery),
  };
}

/** A filter naming something that is not the org's is a mistake to point out, not an empty report. */
async function assertFilterInOrg(db: Db, orgId: string, filter: ReportFilter): Promise<void> {
  const missing = (what: string, id: string) =>
    new ServiceError(
      "NOT_FOUND",
      `${what} ${id} does not exist in your organization; pick one from the filters.`,
    );
  if (filter.groupId && !(await findDeviceGroup(db, orgId, filter.groupId)))
    throw missing("Device group", filter.groupId);
  if (filter.deviceId && !(await findDevice(db, orgId, filter.deviceId)))
    throw missing("Device", filter.deviceId);
  if (filter.modelId && !(await findModel(db, orgId, filter.modelId))) throw missing("Model", filter.modelId);
}

function definedFilter(filter: ReportFilter): ReportFilter {
  const out: ReportFilter = {};
  if (filter.groupId) out.groupId = filter.groupId;
  if (filter.deviceId) out.deviceId = filter.deviceId;
  if (filter.modelId) out.modelId = filter.modelId;
  return out;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

export function seriesKey(modelId: string | null, variant: string | null): string {
  return `${modelId ?? "?"}/${variant ?? "?"}`;
}

function sloFigures(row: ReportInferenceSummaryRow | undefined): SloFigures {
  const withSlo = row?.withSlo ?? 0;
  const violations = row?.sloViolations ?? 0;
  return {
    withSlo,
    violations,
    violationShare: withSlo > 0 ? violations / withSlo : null,
    noSlo: (row?.inferences ?? 0) - withSlo,
  };
}

function adherenceFigures(row: ReportInferenceSummaryRow | undefined): AdherenceFigures {
  const above = row?.aboveFloor ?? 0;
  const below = row?.belowFloor ?? 0;
  const withFloor = row?.withFloor ?? 0;
  return {
    withFloor,
    aboveFloor: above,
    belowFloor: below,
    unknownFidelity: row?.unknownFidelity ?? 0,
    share: above + below > 0 ? above / (above + below) : null,
    noFloor: (row?.inferences ?? 0) - withFloor,
  };
}

function toVariantSummary(row: ReportInferenceSummaryRow): VariantSummary {
  return {
    key: seriesKey(row.modelId, row.variant),
    modelId: row.modelId,
    modelName: row.modelName,
    variant: row.variant,
    fidelity: row.fidelity,
    inferences: row.inferences,
    failed: row.failed,
    totalJ: row.totalJ,
    energyJPerInference: row.totalJ / row.inferences,
    latencyP50Ms: row.latencyP50Ms,
    latencyP95Ms: row.latencyP95Ms,
    slo: sloFigures(row),
    adherence: adherenceFigures(row),
  };
}

function toGroupSummary(row: ReportInferenceSummaryRow): GroupSummary {
  return {
    groupId: row.groupId,
    groupName: row.groupName,
    policyName: row.policyName,
    sloMs: row.sloMs,
    minFidelity: row.minFidelity,
    inferences: row.inferences,
    latencyP50Ms: row.latencyP50Ms,
    latencyP95Ms: row.latencyP95Ms,
    slo: sloFigures(row),
    adherence: adherenceFigures(row),
  };
}

function summarizeSavings(rows: SavingsRow[], grid: GridIntensity): SavingsSummary {
  const inferences: Record<BaselineMethod, number> = { measured: 0, modelled: 0, unavailable: 0 };
  let savedJ = 0;
  let actualJ = 0;
  for (const r of rows) {
    inferences[r.baselineMethod] += r.inferences;
    if (r.savedJ === null) continue;
    savedJ += r.savedJ;
    actualJ += r.actualJ;
  }
  const baselineJ = actualJ + savedJ;
  const method =
    inferences.measured > 0 && inferences.modelled > 0
      ? "mixed"
      : inferences.measured > 0
        ? "measured"
        : inferences.modelled > 0
          ? "modelled"
          : "unavailable";
  return {
    savedJ,
    baselineJ,
    actualJ,
    savedShare: baselineJ > 0 ? savedJ / baselineJ : null,
    savedCo2eG: co2eGrams(savedJ, grid),
    inferences,
    method,
    rows,
  };
}

function buildSeries(
  source: EnergySource,
  inferenceRows: Awaited<ReturnType<typeof findReportInferenceSeries>>,
  energyRows: Awaited<ReturnType<typeof findReportDeviceEnergySeries>>,
): SourceReport["series"] {
  const variants = new Map<string, SeriesVariant>();
  const points: VariantPoint[] = [];
  const energy = new Map<number, EnergyPoint>();
  const energyAt = (bucketMs: number): EnergyPoint => {
    let p = energy.get(bucketMs);
    if (!p) {
      p = {
        bucketStart: new Date(bucketMs),
        deviceEnergyJ: null,
        averageW: null,
        periodicSamples: 0,
        inferenceEnergyJ: 0,
        inferences: 0,
      };
      energy.set(bucketMs, p);
    }
    return p;
  };
  for (const r of inferenceRows) {
    if (r.source !== source) continue;
    const key = seriesKey(r.modelId, r.variant);
    if (!variants.has(key)) {
      variants.set(key, {
        key,
        modelId: r.modelId,
        modelName: r.modelName,
        variant: r.variant,
        label: `${r.modelName ?? r.modelId ?? "unknown model"} · ${r.variant ?? "unknown variant"}`,
      });
    }
    points.push({
      bucketStart: new Date(r.bucketMs),
      key,
      inferences: r.inferences,
      totalJ: r.totalJ,
      energyJPerInference: r.totalJ / r.inferences,
    });
    const e = energyAt(r.bucketMs);
    e.inferenceEnergyJ += r.totalJ;
    e.inferences += r.inferences;
  }
  for (const r of energyRows) {
    const e = energyAt(r.bucketMs);
    e.deviceEnergyJ = r.energyJ;
    e.periodicSamples = r.samples;
    e.averageW = r.durationMs > 0 ? r.energyJ / (r.durationMs / 1000) : null;
  }
  return {
    variants: [...variants.values()].sort((a, b) => a.label.localeCompare(b.label)),
    points,
    energy: [...energy.values()].sort((a, b) => a.bucketStart.getTime() - b.bucketStart.getTime()),
  };
}

function reportNotes(sources: EnergySource[], bySource: SourceReport[]): string[] {
  const notes: string[] = [];
  if (sources.length > 1) {
    notes.push(
      `This range holds figures from ${sources.length} energy sources (${sources.join(", ")}). Each is shown on its own and they are never added together: compare them only with care.`,
    );
  }
  if (sources.includes("simulated")) {
    notes.push(
      "Figures labelled simulated come from the fleet simulator (edgewatt-agent simulate), not from a device's meter.",
    );
  }
  if (sources.includes("model")) {
    notes.push(
      "Figures from the model meter are estimates (CPU time × a device power profile), not measurements: the devices have no energy sensor.",
    );
  }
  if (bySource.some((s) => s.savings.inferences.modelled > 0)) {
    notes.push(
      "Some savings use a modelled baseline: those devices did not run fp32 in this range, so the ladder's modelled energy ratio stands in for it.",
    );
  }
  return notes;
}
