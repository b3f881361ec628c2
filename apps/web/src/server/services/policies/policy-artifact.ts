import type { EnergyPolicy } from "@edgewatt/db";
import type { PolicyArtifact } from "@edgewatt/protocol";
import { ServiceError } from "../../errors";
import { readPolicyPayload } from "./policy-view";

/**
 * The versioned artifact agents run for a stored policy: its mode's payload under the mode's key, the row's
 * version, and the time of that revision. A learned policy has no payload the portal can publish yet.
 */
export function toPolicyArtifact(row: EnergyPolicy): PolicyArtifact {
  const payload = readPolicyPayload(row);
  const header = {
    policyId: row.id,
    version: row.version,
    orgId: row.orgId,
    name: row.name,
    createdAt: row.updatedAt.getTime(),
  };
  if (row.mode === "rule" && payload.rule) {
    // Quiet hours are edited in the schedule section and run by the agent's rule policy.
    return {
      ...header,
      mode: "rule",
      rule: { ...payload.rule, quietHours: payload.schedule.quietHours ?? null },
    };
  }
  if (row.mode === "static" && payload.static) return { ...header, mode: "static", static: payload.static };
  throw new ServiceError(
    "CONFLICT",
    `Policy "${row.name}" is a learned policy without a trained artifact, so agents could not run it; attach a rule or static policy instead.`,
  );
}
