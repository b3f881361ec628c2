/**
 * Turns a verified model file into a ready InferenceSession. A variant is only accepted after a warm-up run with
 * inputs built from its manifest, so one that loads but cannot run is refused before it replaces anything.
 */
import type { VariantManifest } from "@edgewatt/protocol";
import { InferenceSession } from "onnxruntime-node";
import { AgentError, errorMessage } from "../errors";
import { RandomSource } from "../inputs/random-source";
import { buildFeeds, type FeedPlan, planFeeds } from "./feeds";

export interface LoadedModel {
  deploymentId: string;
  modelId: string;
  variant: VariantManifest;
  threads: number;
  session: InferenceSession;
  feeds: FeedPlan[];
}

export interface LoadSessionOptions {
  path: string;
  deploymentId: string;
  modelId: string;
  variant: VariantManifest;
  threads: number;
}

export async function loadSession(opts: LoadSessionOptions): Promise<LoadedModel> {
  const label = `variant ${opts.variant.name} (${opts.variant.sha256.slice(0, 12)})`;
  const feeds = planFeeds(opts.variant.inputs);
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(opts.path, {
      intraOpNumThreads: opts.threads,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
    });
  } catch (cause) {
    throw new AgentError(
      "VARIANT_REJECTED",
      `${label} does not load in onnxruntime: ${errorMessage(cause)}`,
      { cause },
    );
  }
  try {
    const missing = session.inputNames.filter((n) => !feeds.some((f) => f.name === n));
    if (missing.length > 0) {
      throw new AgentError(
        "VARIANT_REJECTED",
        `${label}: the model needs inputs [${missing.join(", ")}] that its manifest does not describe`,
      );
    }
    const used = feeds.filter((f) => session.inputNames.includes(f.name));
    try {
      await session.run(buildFeeds(used, new RandomSource(1)));
    } catch (cause) {
      throw new AgentError("VARIANT_REJECTED", `${label} fails its warm-up run: ${errorMessage(cause)}`, {
        cause,
      });
    }
    return { ...opts, session, feeds: used };
  } catch (err) {
    await session.release().catch(() => undefined);
    throw err;
  }
}
