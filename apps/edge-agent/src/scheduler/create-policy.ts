import type { DeploymentAssignment } from "@edgewatt/protocol";
import { StaticPolicy } from "./static-policy";
import type { SchedulerPolicy } from "./types";

export interface CreatePolicyResult {
  policy: SchedulerPolicy;
  /** Set when the assignment asked for a mode this agent cannot run yet and a static policy stands in. */
  fallbackReason?: string;
}

/** The policy an assignment asks for. Only `static` is implemented in this agent; other modes fall back to it. */
export function createPolicy(
  assignment: DeploymentAssignment,
  opts: { threads: number },
): CreatePolicyResult {
  const { mode, variant } = assignment.policy;
  const policy = new StaticPolicy({ variant, threads: opts.threads });
  if (mode === "static") return { policy };
  return {
    policy,
    fallbackReason: `policy mode "${mode}" is not supported by this agent yet; running ${variant ?? "the first ladder variant"} statically`,
  };
}
