/** Where a model's bytes are: initializers by size, Constant payloads and the rest (graph structure). npx tsx dev/size-breakdown.ts <model.onnx> [pass] */
import { readFileSync } from "node:fs";
import { parseModel, serializeModel } from "../src/onnx/codec";
import type { OnnxModel } from "../src/onnx/model";
import { getTensorByteSize } from "../src/onnx/tensor";
import { getPass } from "../src/passes/registry";

let model = parseModel(new Uint8Array(readFileSync(process.argv[2] ?? "")));
if (process.argv[3])
  model = (await getPass(process.argv[3]).run(model, { log: () => undefined })) as OnnxModel;
const total = serializeModel(model).byteLength;
const inits = model.graph.initializer.map((t) => ({
  name: t.name,
  type: t.dataType,
  dims: t.dims,
  bytes: getTensorByteSize(t),
}));
const initBytes = inits.reduce((s, t) => s + t.bytes, 0);
const noInit = serializeModel({ ...model, graph: { ...model.graph, initializer: [] } }).byteLength;
console.log({ total, initBytes, structureBytes: noInit, nodes: model.graph.node.length });
console.log(
  inits
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 30)
    .map((t) => `${t.bytes}\t${t.type}\t[${t.dims}]\t${t.name}`)
    .join("\n"),
);
