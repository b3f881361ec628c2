/**
 * A hardware meter with the `model` meter behind it. When the sensor cannot be read (METER_UNREADABLE: a sysfs
 * file vanished, permissions changed, a driver hiccup) the work still runs and is measured by the model meter —
 * each measurement carries the source it really came from, so reports never mix sources silently. After
 * `maxFailures` failures in a row the agent stops trying the sensor for `retryAfterMs`, then tries it again.
 * The work runs exactly once whatever fails, and its result is never lost to a meter error.
 */

import { modelEnergyJoules } from "@edgewatt/engine/energy";
import type { Logger } from "@edgewatt/nats";
import { errorMessage } from "../errors";
import type { ModelMeter } from "./model-meter";
import type { EnergyMeter, Measurement } from "./types";

export interface MeterHealth {
  primary: string;
  /** Measurements the fallback took because the primary could not be read. */
  fallbacks: number;
  /** Set while the primary is being skipped: since when and why. */
  degraded: { since: string; reason: string } | null;
}

export interface ResilientMeter extends EnergyMeter {
  readonly health: MeterHealth;
}

export function createResilientMeter(
  primary: EnergyMeter,
  fallback: ModelMeter,
  opts: { log: Logger; maxFailures?: number; retryAfterMs?: number },
): ResilientMeter {
  if (primary.source === "model") {
    return Object.assign(Object.create(null), {
      source: primary.source,
      description: primary.description,
      measure: primary.measure.bind(primary),
      close: () => primary.close?.(),
      health: { primary: primary.source, fallbacks: 0, degraded: null },
    }) as ResilientMeter;
  }
  const maxFailures = opts.maxFailures ?? 3;
  const retryAfterMs = opts.retryAfterMs ?? 60_000;
  const health: MeterHealth = { primary: primary.source, fallbacks: 0, degraded: null };
  let streak = 0;
  let skipUntil = 0;

  return {
    source: primary.source,
    description: `${primary.description}; falls back to ${fallback.description} when unreadable`,
    health,
    close: () => primary.close?.(),
    async measure<T>(fn: () => T | Promise<T>): Promise<Measurement<T>> {
      if (Date.now() < skipUntil) {
        health.fallbacks++;
        return fallback.measure(fn);
      }
      let ran = false;
      let outcome: { ok: true; result: T } | { ok: false; error: unknown } | null = null;
      let wallMs = 0;
      let cpuMs = 0;
      const work = async (): Promise<T> => {
        ran = true;
        const cpu0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        try {
          const result = await fn();
          outcome = { ok: true, result };
          return result;
        } catch (error) {
          outcome = { ok: false, error };
          throw error;
        } finally {
          wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
          const cpu = process.cpuUsage(cpu0);
          cpuMs = (cpu.user + cpu.system) / 1000;
        }
      };
      try {
        const m = await primary.measure(work);
        if (streak > 0 || health.degraded) {
          opts.log.info({ meter: primary.source }, "energy meter readable again");
          health.degraded = null;
        }
        streak = 0;
        return m;
      } catch (err) {
        streak++;
        health.fallbacks++;
        const reason = `METER_UNREADABLE: ${errorMessage(err)}`;
        if (streak === 1) {
          opts.log.warn(
            { meter: primary.source, err: reason },
            "energy meter unreadable; measuring with the model meter (samples say so)",
          );
        }
        if (streak >= maxFailures && !health.degraded) {
          health.degraded = { since: new Date().toISOString(), reason };
          skipUntil = Date.now() + retryAfterMs;
          opts.log.error(
            { meter: primary.source, err: reason, retryInMs: retryAfterMs },
            `energy meter ${primary.source} failed ${streak} times in a row; using the model meter until it reads again`,
          );
        } else if (health.degraded) {
          skipUntil = Date.now() + retryAfterMs;
        }
        if (!ran) return fallback.measure(fn);
        const done = outcome as { ok: true; result: T } | { ok: false; error: unknown } | null;
        const energyJ = modelEnergyJoules({
          cpuSeconds: cpuMs / 1000,
          wallSeconds: wallMs / 1000,
          profile: fallback.profile,
        });
        return { source: "model", energyJ, wallMs, cpuMs, ...(done ?? { ok: false, error: err }) };
      }
    },
  };
}
