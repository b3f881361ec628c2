/**
 * Savings against the always-fp32 baseline, per (source, device, model, variant), from the aggregates of
 * findReportSavingsInputs. Measured baseline when the device ran fp32 in the range (same source), modelled from the
 * ladder's energy ratio otherwise, unavailable when neither exists.
 */
import type { ReportSavingsRow } from "@edgewatt/db";
import type { EnergySource } from "@edgewatt/protocol";

export const BASELINE_METHODS = ["measured", "modelled", "unavailable"] as const;
export type BaselineMethod = (typeof BASELINE_METHODS)[number];

export interface SavingsRow {
  source: EnergySource;
  deviceId: string;
  deviceName: string | null;
  modelId: string | null;
  modelName: string | null;
  variant: string | null;
  baselineVariant: string;
  inferences: number;
  actualJ: number;
  baselineMethod: BaselineMethod;
  /** Baseline energy per inference (J); null when unavailable. */
  baselineJPerInference: number | null;
  /** Σ (baseline − actual) (J); null when unavailable. */
  savedJ: number | null;
  note: string | null;
}

export function computeSavings(row: ReportSavingsRow): SavingsRow {
  const base = {
    source: row.source,
    deviceId: row.deviceId,
    deviceName: row.deviceName,
    modelId: row.modelId,
    modelName: row.modelName,
    variant: row.variant,
    baselineVariant: row.baselineVariant,
    inferences: row.inferences,
    actualJ: row.actualJ,
  };
  if (row.modelId === null || row.variant === null) {
    return {
      ...base,
      baselineMethod: "unavailable",
      baselineJPerInference: null,
      savedJ: null,
      note: "The samples name no model or variant.",
    };
  }
  if (row.measuredBaselineJ !== null) {
    const isBaseline = row.variant === row.baselineVariant;
    return {
      ...base,
      baselineMethod: "measured",
      baselineJPerInference: row.measuredBaselineJ,
      // Σ (mean − x) over the baseline's own inferences is 0; say so exactly rather than as rounding noise.
      savedJ: isBaseline ? 0 : row.measuredBaselineJ * row.inferences - row.actualJ,
      note: null,
    };
  }
  if (
    row.baselineModelledJ !== null &&
    row.variantModelledJ !== null &&
    row.baselineModelledJ > 0 &&
    row.variantModelledJ > 0
  ) {
    const ratio = row.baselineModelledJ / row.variantModelledJ;
    const baselineJPerInference = (row.actualJ / row.inferences) * ratio;
    return {
      ...base,
      baselineMethod: "modelled",
      baselineJPerInference,
      savedJ: baselineJPerInference * row.inferences - row.actualJ,
      note: `This device did not run ${row.baselineVariant} in the range; baseline = measured mean × ${ratio.toPrecision(4)} (modelled ${row.baselineVariant} ÷ ${row.variant} energy).`,
    };
  }
  return {
    ...base,
    baselineMethod: "unavailable",
    baselineJPerInference: null,
    savedJ: null,
    note: `This device did not run ${row.baselineVariant} in the range and the ladder has no modelled energy for ${
      row.baselineModelledJ === null ? row.baselineVariant : row.variant
    }.`,
  };
}
