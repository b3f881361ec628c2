/**
 * Canary guard for staged rollouts: every interval, each rollout still in `canary` is measured from the canary
 * devices' telemetry since it started (their inferences of the rolled-out model) and compared with the baseline
 * taken before it (the same devices' previous inferences). Past a threshold — failed-inference share above
 * maxErrorRate, or energy per inference more than maxEnergyRegressionPct above the baseline in the same energy
 * source — the rollout is halted and rolled back: each canary device gets its previous assignment back in KV
 * DEPLOY (or none), the rollout's deployments become `rolled_back` and the ones they replaced `active` again.
 * Energy is only compared within one source; a canary measured with another source than its baseline is judged
 * on errors alone and the evaluation says so.
 */
import {
  type Db,
  findCanaryRollouts,
  measureDevices,
  type Rollout,
  rollBackDeployments,
  updateRollout,
  writeAudit,
} from "@edgewatt/db";
import type { RolloutEvaluation } from "@edgewatt/db/schema";
import { type Logger, type NatsConnection, restoreDeviceAssignments } from "@edgewatt/nats";
import { errorMessage } from "../log";

export interface RolloutStats {
  readonly evaluations: number;
  readonly rolledBack: number;
  readonly errors: number;
}

export interface RolloutEvaluator {
  stats: RolloutStats;
  /** Runs one pass now (tests; the timer runs them otherwise). */
  runOnce(now?: Date): Promise<void>;
  stop(): Promise<void>;
}

export function startRolloutEvaluator(opts: {
  db: Db;
  nc: NatsConnection;
  log: Logger;
  intervalMs?: number;
}): RolloutEvaluator {
  const stats = { evaluations: 0, rolledBack: 0, errors: 0 };
  let running: Promise<void> | null = null;
  const runOnce = (now = new Date()) => {
    running ??= (async () => {
      for (const rollout of await findCanaryRollouts(opts.db)) {
        try {
          const result = await evaluateRollout({ db: opts.db, nc: opts.nc, rollout, now });
          stats.evaluations++;
          if (result === "rolled_back") {
            stats.rolledBack++;
            opts.log.warn(
              { rolloutId: rollout.id, orgId: rollout.orgId },
              "canary regressed; rollout rolled back",
            );
          }
        } catch (err) {
          stats.errors++;
          opts.log.error({ rolloutId: rollout.id, err: errorMessage(err) }, "rollout evaluation failed");
        }
      }
    })().finally(() => {
      running = null;
    });
    return running;
  };
  const timer = setInterval(() => {
    runOnce().catch((err: unknown) => {
      stats.errors++;
      opts.log.error({ err: errorMessage(err) }, "rollout evaluation pass failed");
    });
  }, opts.intervalMs ?? 30_000);
  return {
    stats,
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** Judges the canary of one rollout; rolls it back when it regressed. */
export async function evaluateRollout(opts: {
  db: Db;
  nc: NatsConnection;
  rollout: Rollout;
  now: Date;
}): Promise<"waiting" | "healthy" | "rolled_back" | "skipped"> {
  const { db, rollout, now } = opts;
  const canary = await measureDevices(db, rollout.orgId, rollout.canaryDeviceIds, {
    from: rollout.createdAt,
    to: now,
    modelId: rollout.modelId,
  });
  // What calls for a rollback, and what only describes the canary; the evaluation lists both, in this order.
  const reasons: string[] = [];
  const regressions: string[] = [];
  const regressed = (why: string) => {
    regressions.push(why);
    reasons.push(why);
  };
  const waiting = canary.samples < rollout.minCanarySamples;
  if (waiting) {
    reasons.push(`${canary.samples} of ${rollout.minCanarySamples} canary inferences so far`);
  } else {
    if (canary.errorRate !== null && canary.errorRate > rollout.maxErrorRate) {
      regressed(
        `error rate ${(100 * canary.errorRate).toFixed(1)} % is above the ${(100 * rollout.maxErrorRate).toFixed(1)} % limit`,
      );
    }
    const base = rollout.baseline;
    if (base?.energyJPerInference && canary.energyJPerInference !== null) {
      if (base.source !== canary.source) {
        reasons.push(
          `energy not compared: the baseline was measured with ${base.source}, the canary with ${canary.source}`,
        );
      } else {
        const change =
          (100 * (canary.energyJPerInference - base.energyJPerInference)) / base.energyJPerInference;
        if (change > rollout.maxEnergyRegressionPct) {
          regressed(
            `energy per inference ${change.toFixed(1)} % above the baseline (${canary.source}), over the ${rollout.maxEnergyRegressionPct} % limit`,
          );
        } else {
          reasons.push(
            `energy per inference ${change >= 0 ? "+" : ""}${change.toFixed(1)} % vs the baseline (${canary.source})`,
          );
        }
      }
    } else {
      reasons.push("no energy baseline: judged on errors only");
    }
  }
  const verdict: RolloutEvaluation["verdict"] = waiting
    ? "waiting"
    : regressions.length > 0
      ? "regressed"
      : "healthy";
  const evaluation: RolloutEvaluation = { at: now.toISOString(), canary, verdict, reasons };
  if (verdict !== "regressed") {
    const updated = await updateRollout(db, rollout.orgId, rollout.id, "canary", {
      lastEvaluation: evaluation,
    });
    return updated ? verdict : "skipped";
  }

  // Claim the rollout first (canary → rolled_back), so a promotion racing with this cannot also act on it.
  const reason = `automatic rollback: ${regressions.join("; ")}`;
  const claimed = await updateRollout(db, rollout.orgId, rollout.id, "canary", {
    status: "rolled_back",
    lastEvaluation: evaluation,
    reason,
    finishedAt: now,
  });
  if (!claimed) return "skipped";
  const reactivate = await restoreDeviceAssignments(
    opts.nc,
    rollout.orgId,
    rollout.previousAssignments,
    rollout.canaryDeviceIds,
  );
  await rollBackDeployments(db, rollout.orgId, Object.values(rollout.deploymentIds), reactivate);
  await writeAudit(db, {
    orgId: rollout.orgId,
    actorUserId: null,
    action: "rollout.rollback",
    targetType: "rollout",
    targetId: rollout.id,
    details: { reason, canary: evaluation.canary, baseline: rollout.baseline },
  });
  return "rolled_back";
}
