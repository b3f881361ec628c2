import type { EnergyPolicy } from "@edgewatt/db";

type EnergyPolicyConfig = EnergyPolicy["config"];

import {
  type RuleConfig,
  type SchedulerMode,
  type StaticPolicyConfig,
  ZRuleConfig,
  ZStaticPolicyConfig,
} from "@edgewatt/protocol";
import { EMPTY_SCHEDULE, type PolicySchedule, ZPolicySchedule, ZStoredPolicyConfig } from "./policy-input";

/** What the portal shows about a policy. Exactly the payload of its mode is set (none for `learned`). */
export interface PolicyView {
  id: string;
  name: string;
  description: string | null;
  mode: SchedulerMode;
  /** Revision number; the version of the artifact agents see. */
  version: number;
  static: StaticPolicyConfig | null;
  rule: RuleConfig | null;
  /** Quiet hours and carbon signal: saved and shown, not acted on by agents yet. */
  schedule: PolicySchedule;
  /** The groups that run this policy. */
  groups: { id: string; name: string }[];
  createdAt: Date;
  updatedAt: Date;
}

export interface PolicyPayload {
  static: StaticPolicyConfig | null;
  rule: RuleConfig | null;
  schedule: PolicySchedule;
}

/**
 * The typed payload of a stored policy. Rows written by the portal keep it under the mode's key; an older flat
 * config (`{ lowBatteryPct, staticVariant, … }`) is read as well as it can be, with the protocol's defaults.
 */
export function readPolicyPayload(row: Pick<EnergyPolicy, "mode" | "config">): PolicyPayload {
  const stored = ZStoredPolicyConfig.safeParse(row.config);
  const schedule = stored.success
    ? (stored.data.schedule ?? EMPTY_SCHEDULE)
    : (ZPolicySchedule.safeParse(row.config.schedule).data ?? EMPTY_SCHEDULE);
  if (row.mode === "rule") {
    const rule =
      (stored.success ? stored.data.rule : undefined) ??
      ZRuleConfig.safeParse(row.config).data ??
      ZRuleConfig.parse({});
    return { static: null, rule, schedule };
  }
  if (row.mode === "static") {
    const legacy = typeof row.config.staticVariant === "string" ? { variant: row.config.staticVariant } : {};
    const config =
      (stored.success ? stored.data.static : undefined) ??
      ZStaticPolicyConfig.safeParse(legacy).data ??
      ZStaticPolicyConfig.parse({});
    return { static: config, rule: null, schedule: EMPTY_SCHEDULE };
  }
  return { static: null, rule: null, schedule: EMPTY_SCHEDULE };
}

/** The `config` column for a payload: the mode's payload under its key, and the schedule for rule policies. */
export function toStoredConfig(
  mode: SchedulerMode,
  payload: { static?: StaticPolicyConfig; rule?: RuleConfig; schedule?: PolicySchedule },
): EnergyPolicyConfig {
  if (mode === "static" && payload.static) return { static: payload.static };
  if (mode === "rule" && payload.rule)
    return { rule: payload.rule, schedule: payload.schedule ?? EMPTY_SCHEDULE };
  return {};
}

export function toPolicyView(row: EnergyPolicy, groups: { id: string; name: string }[]): PolicyView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    mode: row.mode,
    version: row.version,
    ...readPolicyPayload(row),
    groups,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
