/**
 * edgewatt-engine CLI commands (entry point: main.ts).
 *   inspect <model.onnx> [--json] [--batch N]
 *   optimize --model in.onnx --recipe <pass[+pass][,…]|auto> --out DIR [--data calib.npz] [--eval eval.npz] …
 *   passes
 * Exit codes: 0 ok, 1 a variant failed or internal error, 2 bad usage or bad input.
 */
import { type EngineErrorCode, isEngineError } from "../errors";
import { listPasses } from "../passes/registry";
import { UsageError } from "./args";
import { runInspect } from "./inspect-command";
import { runOptimize } from "./optimize-command";
import { InputFileError } from "./read-input";

const USAGE = `usage:
  edgewatt-engine inspect <model.onnx> [--json] [--batch N]
  edgewatt-engine optimize --model <in.onnx> --recipe <pass[+pass][,…]|auto> --out <dir>
                           [--data <calib.npz>] [--eval <eval.npz>] [--samples N] [--calib-samples N]
                           [--batch 32] [--threads 1,<cores>] [--eval-threads 1] [--latency-runs 100]
                           [--warmup-runs 10] [--profile generic-x86] [--memory subprocess|in-process]
                           [--reconstruction] [--json] [--quiet]
                           [--max-accuracy-drop <points> | --max-fidelity-loss <1-cosine>]  (accuracy-aware goal)
                           [--calibration minmax|percentile|entropy]  (quantize-static-int8, default entropy)
    auto = the standard ladder: int8-dynamic, int8-static, int4 (MatMul-heavy models), fp16; a variant
    slower than fp32 (1 thread) without being smaller is dropped. --data calibrates passes and, without
    --eval, is also what variants are evaluated on. Writes <dir>/<variant>.onnx and <dir>/report.json.
  edgewatt-engine passes`;

/** Engine error codes caused by the user's input rather than by the engine. */
const INPUT_ERRORS: readonly EngineErrorCode[] = [
  "ONNX_INVALID",
  "ONNX_UNSUPPORTED",
  "ONNX_EXTERNAL_DATA",
  "MODEL_INVALID",
  "NPY_INVALID",
  "NPY_UNSUPPORTED",
  "DATA_MISMATCH",
  "PASS_UNKNOWN",
];

export async function runCli(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "inspect":
        return await runInspect(rest);
      case "optimize":
        return await runOptimize(rest);
      case "passes":
        for (const pass of listPasses())
          console.log(`${pass.name.padEnd(24)} → ${pass.variantName.padEnd(14)} ${pass.description}`);
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}\n${USAGE}`);
      return 2;
    }
    if (error instanceof InputFileError) {
      console.error(`error: ${error.message}`);
      return 2;
    }
    if (isEngineError(error)) {
      console.error(`error [${error.code}]: ${error.message}`);
      return INPUT_ERRORS.includes(error.code) ? 2 : 1;
    }
    console.error("internal error:", error);
    return 1;
  }
}
