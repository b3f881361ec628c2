/**
 * Fleet energy reports: every figure is aggregated in Postgres (time buckets, percentiles, least-squares
 * battery trends), so a report never loads telemetry rows into the application. Each row carries the energy
 * source its figures come from: a sample of a simulated batch counts as `simulated` whatever meter it names,
 * and rows of different sources are never added together here.
 */
import type { EnergySource, PowerState } from "@edgewatt/protocol";
import { and, eq, gte, lt, type SQL, sql } from "drizzle-orm";
import type { Db } from "../client";
import {
  deviceGroups,
  devices,
  energyPolicies,
  models,
  modelVariants,
  orgs,
  telemetrySamples,
} from "../schema";

export const REPORT_BUCKET_UNITS = ["minute", "hour", "day"] as const;
export type ReportBucketUnit = (typeof REPORT_BUCKET_UNITS)[number];

/** Which samples a report covers: one org, `from` (inclusive) to `to` (exclusive), optional filters (ANDed). */
export type ReportScope = {
  orgId: string;
  from: Date;
  to: Date;
  groupId?: string;
  deviceId?: string;
  modelId?: string;
};

/** The org's samples in scope, with `source` = the energy source, or `simulated` for simulated batches. */
function scopedSamples(scope: ReportScope): SQL {
  const t = telemetrySamples;
  const where = and(
    eq(t.orgId, scope.orgId),
    gte(t.ts, scope.from),
    lt(t.ts, scope.to),
    scope.deviceId !== undefined ? eq(t.deviceId, scope.deviceId) : undefined,
    scope.modelId !== undefined ? eq(t.modelId, scope.modelId) : undefined,
    scope.groupId !== undefined
      ? sql`${t.deviceId} in (select ${devices.id} from ${devices} where ${devices.orgId} = ${scope.orgId} and ${devices.groupId} = ${scope.groupId})`
      : undefined,
  );
  return sql`select ${t.deviceId} as device_id, ${t.modelId} as model_id, ${t.variant} as variant,
      ${t.kind}::text as kind, ${t.energyJ} as energy_j, ${t.durationMs} as duration_ms, ${t.ok} as ok,
      ${t.ts} as ts, ${t.batteryPct}::float8 as battery_pct, ${t.powerState}::text as power_state,
      ${t.simulated} as simulated,
      case when ${t.simulated} then 'simulated' else ${t.energySource}::text end as source
    from ${t} where ${where}`;
}

/**
 * Per model: its baseline variant, the one a fleet would run without EdgeWatt. The variant named `fp32`, else the
 * original (no passes), else the first of its ladder.
 */
function baselineVariants(orgId: string): SQL {
  return sql`select distinct on (v.model_id) v.model_id, v.name
    from ${modelVariants} v
    where v.org_id = ${orgId}
    order by v.model_id, (v.name = 'fp32') desc, (jsonb_array_length(v.passes) = 0) desc, v.created_at, v.id`;
}

/** `jsonb -> key` as float8 when it holds a number, else null. */
function jsonNumber(json: SQL): SQL {
  return sql`case when jsonb_typeof(${json}) = 'number' then (${json})::text::float8 end`;
}

function bucketStartMs(unit: ReportBucketUnit): SQL {
  return sql`(extract(epoch from date_trunc(${unit}::text, s.ts, 'UTC')) * 1000)::float8`;
}

/** True when the org has any telemetry at all (for the report's empty state). */
export async function orgHasTelemetry(db: Db, orgId: string): Promise<boolean> {
  const res = await db.execute<{ any: boolean }>(
    sql`select exists (select 1 from ${telemetrySamples} where ${telemetrySamples.orgId} = ${orgId}) as "any"`,
  );
  return res.rows[0]?.any === true;
}

export type ReportInferenceBucketRow = {
  /** Start of the bucket, epoch ms (UTC). */
  bucketMs: number;
  source: EnergySource;
  modelId: string | null;
  modelName: string | null;
  variant: string | null;
  inferences: number;
  totalJ: number;
};

/** Inference samples per (time bucket, source, model, variant): count and energy. Ordered by time. */
export async function findReportInferenceSeries(
  db: Db,
  scope: ReportScope,
  unit: ReportBucketUnit,
): Promise<ReportInferenceBucketRow[]> {
  const res = await db.execute<ReportInferenceBucketRow>(sql`
    with s as (${scopedSamples(scope)})
    select ${bucketStartMs(unit)} as "bucketMs", s.source, s.model_id as "modelId", m.name as "modelName",
      s.variant, count(*)::int as inferences, sum(s.energy_j)::float8 as "totalJ"
    from s left join ${models} m on m.id = s.model_id and m.org_id = ${scope.orgId}
    where s.kind = 'inference'
    group by 1, 2, 3, 4, 5
    order by 1, 2, 3, 5`);
  return res.rows.map((r) => ({ ...r, bucketMs: Number(r.bucketMs) }));
}

