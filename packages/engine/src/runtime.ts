/**
 * `createOrtRuntime(ort)`: a `Runtime` over an onnxruntime module object the caller passes in
 * (`await import("onnxruntime-node")`), so the engine itself never loads a native runtime.
 * The module is typed structurally: only the members used here are required.
 */
import { EvaluationError } from "./errors";
import type {
  Runtime,
  RuntimeSession,
  RuntimeSessionOptions,
  RuntimeTensor,
  RuntimeTensorData,
} from "./types";

interface OrtTensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

/** The subset of `onnxruntime-node` (or onnxruntime-web / -common) the adapter uses. */
export interface OrtModuleLike {
  InferenceSession: {
    create(
      bytes: Uint8Array,
      options?: {
        intraOpNumThreads?: number;
        interOpNumThreads?: number;
        logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
      },
    ): Promise<OrtSessionLike>;
  };
  Tensor: new (type: string, data: RuntimeTensorData, dims?: readonly number[]) => OrtTensorLike;
  env?: { versions?: { common?: string } };
}

/** ORT's tensor type names ('float32', 'int64', 'bool', …) are the engine's names, so types pass through. */
function toOrt(ort: OrtModuleLike, tensor: RuntimeTensor): OrtTensorLike {
  return new ort.Tensor(tensor.type, tensor.data, tensor.dims);
}

function fromOrt(tensor: OrtTensorLike): RuntimeTensor {
  let data = tensor.data as RuntimeTensorData;
  if (tensor.type === "bool" && !(data instanceof Uint8Array))
    data = Uint8Array.from(data as ArrayLike<number>);
  return { type: tensor.type, dims: [...tensor.dims], data };
}

export function createOrtRuntime(ort: OrtModuleLike): Runtime {
  const version = ort.env?.versions?.common;
  return {
    name: version ? `onnxruntime ${version}` : "onnxruntime",
    async createSession(bytes: Uint8Array, options: RuntimeSessionOptions = {}): Promise<RuntimeSession> {
      let session: OrtSessionLike;
      try {
        session = await ort.InferenceSession.create(bytes, {
          logSeverityLevel: 3,
          ...(options.intraOpThreads
            ? { intraOpNumThreads: options.intraOpThreads, interOpNumThreads: 1 }
            : {}),
        });
      } catch (error) {
        throw new EvaluationError(
          "RUNTIME_FAILED",
          `onnxruntime could not load the model: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        async run(feeds) {
          const ortFeeds: Record<string, OrtTensorLike> = {};
          for (const [name, tensor] of Object.entries(feeds)) ortFeeds[name] = toOrt(ort, tensor);
          let outputs: Record<string, OrtTensorLike>;
          try {
            outputs = await session.run(ortFeeds);
          } catch (error) {
            throw new EvaluationError(
              "RUNTIME_FAILED",
              `onnxruntime failed to run the model: ${error instanceof Error ? error.message : String(error)}`,
              { cause: error },
            );
          }
          const result: Record<string, RuntimeTensor> = {};
          for (const [name, tensor] of Object.entries(outputs)) result[name] = fromOrt(tensor);
          return result;
        },
        release: () => session.release(),
      };
    },
  };
}
