/**
 * What the portal accepts as an energy policy, built from the agent's own schemas (`ZStaticPolicyConfig`,
 * `ZRuleConfig` in @edgewatt/protocol) so that a policy the portal saves is a policy the agent can run, and the
 * form explains each field with the protocol's `.describe()` texts. Used by the tRPC router (validation) and by
 * the policy form (explanations, defaults); imports nothing but zod and the protocol, so it runs in the browser.
 *
 * Quiet hours and a carbon-intensity signal live beside the rule under `schedule` (the form's own section). Quiet
 * hours are published in the artifact's rule (`quietHours`, acted on by the agent's scheduler); the carbon signal
 * is validated and stored, but agents do not act on it yet (they have no grid-intensity feed).
 */
import { SCHEDULER_MODES, ZQuietHours, ZRuleConfig, ZStaticPolicyConfig } from "@edgewatt/protocol";
import { z } from "zod";

/** Shown (and sent by the server) while no learned policy has been trained for the organization. */
export const LEARNED_POLICY_UNAVAILABLE =
  "Learned policies become available once a learned policy is trained from your fleet's telemetry; use a rule or static policy for now.";

export { type QuietHours, ZQuietHours } from "@edgewatt/protocol";

export const ZCarbonSignal = z
  .object({
    zone: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_-]{1,32}$/, "a grid zone code such as DE or US-CAL-CISO (letters, digits, - and _)")
      .describe("The electricity grid zone whose carbon intensity to follow, e.g. DE or US-CAL-CISO."),
    maxGramsPerKwh: z
      .number()
      .int("whole grams only")
      .min(1, "at least 1 gCO₂e/kWh")
      .max(2000, "at most 2000 gCO₂e/kWh")
      .describe(
        "Above this grid carbon intensity (gCO₂e/kWh), run the cheapest variant within the fidelity floor.",
      ),
  })
  .describe("Save energy while the grid's electricity is carbon-intensive.");
export type CarbonSignal = z.infer<typeof ZCarbonSignal>;

export const ZPolicySchedule = z.object({
  quietHours: ZQuietHours.nullable().default(null),
  carbon: ZCarbonSignal.nullable().default(null),
});
export type PolicySchedule = z.infer<typeof ZPolicySchedule>;

export const EMPTY_SCHEDULE: PolicySchedule = { quietHours: null, carbon: null };

const Name = z
  .string()
  .trim()
  .min(1, "give the policy a name")
  .max(120, "a name is at most 120 characters")
  .describe("Shown in the portal and sent to agents with the policy.");

const Description = z
  .string()
  .trim()
  .max(500, "a description is at most 500 characters")
  .nullish()
  .transform((v) => (v ? v : null))
  .describe("What the policy is for (optional; stays in the portal).");

/** A policy as the form submits it: name, description and the payload of its mode (under the mode's key). */
export const ZPolicyDraft = z.discriminatedUnion(
  "mode",
  [
    z.object({
      name: Name,
      description: Description,
      mode: z.literal("static"),
      static: ZStaticPolicyConfig,
    }),
    z.object({
      name: Name,
      description: Description,
      mode: z.literal("rule"),
      rule: ZRuleConfig,
      schedule: ZPolicySchedule.default(EMPTY_SCHEDULE),
    }),
    z.object({ name: Name, description: Description, mode: z.literal("learned") }),
  ],
  {
    error: (issue) =>
      issue.code === "invalid_union" ? `the mode must be one of ${SCHEDULER_MODES.join(", ")}` : undefined,
  },
);
export type PolicyDraft = z.infer<typeof ZPolicyDraft>;
export type PolicyDraftInput = z.input<typeof ZPolicyDraft>;

/** How a policy's `config` column is stored: the mode's payload under the mode's key, plus `schedule`. */
export const ZStoredPolicyConfig = z.object({
  static: ZStaticPolicyConfig.optional(),
  rule: ZRuleConfig.optional(),
  schedule: ZPolicySchedule.optional(),
});
export type StoredPolicyConfig = z.infer<typeof ZStoredPolicyConfig>;