export type ReportDeviceEnergyBucketRow = {
  bucketMs: number;
  source: EnergySource;
  /** Periodic samples: each covers all of a device's time (idle included). */
  samples: number;
  energyJ: number;
  durationMs: number;
};

/** Periodic samples (whole-device energy, idle included) per (time bucket, source). Ordered by time. */
export async function findReportDeviceEnergySeries(
  db: Db,
  scope: ReportScope,
  unit: ReportBucketUnit,
): Promise<ReportDeviceEnergyBucketRow[]> {
  const res = await db.execute<ReportDeviceEnergyBucketRow>(sql`
    with s as (${scopedSamples(scope)})
    select ${bucketStartMs(unit)} as "bucketMs", s.source, count(*)::int as samples,
      sum(s.energy_j)::float8 as "energyJ", sum(s.duration_ms)::float8 as "durationMs"
    from s
    where s.kind = 'periodic'
    group by 1, 2
    order by 1, 2`);
  return res.rows.map((r) => ({ ...r, bucketMs: Number(r.bucketMs) }));
}

export const REPORT_SUMMARY_LEVELS = ["source", "variant", "group"] as const;
export type ReportSummaryLevel = (typeof REPORT_SUMMARY_LEVELS)[number];

export type ReportInferenceSummaryRow = {
  /** `source`: all inferences of the source; `variant`: per model and variant; `group`: per device group. */
  level: ReportSummaryLevel;
  source: EnergySource;
  modelId: string | null;
  modelName: string | null;
  variant: string | null;
  groupId: string | null;
  groupName: string | null;
  policyName: string | null;
  /** The group's policy's latency SLO (ms), if it sets one. */
  sloMs: number | null;
  /** The group's policy's accuracy floor (fidelity), if it sets one. */
  minFidelity: number | null;
  /** The variant's fidelity (cosine to the original; the baseline variant is the reference, 1). */
  fidelity: number | null;
  inferences: number;
  failed: number;
  totalJ: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  /** Inferences on devices whose group policy sets a latency SLO, and how many of them were slower. */
  withSlo: number;
  sloViolations: number;
  /** Inferences on devices whose group policy sets an accuracy floor, by the fidelity of the variant that ran. */
  withFloor: number;
  aboveFloor: number;
  belowFloor: number;
  unknownFidelity: number;
};

/**
 * Inference figures per source, per (source, model, variant) and per (source, device group): counts, energy,
 * latency p50/p95 (percentile_cont over duration_ms), SLO violations against the device's current group policy,
 * and adherence to the policy's accuracy floor.
 */
export async function findReportInferenceSummary(
  db: Db,
  scope: ReportScope,
): Promise<ReportInferenceSummaryRow[]> {
  const res = await db.execute<ReportInferenceSummaryRow & { level: string }>(sql`
    with s as (${scopedSamples(scope)}),
    baseline as (${baselineVariants(scope.orgId)}),
    i as (
      select s.source, s.model_id, m.name as model_name, s.variant, s.energy_j, s.duration_ms, s.ok,
        d.group_id, g.name as group_name, p.name as policy_name,
        ${jsonNumber(sql`p.config -> 'latencySloMs'`)} as slo_ms,
        ${jsonNumber(sql`p.config -> 'minFidelity'`)} as min_fidelity,
        case when s.variant is not null and s.variant = coalesce(b.name, 'fp32') then 1.0::float8
          else ${jsonNumber(sql`v.metrics -> 'fidelity' -> 'cosine'`)} end as fidelity
      from s
      left join ${devices} d on d.id = s.device_id and d.org_id = ${scope.orgId}
      left join ${deviceGroups} g on g.id = d.group_id
      left join ${energyPolicies} p on p.id = g.policy_id
      left join ${models} m on m.id = s.model_id and m.org_id = ${scope.orgId}
      left join baseline b on b.model_id = s.model_id
      left join ${modelVariants} v on v.org_id = ${scope.orgId} and v.model_id = s.model_id and v.name = s.variant
      where s.kind = 'inference'
    )
    select
      case grouping(i.model_id, i.variant, i.group_id) when 7 then 'source' when 1 then 'variant' else 'group' end
        as level,
      i.source, i.model_id as "modelId", max(i.model_name) as "modelName", i.variant,
      i.group_id as "groupId", max(i.group_name) as "groupName", max(i.policy_name) as "policyName",
      case when grouping(i.group_id) = 0 then max(i.slo_ms) end as "sloMs",
      case when grouping(i.group_id) = 0 then max(i.min_fidelity) end as "minFidelity",
      case when grouping(i.variant) = 0 then max(i.fidelity) end as fidelity,
      count(*)::int as inferences,
      (count(*) filter (where not i.ok))::int as failed,
      sum(i.energy_j)::float8 as "totalJ",
      percentile_cont(0.5) within group (order by i.duration_ms) as "latencyP50Ms",
      percentile_cont(0.95) within group (order by i.duration_ms) as "latencyP95Ms",
      (count(*) filter (where i.slo_ms is not null))::int as "withSlo",
      (count(*) filter (where i.slo_ms is not null and i.duration_ms > i.slo_ms))::int as "sloViolations",
      (count(*) filter (where i.min_fidelity is not null))::int as "withFloor",
      (count(*) filter (where i.min_fidelity is not null and i.fidelity >= i.min_fidelity))::int as "aboveFloor",
      (count(*) filter (where i.min_fidelity is not null and i.fidelity < i.min_fidelity))::int as "belowFloor",
      (count(*) filter (where i.min_fidelity is not null and i.fidelity is null))::int as "unknownFidelity"
    from i
    group by grouping sets ((i.source), (i.source, i.model_id, i.variant), (i.source, i.group_id))
    order by i.source, level, max(i.model_name), i.model_id, i.variant, max(i.group_name), i.group_id`);
  return res.rows.map((r) => ({ ...r, level: r.level as ReportSummaryLevel }));
}

