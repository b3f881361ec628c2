/**
 * Which dimensions of each value are static (the same for every size of the model's symbolic input
 * dims). Shape inference runs several times with different, independent values for every symbolic dim
 * (1, small primes, and primes above 1000, so clamps such as min(seq, 64) and strided pooling show up
 * as changes); a dim that comes out identical in every run is taken as static. Used by constant folding
 * to replace Shape (and Gather/Slice of Shape) by constants only where the answer cannot depend on the
 * input size.
 */
import type { OnnxModel } from "../onnx/model";
import { inferShapes } from "../onnx/shape-infer";

/** Value name → its dims, `undefined` where the dim depends on the input size (or is unknown). */
export type StaticShapes = Map<string, (number | undefined)[]>;

const PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
const LARGE_PRIMES = [1009, 1013, 1019, 1021, 1031, 1033, 1039, 1049];

function symbolicDimNames(model: OnnxModel): string[] {
  const names = new Set<string>();
  for (const input of model.graph.input) {
    for (const dim of input.type?.tensorType?.shape?.dim ?? []) {
      if (dim.dimValue === undefined && dim.dimParam) names.add(dim.dimParam);
    }
  }
  return [...names];
}

export function findStaticShapes(model: OnnxModel): StaticShapes {
  const names = symbolicDimNames(model);
  const assign = (values: number[], offset: number) =>
    Object.fromEntries(names.map((n, j) => [n, values[(j + offset) % values.length] ?? 1]));
  const runs = [
    inferShapes(model, { defaultDim: 1 }),
    inferShapes(model, { dims: assign(PRIMES, 0), defaultDim: 2 }),
    inferShapes(model, { dims: assign(PRIMES, 5), defaultDim: 13 }),
    inferShapes(model, { dims: assign(LARGE_PRIMES, 0), defaultDim: 1009 }),
  ];
  const [first] = runs;
  if (!first) return new Map();
  const result: StaticShapes = new Map();
  for (const [name, facts] of first) {
    const shape = facts.shape;
    if (!shape) continue;
    const others = runs.slice(1).map((r) => r.get(name)?.shape);
    if (others.some((s) => !s || s.length !== shape.length)) continue;
    result.set(
      name,
      shape.map((d, i) => (others.every((s) => s?.[i] === d) ? d : undefined)),
    );
  }
  return result;
}
