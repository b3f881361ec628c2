/**
 * Recipes: a recipe entry is a pass name, several joined with '+' (chained), or `auto` — the standard
 * ladder: int8-dynamic, int8-static, int4 (only where MatMul/Gemm carry most of the MACs) and fp16, each
 * built from the fp32 original. Passes are looked up by name when the variant is built, so a ladder pass
 * that is not registered fails its variant (PASS_UNKNOWN) instead of the whole call.
 */
import type { ModelSummary } from "../onnx/inspect";
import { findPass } from "../passes/registry";

export const AUTO_RECIPE = "auto";

/** Share of the model's MACs in MatMul/Gemm from which the int4 rung is built. */
export const INT4_MIN_MATMUL_SHARE = 0.5;

export const LADDER = [
  { pass: "quantize-dynamic-int8", variant: "int8-dynamic" },
  { pass: "quantize-static-int8", variant: "int8-static" },
  { pass: "quantize-int4", variant: "int4", needsMatMulShare: INT4_MIN_MATMUL_SHARE },
  { pass: "fp16", variant: "fp16" },
] as const;

export interface PlannedVariant {
  /** Pass names, applied in order to the original. */
  passes: string[];
  /** The variant's name when its passes are unknown (otherwise the passes' variant names decide). */
  fallbackName: string;
  /** Part of the `auto` ladder (subject to the keep-or-drop rule after measurement). */
  fromLadder: boolean;
}

export interface SkippedVariant {
  name: string;
  passes: string[];
  reason: string;
}

/** Share of MACs in MatMul, Gemm and MatMulInteger (0 when the model has no counted MACs). */
export function getMatMulShare(summary: Pick<ModelSummary, "macs" | "macsByOp">): number {
  if (summary.macs <= 0) return 0;
  const byOp = summary.macsByOp;
  return ((byOp.MatMul ?? 0) + (byOp.Gemm ?? 0) + (byOp.MatMulInteger ?? 0)) / summary.macs;
}

/** True for `auto` and for entries whose passes are all registered. */
export function isKnownRecipeEntry(entry: string): boolean {
  return entry === AUTO_RECIPE || splitEntry(entry).every((p) => findPass(p) !== undefined);
}

export function splitEntry(entry: string): string[] {
  return entry
    .split("+")
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

const expectedName = (pass: string) => LADDER.find((r) => r.pass === pass)?.variant ?? pass;

/** Expands `auto` and removes duplicate entries; ladder rungs that do not fit the model are `skipped`. */
export function planRecipe(
  recipe: readonly string[],
  summary: Pick<ModelSummary, "macs" | "macsByOp">,
): { planned: PlannedVariant[]; skipped: SkippedVariant[] } {
  const planned: PlannedVariant[] = [];
  const skipped: SkippedVariant[] = [];
  const seen = new Set<string>();
  const add = (passes: string[], fromLadder: boolean) => {
    const key = passes.join("+");
    if (seen.has(key)) return;
    seen.add(key);
    planned.push({ passes, fallbackName: passes.map(expectedName).join("-") || key, fromLadder });
  };
  for (const entry of recipe) {
    if (entry.trim() !== AUTO_RECIPE) {
      add(splitEntry(entry), false);
      continue;
    }
    const share = getMatMulShare(summary);
    for (const rung of LADDER) {
      if ("needsMatMulShare" in rung && share < rung.needsMatMulShare) {
        skipped.push({
          name: rung.variant,
          passes: [rung.pass],
          reason: `MatMul/Gemm carry ${(share * 100).toFixed(1)} % of the MACs (the ${rung.variant} rung needs ≥ ${rung.needsMatMulShare * 100} %)`,
        });
        continue;
      }
      add([rung.pass], true);
    }
  }
  return { planned, skipped };
}

/**
 * The ladder's keep-or-drop rule: a variant slower than the baseline (1-thread p50) without being smaller
 * is dropped. Returns the reason, or undefined to keep it.
 */
export function getDropReason(
  variant: { sizeBytes: number; p50Ms?: number },
  baseline: { sizeBytes: number; p50Ms?: number },
  threads: number,
): string | undefined {
  if (variant.p50Ms === undefined || baseline.p50Ms === undefined) return undefined;
  if (variant.p50Ms <= baseline.p50Ms || variant.sizeBytes < baseline.sizeBytes) return undefined;
  return (
    `slower than the baseline at ${threads} thread(s) (p50 ${variant.p50Ms.toFixed(3)} ms vs ${baseline.p50Ms.toFixed(3)} ms) ` +
    `without being smaller (${variant.sizeBytes} vs ${baseline.sizeBytes} bytes)`
  );
}