export type ReportSavingsRow = {
  source: EnergySource;
  deviceId: string;
  deviceName: string | null;
  modelId: string | null;
  modelName: string | null;
  variant: string | null;
  /** The model's baseline variant (`fp32`, else the original). */
  baselineVariant: string;
  inferences: number;
  actualJ: number;
  /** Mean energy of the baseline variant on this device, same source, in the range; null if it never ran. */
  measuredBaselineJ: number | null;
  /** Modelled energy per inference (model_variants.metrics.energyJPerInference) of the baseline and the variant. */
  baselineModelledJ: number | null;
  variantModelledJ: number | null;
};

/**
 * Inference energy per (source, device, model, variant) with what an always-baseline fleet would have used:
 * the measured mean of the baseline variant on the same device and source in the range, and the modelled
 * per-inference energies of both variants for when the device never ran the baseline.
 */
export async function findReportSavingsInputs(db: Db, scope: ReportScope): Promise<ReportSavingsRow[]> {
  const res = await db.execute<ReportSavingsRow>(sql`
    with s as (${scopedSamples(scope)}),
    baseline as (${baselineVariants(scope.orgId)}),
    agg as (
      select s.source, s.device_id, s.model_id, s.variant, count(*)::int as n, sum(s.energy_j)::float8 as total_j
      from s where s.kind = 'inference'
      group by 1, 2, 3, 4
    ),
    w as (
      select a.*, coalesce(b.name, 'fp32') as baseline_variant
      from agg a left join baseline b on b.model_id = a.model_id
    ),
    measured as (
      select w.source, w.device_id, w.model_id, w.total_j / w.n as j from w where w.variant = w.baseline_variant
    )
    select w.source, w.device_id as "deviceId", dv.name as "deviceName", w.model_id as "modelId",
      m.name as "modelName", w.variant, w.baseline_variant as "baselineVariant", w.n as inferences,
      w.total_j as "actualJ", mb.j as "measuredBaselineJ",
      ${jsonNumber(sql`bv.metrics -> 'energyJPerInference'`)} as "baselineModelledJ",
      ${jsonNumber(sql`vv.metrics -> 'energyJPerInference'`)} as "variantModelledJ"
    from w
    left join measured mb on mb.source = w.source and mb.device_id = w.device_id and mb.model_id = w.model_id
    left join ${modelVariants} bv
      on bv.org_id = ${scope.orgId} and bv.model_id = w.model_id and bv.name = w.baseline_variant
    left join ${modelVariants} vv on vv.org_id = ${scope.orgId} and vv.model_id = w.model_id and vv.name = w.variant
    left join ${devices} dv on dv.id = w.device_id and dv.org_id = ${scope.orgId}
    left join ${models} m on m.id = w.model_id and m.org_id = ${scope.orgId}
    order by w.source, dv.name nulls last, w.device_id, m.name nulls last, w.model_id, w.variant`);
  return res.rows;
}

export type ReportBatteryRow = {
  deviceId: string;
  deviceName: string | null;
  simulated: boolean;
  /** State of the device's last periodic sample in the range. */
  powerState: PowerState;
  batteryPct: number | null;
  lastAtMs: number;
  /** Least-squares slope of battery % over time (%/h) since the device last ran on battery without a break. */
  slopePctPerHour: number | null;
  /** Samples and time span of that fit. */
  fitSamples: number;
  fitFromMs: number | null;
  fitToMs: number | null;
};

