/** The CLI is an app entry, so it may load onnxruntime-node itself (the engine library never does). */
import { createOrtRuntime, type OrtModuleLike } from "../runtime";
import type { Runtime } from "../types";

export async function loadOrtRuntime(): Promise<Runtime | undefined> {
  try {
    const mod = (await import("onnxruntime-node")) as unknown as { default?: OrtModuleLike } & OrtModuleLike;
    return createOrtRuntime(mod.default ?? mod);
  } catch {
    return undefined;
  }
}
