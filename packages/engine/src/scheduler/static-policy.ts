/**
 * `static`: always the same variant and thread count. The variant is looked up by name on each request's ladder;
 * when it is not there (or none was named) the first ladder entry runs — reason "static-fallback" when a named
 * variant was missing, "static" otherwise.
 */
import { firstEntry } from "./ladder";
import type { ObservedState, PolicyIdentity, SchedulerDecision, SchedulerPolicy } from "./types";

export interface StaticPolicyOptions extends PolicyIdentity {
  variant?: string | undefined;
  threads: number;
}

export class StaticPolicy implements SchedulerPolicy {
  readonly mode = "static" as const;
  readonly policyId: string | null;
  readonly version: number | null;
  readonly variant: string | null;
  readonly threads: number;

  constructor(opts: StaticPolicyOptions) {
    this.variant = opts.variant ?? null;
    this.threads = opts.threads;
    this.policyId = opts.policyId ?? null;
    this.version = opts.version ?? null;
  }

  decide(state: ObservedState): SchedulerDecision {
    const { ladder } = state;
    if (this.variant !== null) {
      for (const entry of ladder) {
        if (entry.name === this.variant)
          return { variant: entry.name, threads: this.threads, reason: "static" };
      }
    }
    return {
      variant: firstEntry(ladder, "StaticPolicy").name,
      threads: this.threads,
      reason: this.variant === null ? "static" : "static-fallback",
    };
  }
}
