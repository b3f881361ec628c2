/** The onnxruntime-node Runtime used by tests (src never imports onnxruntime-node). */
import ort from "onnxruntime-node";
import { createOrtRuntime, type OrtModuleLike } from "../src/runtime";
import type { RuntimeTensor } from "../src/types";

export const ortRuntime = createOrtRuntime(ort as unknown as OrtModuleLike);

/** Runs model bytes once and returns all outputs. */
export async function runModel(
  bytes: Uint8Array,
  feeds: Record<string, RuntimeTensor>,
): Promise<Record<string, RuntimeTensor>> {
  const session = await ortRuntime.createSession(bytes, { intraOpThreads: 1 });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}
