import type { ObservedState, SchedulerDecision, SchedulerPolicy } from "./types";

/** Always the same variant (falling back to the first on the ladder when it is absent) and thread count. */
export class StaticPolicy implements SchedulerPolicy {
  readonly mode = "static" as const;

  constructor(private readonly opts: { variant?: string | undefined; threads: number }) {}

  decide(state: ObservedState): SchedulerDecision {
    const wanted = this.opts.variant ? state.ladder.find((v) => v.name === this.opts.variant) : undefined;
    const chosen = wanted ?? state.ladder[0];
    if (!chosen) throw new Error("StaticPolicy: the ladder is empty");
    return { variant: chosen.name, threads: this.opts.threads };
  }
}
