/** The pass registry: built-in passes are registered on load; apps and tests may add their own. */
import { PassError } from "../errors";
import type { Pass } from "../types";
import { accuracyAwarePass } from "./accuracy-aware";
import { foldBatchNormPass } from "./fold-batchnorm";
import { foldConstantsPass } from "./fold-constants";
import { fp16Pass } from "./fp16";
import { quantizeDynamicInt8Pass } from "./quantize-dynamic-int8";
import { quantizeInt4Pass } from "./quantize-int4";
import { quantizeStaticInt8Pass } from "./quantize-static-int8";

const passes = new Map<string, Pass>();

/** Adds a pass. Throws if another pass already uses the name (replace = true to override on purpose). */
export function registerPass(pass: Pass, options: { replace?: boolean } = {}): void {
  if (passes.has(pass.name) && !options.replace) {
    throw new PassError("PASS_FAILED", `a pass named '${pass.name}' is already registered`);
  }
  passes.set(pass.name, pass);
}

export function findPass(name: string): Pass | undefined {
  return passes.get(name);
}

/** The pass with this name; throws PassError(PASS_UNKNOWN) listing the known passes. */
export function getPass(name: string): Pass {
  const pass = passes.get(name);
  if (!pass) {
    throw new PassError(
      "PASS_UNKNOWN",
      `unknown pass '${name}'; available passes: ${[...passes.keys()].sort().join(", ") || "(none)"}`,
    );
  }
  return pass;
}

export function listPasses(): Pass[] {
  return [...passes.values()].sort((a, b) => a.name.localeCompare(b.name));
}

registerPass(quantizeDynamicInt8Pass);
registerPass(quantizeStaticInt8Pass);
registerPass(quantizeInt4Pass);
registerPass(foldConstantsPass);
registerPass(foldBatchNormPass);
registerPass(accuracyAwarePass);
registerPass(fp16Pass);
