/**
 * Command-line settings that configure passes: the accuracy-aware goal and the static-int8 calibration
 * method. Given ones replace the registered default pass for this process, so recipes (and `auto`) use them.
 */
import { createAccuracyAwarePass } from "../passes/accuracy-aware";
import {
  CALIBRATION_METHODS,
  type CalibrationMethod,
  createQuantizeStaticInt8Pass,
} from "../passes/quantize-static-int8";
import { registerPass } from "../passes/registry";
import { getOption, type ParsedArgs, UsageError } from "./args";

export const PASS_OPTION_NAMES = ["max-accuracy-drop", "max-fidelity-loss", "calibration"] as const;

function getNumber(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const raw = getOption(args, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

export function applyPassOptions(args: ParsedArgs): string[] {
  const applied: string[] = [];
  const maxAccuracyDrop = getNumber(args, "max-accuracy-drop", 0, 100);
  const maxFidelityLoss = getNumber(args, "max-fidelity-loss", 0, 2);
  if (maxAccuracyDrop !== undefined || maxFidelityLoss !== undefined) {
    const goal = {
      ...(maxAccuracyDrop !== undefined ? { maxAccuracyDrop } : {}),
      ...(maxFidelityLoss !== undefined ? { maxFidelityLoss } : {}),
    };
    registerPass(createAccuracyAwarePass({ goal }), { replace: true });
    applied.push(`accuracy-aware goal ${JSON.stringify(goal)}`);
  }
  const calibration = getOption(args, "calibration");
  if (calibration !== undefined) {
    if (!(CALIBRATION_METHODS as readonly string[]).includes(calibration)) {
      throw new UsageError(
        `--calibration must be one of ${CALIBRATION_METHODS.join(", ")}, got '${calibration}'`,
      );
    }
    registerPass(createQuantizeStaticInt8Pass({ calibration: calibration as CalibrationMethod }), {
      replace: true,
    });
    applied.push(`static-int8 calibration ${calibration}`);
  }
  return applied;
}
