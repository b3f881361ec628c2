/** Human-readable summary of an optimizeModel result for the CLI. */
import { latencyKeys } from "../eval/figures";
import type { OptimizeResult, VariantResult } from "../optimize/result";
import { formatBytes } from "./format";

function describeFigures(v: VariantResult | OptimizeResult["dropped"][number], threads: number[]): string[] {
  const f = v.figures;
  const r = v.ratios;
  const parts = [`${formatBytes(v.sizeBytes).padStart(10)} (×${(r.sizeBytes ?? 1).toFixed(3)})`];
  if (f.accuracy) parts.push(`acc ${(f.accuracy.value * 100).toFixed(2)}%`);
  if (f.nllNats)
    parts.push(`NLL ${f.nllNats.value.toFixed(4)}${r.nllNats ? ` (×${r.nllNats.toFixed(4)})` : ""}`);
  if (f.reconstructionMse)
    parts.push(
      `MSE ${f.reconstructionMse.value.toPrecision(4)}${r.reconstructionMse ? ` (×${r.reconstructionMse.toFixed(4)})` : ""}`,
    );
  if (f.top1Agreement) parts.push(`top-1 agree ${(f.top1Agreement.value * 100).toFixed(1)}%`);
  if (f.spearmanRho) parts.push(`ρ ${f.spearmanRho.value.toFixed(4)}`);
  if (f.cosine) parts.push(`cos ${f.cosine.value.toFixed(5)}`);
  if (f.klDivergence) parts.push(`KL ${f.klDivergence.value.toPrecision(3)}`);
  for (const t of threads) {
    const k = latencyKeys(t);
    const p50 = f[k.p50];
    if (p50)
      parts.push(`p50@${t}t ${p50.value.toFixed(3)} ms${r[k.p50] ? ` (×${r[k.p50]?.toFixed(2)})` : ""}`);
  }
  const first = threads[0];
  const energy = first !== undefined ? f[latencyKeys(first).energy] : undefined;
  if (energy) parts.push(`≈${(energy.value * 1000).toFixed(3)} mJ/inf (modelled)`);
  return parts;
}

export function formatOptimizeResult(result: OptimizeResult, outDir: string): string {
  const threads = result.settings?.threads ?? [];
  const lines = [`wrote ${result.variants.length} variant(s) and report.json to ${outDir}`];
  for (const v of [result.baseline, ...result.variants]) {
    lines.push(`  ${v.name.padEnd(14)} ${describeFigures(v, threads).join("  ")}`);
  }
  for (const d of result.dropped) lines.push(`  DROPPED ${d.name}: ${d.reason}`);
  for (const s of result.skipped) lines.push(`  skipped ${s.name}: ${s.reason}`);
  for (const f of result.failures) lines.push(`  FAILED ${f.name} at ${f.pass} [${f.code}]: ${f.error}`);
  if (result.data.evaluation?.synthetic) lines.push("  (figures measured on synthetic inputs)");
  return lines.join("\n");
}
