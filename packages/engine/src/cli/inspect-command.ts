/** `edgewatt-engine inspect <model.onnx> [--json] [--batch N]` */
import { parseModel } from "../onnx/codec";
import { inspectModel } from "../onnx/inspect";
import { validateModel } from "../onnx/validate";
import { getIntOption, parseArgs, UsageError } from "./args";
import { formatSummary } from "./format";
import { readInputFile } from "./read-input";

export async function runInspect(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ["json"], options: ["batch"] });
  const [path, ...extra] = args.positionals;
  if (!path || extra.length > 0) throw new UsageError("inspect takes exactly one model path");
  const bytes = await readInputFile(path, "model");
  const model = parseModel(bytes);
  const summary = inspectModel(model, {
    sizeBytes: bytes.byteLength,
    defaultDim: getIntOption(args, "batch", 1, 1),
  });
  const issues = validateModel(model);
  if (args.flags.has("json")) {
    console.log(JSON.stringify({ ...summary, issues }, null, 2));
  } else {
    console.log(formatSummary(path, summary));
    if (issues.length)
      console.log(["issues", ...issues.map((i) => `  ${i.severity}: ${i.message}`)].join("\n"));
  }
  const errors = issues.filter((i) => i.severity === "error");
  if (errors.length > 0) {
    // on stderr too, so a script sees why the model cannot be optimized (each names its node and op)
    console.error(
      [
        `error [MODEL_INVALID]: the engine cannot handle ${path} (${errors.length} problem(s)):`,
        ...errors.map((e) => `  ${e.message}`),
      ].join("\n"),
    );
  }
  return errors.length > 0 ? 2 : 0;
}
