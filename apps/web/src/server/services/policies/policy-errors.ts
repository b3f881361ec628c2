import { ConflictError } from "@edgewatt/db";
import { ServiceError } from "../../errors";
import { LEARNED_POLICY_UNAVAILABLE, type PolicyDraft } from "./policy-input";

/** Learned policies need a trained artifact; none can be trained yet, so the portal refuses the mode. */
export function requireRunnableMode(
  draft: PolicyDraft,
): asserts draft is Exclude<PolicyDraft, { mode: "learned" }> {
  if (draft.mode === "learned") throw new ServiceError("BAD_REQUEST", LEARNED_POLICY_UNAVAILABLE);
}

/** For `.catch()` after a write that may hit the org's unique policy name. */
export function rethrowNameTaken(name: string): (err: unknown) => never {
  return (err: unknown) => {
    if (err instanceof ConflictError && err.constraint === "energy_policies_org_name_uq") {
      throw new ServiceError(
        "CONFLICT",
        `A policy named "${name}" already exists in your organization; choose another name.`,
        { cause: err },
      );
    }
    throw err;
  };
}
