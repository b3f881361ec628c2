import { AUTO_RECIPE, CALIBRATION_METHODS, listPasses } from "@edgewatt/engine";
import type { Actor } from "../actor";

export interface PassInfo {
  name: string;
  description: string;
  variantName: string;
}

/** What a recipe may name, for the optimization form (every signed-in member may read it). */
export function listOptimizationPasses(_opts: { actor: Actor }): {
  auto: string;
  passes: PassInfo[];
  calibrationMethods: readonly string[];
} {
  return {
    auto: AUTO_RECIPE,
    passes: listPasses().map((p) => ({
      name: p.name,
      description: p.description,
      variantName: p.variantName,
    })),
    calibrationMethods: CALIBRATION_METHODS,
  };
}
