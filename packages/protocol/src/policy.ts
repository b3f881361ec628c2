/**
 * Scheduling policies as data: the rule thresholds a portal edits, and the versioned artifact the control plane
 * publishes (inline in a DEPLOY assignment, or under a POLICY KV key) for agents and the fleet simulator to run.
 * The policies themselves are evaluated by `@edgewatt/engine/scheduler`; this file only says what a valid one is.
 */
import { z } from "zod";
import { defineMessage } from "./codec";
import { PRIORITIES, SCHEDULER_MODES } from "./enums";

// Same rules as in messages.ts (kept private there; messages.ts imports this file, so it cannot import back).
const Id = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "ids are 1-128 chars of A-Z a-z 0-9 _ -");
const Timestamp = z.number().int().nonnegative().describe("epoch milliseconds");

/** Intra-op threads a policy may ask for; an agent further caps it at its own core count. */
export const MAX_POLICY_THREADS = 64;
const Threads = z.number().int().min(1).max(MAX_POLICY_THREADS);
const VariantName = z.string().min(1).max(64);

/** Cross-field checks run once every field is valid on its own, so one mistake gives one message. */
const CROSS_FIELD = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };

export const WHEN_HEALTHY = ["highest-quality", "cheapest-within-floor"] as const;
export type WhenHealthy = (typeof WHEN_HEALTHY)[number];

// ---------------------------------------------------------------- rule policy

const ClockTime = z
  .string()
  .trim()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "use a 24-hour time such as 22:00");

export const ZQuietHours = z
  .object({
    start: ClockTime.describe("When quiet hours begin, in the device's local time (24-hour HH:MM)."),
    end: ClockTime.describe(
      "When quiet hours end, in the device's local time; earlier than the start means the next morning.",
    ),
  })
  .refine((q) => q.start !== q.end, {
    path: ["end"],
    message: "quiet hours must end at a different time than they start",
  })
  .describe(
    "A daily window (e.g. 22:00–06:00) in which the policy saves energy even when nothing else calls for it, " +
      'as if "When healthy" were "cheapest within the fidelity floor".',
  );
export type QuietHours = z.infer<typeof ZQuietHours>;

/** Minutes after local midnight of an HH:MM time. */
export function clockMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** Whether `minutes` (after local midnight) falls in the window; a window past midnight wraps. */
export function inQuietHours(q: QuietHours, minutes: number): boolean {
  const start = clockMinutes(q.start);
  const end = clockMinutes(q.end);
  return start < end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
}

export const ZRuleConfig = z
  .object({
    minFidelity: z
      .number()
      .min(0)
      .max(1)
      .default(0.98)
      .describe(
        "Fidelity floor (0-1, 1 = identical to the original model). When the policy saves energy it only picks " +
          "variants measured at or above this; the original model always qualifies.",
      ),
    lowBatteryPct: z
      .number()
      .min(0)
      .max(100)
      .default(30)
      .describe(
        "On battery at or below this charge (%), run the cheapest variant within the fidelity floor.",
      ),
    criticalBatteryPct: z
      .number()
      .min(0)
      .max(100)
      .default(10)
      .describe(
        "On battery at or below this charge (%), the battery is critical: cheapest variant within the floor " +
          "(reported separately from low battery). Must not be above the low-battery level.",
      ),
    latencySloMs: z
      .number()
      .positive()
      .max(600_000)
      .nullable()
      .default(null)
      .describe(
        "Latency objective (ms). When the device's recent median latency is above it, run the fastest variant " +
          "within the floor. Empty = no objective.",
      ),
    maxQueueDepth: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(8)
      .describe("When more requests than this are waiting, run the cheapest variant within the floor."),
    degradablePriorities: z
      .array(z.enum(PRIORITIES))
      .max(PRIORITIES.length)
      .default(["normal", "background"])
      .describe(
        "Request priorities the policy may move to a cheaper variant. Requests of any other priority always " +
          "run the highest-quality variant with the critical thread count.",
      ),
    whenHealthy: z
      .enum(WHEN_HEALTHY)
      .default("highest-quality")
      .describe(
        "What to run when nothing calls for saving (mains power or enough charge, short queue, latency within " +
          "objective): the highest-quality variant, or the cheapest one within the fidelity floor.",
      ),
    threads: Threads.default(1).describe(
      "Intra-op threads per inference (1-64; the agent caps it at the device's cores).",
    ),
    criticalThreads: Threads.nullable()
      .default(null)
      .describe("Intra-op threads for non-degradable (critical) requests. Empty = same as threads."),
    quietHours: ZQuietHours.nullable()
      .default(null)
      .describe(
        "A daily window (e.g. 22:00–06:00, the device's local time) in which normal and background work run the " +
          "cheapest variant within the fidelity floor even when nothing else calls for saving. Empty = none.",
      ),
  })
  .superRefine((c, ctx) => {
    if (c.criticalBatteryPct > c.lowBatteryPct) {
      ctx.addIssue({
        code: "custom",
        path: ["criticalBatteryPct"],
        message: `critical battery level (${c.criticalBatteryPct}%) must not be above the low battery level (${c.lowBatteryPct}%)`,
      });
    }
    if (new Set(c.degradablePriorities).size !== c.degradablePriorities.length) {
      ctx.addIssue({
        code: "custom",
        path: ["degradablePriorities"],
        message: "each priority may be listed once",
      });
    }
  }, CROSS_FIELD);
