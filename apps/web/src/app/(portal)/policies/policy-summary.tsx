"use client";

import { ZStaticPolicyConfig } from "@edgewatt/protocol";
import type { ReactNode } from "react";
import type { RouterOutputs } from "@/server/trpc/root";
import { RULE_LABELS, type RuleKey, ruleHelp, WHEN_HEALTHY_LABELS } from "./policy-form";

type Policy = RouterOutputs["policies"]["get"];

/** A policy's settings, read-only, each with the same explanation the form shows. */
export function PolicySummary({ policy }: { policy: Policy }) {
  const rows: { label: string; value: ReactNode; help: string | undefined }[] = [];
  if (policy.rule) {
    const rule = policy.rule;
    const show: Record<RuleKey, ReactNode> = {
      minFidelity: rule.minFidelity,
      lowBatteryPct: `${rule.lowBatteryPct} %`,
      criticalBatteryPct: `${rule.criticalBatteryPct} %`,
      latencySloMs: rule.latencySloMs === null ? "no objective" : `${rule.latencySloMs} ms`,
      maxQueueDepth: rule.maxQueueDepth,
      degradablePriorities: rule.degradablePriorities.join(", ") || "none",
      whenHealthy: WHEN_HEALTHY_LABELS[rule.whenHealthy],
      threads: rule.threads,
      criticalThreads: rule.criticalThreads ?? "same as threads",
    };
    for (const key of Object.keys(RULE_LABELS) as RuleKey[]) {
      rows.push({ label: RULE_LABELS[key], value: show[key], help: ruleHelp(key) });
    }
    const { quietHours, carbon } = policy.schedule;
    rows.push({
      label: "Quiet hours (not acted on by agents yet)",
      value: quietHours ? `${quietHours.start}–${quietHours.end}` : "none",
      help: undefined,
    });
    rows.push({
      label: "Carbon-intensity signal (not acted on by agents yet)",
      value: carbon ? `above ${carbon.maxGramsPerKwh} gCO₂e/kWh in ${carbon.zone}` : "none",
      help: undefined,
    });
  }
  if (policy.static) {
    rows.push({
      label: "Variant",
      value: policy.static.variant ?? "the first on the ladder",
      help: ZStaticPolicyConfig.shape.variant.description,
    });
    rows.push({
      label: "Threads per inference",
      value: policy.static.threads,
      help: ZStaticPolicyConfig.shape.threads.description,
    });
  }
  return (
    <dl className="grid gap-4 sm:grid-cols-2" data-testid="policy-summary">
      {rows.map((r) => (
        <div key={r.label}>
          <dt className="text-sm font-medium text-slate-800">{r.label}</dt>
          <dd className="text-sm text-slate-900">{r.value}</dd>
          {r.help ? <dd className="text-xs text-slate-500">{r.help}</dd> : null}
        </div>
      ))}
    </dl>
  );
}