/**
 * Per device with periodic samples in scope: its last state and the battery % trend (least squares, %/h) over
 * the periodic samples of its current stretch on battery. A sample's state is taken at the end of the period it
 * covers (ts + duration).
 */
export async function findReportBatteryTrends(db: Db, scope: ReportScope): Promise<ReportBatteryRow[]> {
  const res = await db.execute<ReportBatteryRow>(sql`
    with s as (${scopedSamples(scope)}),
    p as (
      select s.device_id, s.simulated, s.ts + s.duration_ms * interval '1 millisecond' as at, s.battery_pct,
        s.power_state
      from s where s.kind = 'periodic'
    ),
    latest as (
      select distinct on (p.device_id) p.device_id, p.simulated, p.at, p.battery_pct, p.power_state
      from p order by p.device_id, p.at desc
    ),
    off_battery as (
      select p.device_id, max(p.at) as since from p where p.power_state <> 'battery' group by p.device_id
    ),
    fit as (
      select p.device_id,
        regr_slope(p.battery_pct, (extract(epoch from p.at) / 3600.0)::float8) as slope,
        count(*)::int as n, min(p.at) as first_at, max(p.at) as last_at
      from p left join off_battery o on o.device_id = p.device_id
      where p.power_state = 'battery' and p.battery_pct is not null and (o.since is null or p.at > o.since)
      group by p.device_id
    )
    select l.device_id as "deviceId", d.name as "deviceName", l.simulated, l.power_state as "powerState",
      l.battery_pct as "batteryPct", (extract(epoch from l.at) * 1000)::float8 as "lastAtMs",
      f.slope::float8 as "slopePctPerHour", coalesce(f.n, 0)::int as "fitSamples",
      (extract(epoch from f.first_at) * 1000)::float8 as "fitFromMs",
      (extract(epoch from f.last_at) * 1000)::float8 as "fitToMs"
    from latest l
    left join fit f on f.device_id = l.device_id
    left join ${devices} d on d.id = l.device_id and d.org_id = ${scope.orgId}
    order by d.name nulls last, l.device_id`);
  return res.rows.map((r) => ({
    ...r,
    lastAtMs: Number(r.lastAtMs),
    fitFromMs: r.fitFromMs === null ? null : Number(r.fitFromMs),
    fitToMs: r.fitToMs === null ? null : Number(r.fitToMs),
  }));
}

export type ReportFilterOptions = {
  groups: { id: string; name: string }[];
  devices: { id: string; name: string; groupId: string | null }[];
  models: { id: string; name: string }[];
};

/** What a report can be filtered by: the org's groups, devices and models, by name. */
export async function findReportFilterOptions(db: Db, orgId: string): Promise<ReportFilterOptions> {
  const [groups, deviceRows, modelRows] = await Promise.all([
    db
      .select({ id: deviceGroups.id, name: deviceGroups.name })
      .from(deviceGroups)
      .where(eq(deviceGroups.orgId, orgId))
      .orderBy(deviceGroups.name),
    db
      .select({ id: devices.id, name: devices.name, groupId: devices.groupId })
      .from(devices)
      .where(eq(devices.orgId, orgId))
      .orderBy(devices.name, devices.id),
    db
      .select({ id: models.id, name: models.name })
      .from(models)
      .where(eq(models.orgId, orgId))
      .orderBy(models.name, models.id),
  ]);
  return { groups, devices: deviceRows, models: modelRows };
}

/** The org's grid carbon intensity setting (g CO2e/kWh), or null when it has none. */
export async function findOrgGridIntensity(db: Db, orgId: string): Promise<number | null> {
  const res = await db.execute<{ value: number | null }>(
    sql`select ${jsonNumber(sql`${orgs.settings} -> 'gridIntensityGPerKwh'`)} as value from ${orgs} where ${orgs.id} = ${orgId}`,
  );
  return res.rows[0]?.value ?? null;
}

/**
 * Sets (or, with null, removes) the org's grid carbon intensity, locking the org row; returns the value before
 * and after. Run it in the transaction that writes the audit entry.
 */
export async function setOrgGridIntensity(
  db: Db,
  orgId: string,
  value: number | null,
): Promise<{ previous: number | null; current: number | null }> {
  const locked = await db.execute<{ value: number | null }>(
    sql`select ${jsonNumber(sql`${orgs.settings} -> 'gridIntensityGPerKwh'`)} as value from ${orgs}
      where ${orgs.id} = ${orgId} for update`,
  );
  const previous = locked.rows[0]?.value ?? null;
  await db
    .update(orgs)
    .set({
      settings:
        value === null
          ? sql`${orgs.settings} - 'gridIntensityGPerKwh'`
          : sql`${orgs.settings} || jsonb_build_object('gridIntensityGPerKwh', ${value}::float8)`,
    })
    .where(eq(orgs.id, orgId));
  return { previous, current: value };
}
