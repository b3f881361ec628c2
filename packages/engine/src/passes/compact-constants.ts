/**
 * Lossless re-encoding of large float32 constants, for passes that shrink models:
 *
 * - exactly two distinct values (attention masks of 0/−inf, 0/1 selectors) → a bool tensor and
 *   Where(bool, a, b): 1 byte an element (needs default opset ≥ 9);
 * - every value exact in float16 (integer-valued or coarse tables) → float16 + Cast: 2 bytes an element.
 *
 * The reconstructed tensor is bit-identical and keeps its name (the new node's output replaces the
 * initializer); onnxruntime folds these constant subgraphs when it loads the model, so inference does
 * not pay for them.
 */
import { createIntAttribute } from "../onnx/attributes";
import { createNode } from "../onnx/builder";
import { createConstantResolver } from "../onnx/constants";
import { DATA_TYPE } from "../onnx/data-type";
import { isExactFloat16, toFloat16 } from "../onnx/float16";
import { createNameGenerator, findDefaultOpsetVersion } from "../onnx/graph";
import type { Node, OnnxModel, Tensor } from "../onnx/model";
import { createTensor, getElementCount, getTensorData } from "../onnx/tensor";

/** The two distinct values of `values` (by bit pattern, so −0 ≠ 0 and NaN is one value), or undefined. */
function findTwoValues(values: Float32Array): [number, number] | undefined {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const first = bits[0];
  let second: number | undefined;
  for (const b of bits) {
    if (b === first) continue;
    if (second === undefined) second = b;
    else if (b !== second) return undefined;
  }
  if (first === undefined || second === undefined) return undefined;
  const view = new Float32Array(Uint32Array.of(first, second).buffer);
  return [view[0] as number, view[1] as number];
}

/**
 * Rewrites the model in place (callers clone first). Only initializers with at least `minElements`
 * elements are considered. Returns one line per re-encoded tensor.
 */
export function compactConstants(model: OnnxModel, options: { minElements?: number } = {}): string[] {
  const minElements = options.minElements ?? 1024;
  const graph = model.graph;
  const resolve = createConstantResolver(model);
  const newName = createNameGenerator(model);
  const canWhere = (findDefaultOpsetVersion(model) ?? 1) >= 9;
  const prelude: Node[] = [];
  const added: Tensor[] = [];
  const lines: string[] = [];
  const removed = new Set<string>();
  graph.initializer = graph.initializer.flatMap((tensor) => {
    const name = tensor.name ?? "";
    if (tensor.dataType !== DATA_TYPE.FLOAT || getElementCount(tensor.dims) < minElements) return [tensor];
    if (!resolve(name) || graph.output.some((o) => o.name === name)) return [tensor];
    if (tensor.dataLocation === 1 || tensor.externalData.length > 0) return [tensor];
    const values = getTensorData(tensor) as Float32Array;
    const shape = `'${name}' [${tensor.dims.join(", ")}]`;
    const pair = canWhere ? findTwoValues(values) : undefined;
    if (pair) {
      const [a, b] = pair;
      const names = { mask: newName(`${name}_is_a`), a: newName(`${name}_a`), b: newName(`${name}_b`) };
      const bits = new Float32Array(1);
      const aBits = new Uint32Array(bits.buffer);
      bits[0] = a;
      const target = aBits[0];
      const mask = Uint8Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length), (v) =>
        v === target ? 1 : 0,
      );
      added.push(
        createTensor(names.mask, DATA_TYPE.BOOL, tensor.dims, mask),
        createTensor(names.a, DATA_TYPE.FLOAT, [], Float32Array.of(a)),
        createTensor(names.b, DATA_TYPE.FLOAT, [], Float32Array.of(b)),
      );
      prelude.push(
        createNode("Where", [names.mask, names.a, names.b], [name], { name: newName(`${name}_Where`) }),
      );
      lines.push(`${shape} holds only ${a} and ${b}: stored as bool + Where (lossless)`);
      removed.add(name);
      return [];
    }
    if (!isExactFloat16(values)) return [tensor];
    const stored = newName(`${name}_fp16`);
    added.push(createTensor(stored, DATA_TYPE.FLOAT16, tensor.dims, toFloat16(values).bits));
    prelude.push(
      createNode("Cast", [stored], [name], {
        name: newName(`${name}_CastToFloat`),
        attributes: [createIntAttribute("to", DATA_TYPE.FLOAT)],
      }),
    );
    lines.push(`${shape} is exact in float16: stored as float16 + Cast (lossless)`);
    removed.add(name);
    return [];
  });
  graph.initializer.push(...added);
  graph.input = graph.input.filter((i) => !removed.has(i.name));
  graph.node = [...prelude, ...graph.node];
  return lines;
}
