/**
 * How every figure of a fleet report is computed, in words the report shows next to the figures (the page, the
 * API output and the printable view say the same thing).
 */
import type { GridIntensity } from "./grid-intensity";
import { MIN_FIT_SAMPLES, MIN_FIT_SPAN_MS } from "./project-battery";

export interface ReportMethods {
  sources: string;
  energy: string;
  savings: string;
  latency: string;
  slo: string;
  adherence: string;
  battery: string;
  co2e: string;
}

export function describeReportMethods(grid: GridIntensity): ReportMethods {
  const gridOrigin =
    grid.origin === "request"
      ? "set for this report"
      : grid.origin === "org"
        ? "your organization's setting"
        : "the default; an admin can set your grid's figure";
  return {
    sources:
      "Every figure belongs to one energy source (the meter that produced it) and figures of different sources are " +
      "never added together. Samples from the fleet simulator are always labelled simulated, whatever meter they name.",
    energy:
      "Total energy is the sum of periodic samples, which cover all of a device's time, idle included. Inference " +
      "energy is the part attributed to single inferences (inference samples): part of the total, never added to it. " +
      "Energy per inference = inference energy ÷ inferences.",
    savings:
      "Savings against an always-fp32 baseline, per device, model and energy source. Baseline J/inference is the mean " +
      "measured energy of that device's fp32 inferences (the model's original variant) in the range, from the same " +
      "source (measured baseline). If the device never ran fp32 in the range, it is the variant's measured mean × " +
      "(modelled J/inference of fp32 ÷ modelled J/inference of the variant, from the model's optimization ladder) " +
      "(modelled baseline). Savings = Σ (baseline − actual) over the inferences; inferences with neither are left out.",
    latency:
      "Latency p50/p95: percentile_cont (interpolated) over the duration of every inference in the range, failed ones included.",
    slo:
      "An inference violates the SLO when it took longer than latencySloMs of its device's group policy (the policy as it " +
      "is now). Inferences on devices without a group, or whose policy sets no SLO, are counted as “no SLO set”.",
    adherence:
      "Accuracy-floor adherence: among inferences on devices whose group policy sets minFidelity, the share that ran a " +
      "variant whose fidelity (cosine to the original, measured by the optimization job) is ≥ minFidelity; fp32 counts " +
      "as fidelity 1. Inferences on variants without a measured fidelity are counted separately, outside the share.",
    battery:
      "Battery life: for each device whose last periodic sample is on battery, the least-squares slope of battery % " +
      "over time (%/h) from its periodic samples since it last ran on mains in the range; hours to empty = current % " +
      `÷ drain. At least ${MIN_FIT_SAMPLES} samples over ${MIN_FIT_SPAN_MS / 60_000} minute are needed.`,
    co2e: `CO2e = energy in kWh × ${grid.gPerKwh} g CO2e/kWh (${gridOrigin}).`,
  };
}
