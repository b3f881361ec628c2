/**
 * Peak memory of a model in a fresh process. In the measuring process itself an RSS delta mostly shows
 * whether the allocator had free memory left by earlier work (it often reads 0), so a probe runs each
 * model in a new `node` process: load the runtime module and the inputs, initialise the runtime with a
 * one-node session (its one-time set-up is tens of MB), note RSS, create the model's session, run it, and
 * report the peak RSS (the kernel's high-water mark, reset just before) minus that RSS. The caller names the runtime module
 * (e.g. 'onnxruntime-node'), as it passes the Runtime for everything else; the engine does not load one.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { EvaluationError } from "../errors";
import { createGraph, createModel, createNode, createValueInfo } from "../onnx/builder";
import { serializeModel } from "../onnx/codec";
import type { RuntimeTensor } from "../types";

const run = promisify(execFile);

/** x[1] → Relu → y: initialises the runtime in the child before anything is measured. */
function createWarmUpModel(): Uint8Array {
  return serializeModel(
    createModel({
      graph: createGraph({
        inputs: [createValueInfo("x", "float32", [1])],
        outputs: [createValueInfo("y", "float32", [1])],
        nodes: [createNode("Relu", ["x"], ["y"])],
      }),
    }),
  );
}

export interface MemoryProbe {
  /** How the figure is measured, for its method label. */
  readonly method: string;
  /** Bytes of peak RSS the model's session and runs add to a fresh process. */
  measure(
    bytes: Uint8Array,
    feeds: Record<string, RuntimeTensor>,
    options: { threads: number; runs: number },
  ): Promise<number>;
}

export interface SubprocessMemoryProbeOptions {
  /** Module the child imports for InferenceSession/Tensor (the onnxruntime JS API), e.g. 'onnxruntime-node'. */
  runtimeModule: string;
  /** Node executable; default the current one. */
  execPath?: string;
  timeoutMs?: number;
}

export function createSubprocessMemoryProbe(options: SubprocessMemoryProbeOptions): MemoryProbe {
  const child = join(import.meta.dirname, "memory-probe-child.mjs");
  return {
    method:
      `peak RSS of a fresh node process while it creates the session and runs it (the kernel's high-water ` +
      "mark VmHWM, reset just before, where Linux provides it; else RSS sampled after creation and each run) " +
      `minus its RSS after loading ${options.runtimeModule}, initialising it with a one-node session and ` +
      "reading the input: the memory the model's session and runs add",
    async measure(bytes, feeds, { threads, runs }) {
      const dir = await mkdtemp(join(tmpdir(), "ew-memprobe-"));
      try {
        await writeFile(join(dir, "model.onnx"), bytes);
        await writeFile(join(dir, "warm-up.onnx"), createWarmUpModel());
        const entries = Object.entries(feeds);
        await writeFile(
          join(dir, "feeds.json"),
          JSON.stringify(entries.map(([name, t]) => ({ name, type: t.type, dims: t.dims }))),
        );
        for (const [i, [, t]] of entries.entries()) {
          await writeFile(
            join(dir, `feed-${i}.bin`),
            new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
          );
        }
        const { stdout } = await run(
          options.execPath ?? process.execPath,
          [child, options.runtimeModule, dir, String(threads), String(runs)],
          { timeout: options.timeoutMs ?? 120_000, maxBuffer: 1 << 20 },
        );
        const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as {
          before?: number;
          highWater?: number;
        };
        if (typeof result.before !== "number" || typeof result.highWater !== "number") {
          throw new Error(`unexpected probe output: ${stdout.slice(0, 200)}`);
        }
        return Math.max(0, result.highWater - result.before);
      } catch (error) {
        throw new EvaluationError(
          "RUNTIME_FAILED",
          `the memory probe failed: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