export type RuleConfig = z.infer<typeof ZRuleConfig>;

// ---------------------------------------------------------------- static policy

export const ZStaticPolicyConfig = z.object({
  variant: VariantName.optional().describe(
    "Ladder variant to run. Empty (or not on the device's ladder) = the first variant, usually the original.",
  ),
  threads: Threads.default(1).describe("Intra-op threads per inference (1-64)."),
});
export type StaticPolicyConfig = z.infer<typeof ZStaticPolicyConfig>;

// ---------------------------------------------------------------- learned policy

/**
 * The observations a learned policy may weigh, in no particular order (an artifact lists the ones it uses).
 * The engine computes each one from the scheduler's observed state (`learnedFeatureValue`); all are small numbers:
 * - batteryFrac: battery charge / 100 (1 without a battery).
 * - onBattery: 1 when running on battery, else 0.
 * - batteryDeficit: on battery, 1 − charge/100; else 0 (how empty the battery is, only when it matters).
 * - drainRate: on battery, the discharge rate in %/h ÷ 100, capped at 1; else 0.
 * - queueDepth: waiting requests ÷ 8, capped at 4.
 * - priorityCritical / priorityNormal / priorityBackground: one-hot of the request's priority.
 * - latencyRatio: recent median latency ÷ the artifact's latencySloMs, capped at 4 (0 when either is unknown).
 */
export const LEARNED_FEATURES = [
  "batteryFrac",
  "onBattery",
  "batteryDeficit",
  "drainRate",
  "queueDepth",
  "priorityCritical",
  "priorityNormal",
  "priorityBackground",
  "latencyRatio",
] as const;
export type LearnedFeature = (typeof LEARNED_FEATURES)[number];

/**
 * `linear-q-v1`: one linear action-value function per action. For an observation x (the listed features, in
 * order), the value of action a is weights[a] · [x, 1] (the last weight is the bias); the policy runs the action
 * of highest value among those whose variant is on the device's ladder.
 */
export const ZLinearQConfig = z
  .object({
    format: z.literal("linear-q-v1"),
    features: z.array(z.enum(LEARNED_FEATURES)).max(LEARNED_FEATURES.length),
    actions: z
      .array(z.object({ variant: VariantName, threads: Threads }))
      .min(1)
      .max(256),
    weights: z.array(z.array(z.number().finite())),
    latencySloMs: z
      .number()
      .positive()
      .max(600_000)
      .nullable()
      .default(null)
      .describe("Latency objective the latencyRatio feature divides by (ms)."),
  })
  .superRefine(({ features, actions, weights }, ctx) => {
    if (new Set(features).size !== features.length) {
      ctx.addIssue({ code: "custom", path: ["features"], message: "features repeat" });
    }
    const seen = new Set<string>();
    actions.forEach((a, i) => {
      const key = `${a.variant}\u0000${a.threads}`;
      if (seen.has(key)) {
        ctx.addIssue({
          code: "custom",
          path: ["actions", i],
          message: `action ${a.variant} × ${a.threads} threads is listed twice`,
        });
      }
      seen.add(key);
    });
    if (weights.length !== actions.length) {
      ctx.addIssue({
        code: "custom",
        path: ["weights"],
        message: `weights has ${weights.length} rows but there are ${actions.length} actions (one row per action)`,
      });
    }
    weights.forEach((row, i) => {
      if (row.length !== features.length + 1) {
        ctx.addIssue({
          code: "custom",
          path: ["weights", i],
          message: `weights row ${i} has ${row.length} values; expected ${features.length + 1} (one per feature plus a bias)`,
        });
      }
    });
  }, CROSS_FIELD);
export type LinearQConfig = z.infer<typeof ZLinearQConfig>;

/** Every learned-policy format this build can run, told apart by `format`. */
export const ZLearnedPolicyConfig = z.discriminatedUnion("format", [ZLinearQConfig]);
export type LearnedPolicyConfig = z.infer<typeof ZLearnedPolicyConfig>;

// ---------------------------------------------------------------- artifact

/**
 * A versioned scheduling policy. `mode` says which payload it carries, and it carries exactly that one
 * (`static`, `rule` or `learned`). `version` counts revisions of the same `policyId`.
 */
export const ZPolicyArtifact = defineMessage({
  type: "policy.artifact",
  version: 1,
  schema: z
    .object({
      policyId: Id,
      version: z.number().int().min(1),
      orgId: Id,
      name: z.string().trim().min(1).max(120),
      mode: z.enum(SCHEDULER_MODES),
      static: ZStaticPolicyConfig.optional(),
      rule: ZRuleConfig.optional(),
      learned: ZLearnedPolicyConfig.optional(),
      createdAt: Timestamp,
    })
    .superRefine((a, ctx) => {
      if (a[a.mode] === undefined) {
        ctx.addIssue({
          code: "custom",
          path: [a.mode],
          message: `a ${a.mode} policy needs a "${a.mode}" payload`,
        });
      }
      // Each mode's payload sits under a key of the same name.
      for (const key of SCHEDULER_MODES) {
        if (key !== a.mode && a[key] !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: `a ${a.mode} policy must not carry a "${key}" payload (mode and payload disagree)`,
          });
        }
      }
    }, CROSS_FIELD),
});
export type PolicyArtifact = z.infer<typeof ZPolicyArtifact.schema>;
