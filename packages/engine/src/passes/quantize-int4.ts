/**
 * quantize-int4: weight-only 4-bit quantization with onnxruntime's com.microsoft MatMulNBits. Rewrites
 *
 *   MatMul(A, W[K, N])        →  MatMulNBits(A, B, scales, zero_points)
 *   Gemm(A, W, C; transB, α, β) →  MatMulNBits(A, B, scales × α, zero_points[, bias = β·C])  [→ Add(C)]
 *
 * for constant float32 weights (initializers, Constant nodes, or a Transpose of one), quantized
 * asymmetrically per block of `blockSize` values along K (see block-quantize.ts for the layout:
 * B uint8 [N, ceil(K / blockSize), blockSize / 2], scales float [N, blocks], zero points two per byte).
 * A K that is not a multiple of the block size is padded inside the last block. Activations stay
 * float: MatMuls of two activations (attention Q·Kᵀ, P·V) are untouched. With `quantizeEmbeddings`,
 * embedding tables read by Gather are stored 4-bit too (GatherBlockQuantized, quantize-gather-weights.ts).
 *
 * Facts checked against onnxruntime-node 1.30 CPU: the optional `bias` input (index 5, after the
 * deprecated g_idx) is supported, so a Gemm's constant 1-D C becomes that bias; 2-D scales [N, blocks]
 * and rank-3 A are accepted; accuracy_level 4 quantizes A to int8 inside the kernel (faster, less exact).
 */
import { PassError } from "../errors";
import { createIntAttribute, getFloatAttribute, getIntAttribute } from "../onnx/attributes";
import { createNode } from "../onnx/builder";
import { createConstantResolver } from "../onnx/constants";
import { DATA_TYPE } from "../onnx/data-type";
import { createNameGenerator, removeUnusedNodesAndInitializers } from "../onnx/graph";
import type { Node, OnnxModel, Tensor } from "../onnx/model";
import { inferShapes } from "../onnx/shape-infer";
import { createTensor, getElementCount, getTensorData, transposeMatrix } from "../onnx/tensor";
import type { Pass, PassContext } from "../types";
import { quantizeBlockwise } from "./block-quantize";
import { compactConstants } from "./compact-constants";
import { ensureMicrosoftOpset, MICROSOFT_DOMAIN, quantizeGatherWeights } from "./quantize-gather-weights";

export interface QuantizeInt4Options {
  /** Weights per quantization block along K: a power of 2, ≥ 16. Default 32. */
  blockSize?: number;
  /**
   * MatMulNBits accuracy_level: the lowest precision A may be converted to inside the kernel
   * (0 unset, 1 fp32, 2 fp16, 3 bf16, 4 int8). Omitted by default (= fp32 compute on CPU).
   */
  accuracyLevel?: 0 | 1 | 2 | 3 | 4;
  /** Node names (MatMul, Gemm or Gather) to leave in float. */
  excludeNodes?: readonly string[];
  /** Weights with fewer elements stay float (tiny layers save little and are often sensitive). Default 1024. */
  minElements?: number;
  /**
   * Also store embedding tables (constant tables read only by Gather on axis 0 or by Slice) in 4 bits,
   * dequantized by GatherBlockQuantized (quantize-gather-weights.ts). Default true.
   */
  quantizeEmbeddings?: boolean;
  /**
   * Re-encode large float32 constants losslessly where possible: two-valued ones (a 0/−inf attention
   * mask) as bool + Where, float16-exact ones as float16 + Cast (compact-constants.ts). Default true.
   */
  compactConstants?: boolean;
}

interface Rewrite {
  nodes: Node[];
  initializers: Tensor[];
}
type Outcome = Rewrite | { skip: string };

interface Context {
  resolve: (name: string) => Tensor | undefined;
  newName: (base: string) => string;
  rankOf: (name: string) => number | undefined;
  blockSize: number;
  accuracyLevel: number | undefined;
  minElements: number;
  /** Weight key → quantized initializer names, so a shared weight is quantized once. */
  quantized: Map<string, { b: string; scales: string; zeroPoints: string }>;
  stats: { fp32Bytes: number; packedBytes: number };
}

const DEFAULT_BLOCK_SIZE = 32;
const DEFAULT_MIN_ELEMENTS = 1024;

/** Throws PassError(PASS_OPTIONS_INVALID) for a block size MatMulNBits rejects. */
export function assertValidBlockSize(blockSize: number): void {
  if (!Number.isInteger(blockSize) || blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) {
    throw new PassError(
      "PASS_OPTIONS_INVALID",
      `blockSize must be a power of 2 and at least 16 (16, 32, 64, 128, …), got ${blockSize}`,
    );
  }
}

export function createQuantizeInt4Pass(options: QuantizeInt4Options = {}): Pass {
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  assertValidBlockSize(blockSize);
  const accuracyLevel = options.accuracyLevel;
  if (accuracyLevel !== undefined && ![0, 1, 2, 3, 4].includes(accuracyLevel)) {
    throw new PassError("PASS_OPTIONS_INVALID", `accuracyLevel must be 0–4, got ${accuracyLevel}`);
  }
  const minElements = options.minElements ?? DEFAULT_MIN_ELEMENTS;
  if (!(minElements >= 0)) {
    throw new PassError("PASS_OPTIONS_INVALID", `minElements must be ≥ 0, got ${minElements}`);
  }
  const exclude = new Set(options.excludeNodes ?? []);
  return {
    name: "quantize-int4",
    variantName: "int4",
    description:
      "4-bit block-quantized weights (MatMulNBits, asymmetric, per block along K) for MatMul and Gemm; activations stay float",
    run(input: OnnxModel, context: PassContext): OnnxModel {
      const model = structuredClone(input);
      let facts: ReturnType<typeof inferShapes> | undefined;
      const ctx: Context = {
        resolve: createConstantResolver(model),
        newName: createNameGenerator(model),
        rankOf: (name) => {
          facts ??= inferShapes(model);
          return facts.get(name)?.shape?.length;
        },
        blockSize,
        accuracyLevel,
        minElements,
        quantized: new Map(),
        stats: { fp32Bytes: 0, packedBytes: 0 },
      };
      const counts: Record<string, number> = {};
      const skipped: string[] = [];
      const nodes: Node[] = [];
      const initializers: Tensor[] = [];
      for (const node of model.graph.node) {
        const inDefaultDomain = !node.domain || node.domain === "ai.onnx";
        if (
          !inDefaultDomain ||
          (node.opType !== "MatMul" && node.opType !== "Gemm") ||
          exclude.has(node.name ?? "")
        ) {
          nodes.push(node);
          continue;
        }
        const outcome = node.opType === "MatMul" ? rewriteMatMul(node, ctx) : rewriteGemm(node, ctx);
        if ("skip" in outcome) {
          skipped.push(`${node.opType} '${node.name || node.output[0]}': ${outcome.skip}`);
          nodes.push(node);
          continue;
        }
        counts[node.opType] = (counts[node.opType] ?? 0) + 1;
        nodes.push(...outcome.nodes);
        initializers.push(...outcome.initializers);
      }
      if (Object.keys(counts).length === 0) {
        throw new PassError(
          "PASS_NOT_APPLICABLE",
          "quantize-int4 found nothing to quantize: it needs a MatMul or Gemm whose weight is a constant 2-D float32 " +
            `tensor with at least ${minElements} elements` +
            (skipped.length
              ? ` (kept in float: ${skipped.slice(0, 3).join("; ")})`
              : " (the model has none)"),
        );
      }
      model.graph.node = nodes;
      model.graph.initializer.push(...initializers);
      ensureMicrosoftOpset(model);
      const removed = removeUnusedNodesAndInitializers(model.graph);
      context.log(
        `quantized ${Object.entries(counts)
          .map(([op, n]) => `${n} ${op}`)
          .join(
            ", ",
          )} to 4-bit MatMulNBits (block ${blockSize}): ${ctx.stats.fp32Bytes} bytes of fp32 weights → ` +
          `${ctx.stats.packedBytes} bytes; removed ${removed.initializers} fp32 initializer(s)`,
      );
      for (const line of skipped) context.log(`kept in float: ${line}`);
      if (options.quantizeEmbeddings ?? true) {
        const report = quantizeGatherWeights(model, {
          format: "int4-block",
          blockSize,
          minElements,
          excludeNodes: exclude,
        });
        for (const line of report.quantized) context.log(`embedding table ${line}`);
        for (const line of report.skipped) context.log(`embedding table kept in float: ${line}`);
      }
      if (options.compactConstants ?? true) {
        // Below 64 elements the extra Cast/Where node costs about what re-encoding saves.
        for (const line of compactConstants(model, { minElements: Math.max(minElements, 64) }))
          context.log(line);
      }
      return model;
    },
  };
}

export const quantizeInt4Pass: Pass = createQuantizeInt4Pass();

function constantWeight(name: string | undefined, ctx: Context): Tensor | { skip: string } {
  const tensor = name ? ctx.resolve(name) : undefined;
  if (!tensor) return { skip: "weight is not a constant (activation × activation stays float)" };
  if (tensor.dataType !== DATA_TYPE.FLOAT) return { skip: "weight is not float32" };
  if (tensor.dataLocation === 1 || tensor.externalData.length > 0) {
    return { skip: "weight is stored in an external data file (save the model self-contained)" };
  }
  if (tensor.dims.length !== 2) return { skip: `weight has rank ${tensor.dims.length}, expected 2` };
  const elements = getElementCount(tensor.dims);
  if (elements < ctx.minElements)
    return { skip: `weight has ${elements} elements (minElements ${ctx.minElements})` };
  return tensor;
}

function rewriteMatMul(node: Node, ctx: Context): Outcome {
  const [a, b] = node.input;
  const output = node.output[0];
  if (!a || !output) return { skip: "missing input or output" };
  const weight = constantWeight(b, ctx);
  if ("skip" in weight) return weight;
  const rank = ctx.rankOf(a);
  if (rank !== undefined && rank < 2) return { skip: `input has rank ${rank}; MatMulNBits needs ≥ 2` };
  const [k = 0, n = 0] = weight.dims;
  const rows = () => transposeMatrix(getTensorData(weight) as Float32Array, k, n);
  return nbitsNode(node, a, `${weight.name ?? "B"}|T`, rows, k, n, 1, undefined, output, ctx);
}

function rewriteGemm(node: Node, ctx: Context): Outcome {
  const [a, b, c] = node.input;
  const output = node.output[0];
  if (!a || !output) return { skip: "missing input or output" };
  if (getIntAttribute(node, "transA", 0) !== 0) return { skip: "transA=1 is not supported" };
  const weight = constantWeight(b, ctx);
  if ("skip" in weight) return weight;
  const alpha = getFloatAttribute(node, "alpha", 1);
  const beta = getFloatAttribute(node, "beta", 1);
  const transB = getIntAttribute(node, "transB", 0) !== 0;
  const [d0 = 0, d1 = 0] = weight.dims;
  const [k, n] = transB ? [d1, d0] : [d0, d1];
  // MatMulNBits wants one row of K weights per output: W[N, K] as is when transB=1, transposed otherwise.
  const rows = () =>
    transB
      ? (getTensorData(weight) as Float32Array)
      : transposeMatrix(getTensorData(weight) as Float32Array, k, n);
  const base = node.name || output;
  const nodes: Node[] = [];
  const initializers: Tensor[] = [];
  let bias: string | undefined;
  let addAfter: string | undefined;
  if (c && beta !== 0) {
    const constantC = ctx.resolve(c);
    if (constantC && constantC.dataType === DATA_TYPE.FLOAT) {
      const values = (getTensorData(constantC) as Float32Array).map((v) => v * beta);
      const count = getElementCount(constantC.dims);
      const asBias =
        count === n && constantC.dims.length <= 2 && (constantC.dims.length < 2 || constantC.dims[0] === 1);
      const name = ctx.newName(`${c}_${asBias ? "bias" : "scaled"}`);
      if (asBias) {
        initializers.push(createTensor(name, DATA_TYPE.FLOAT, [n], values));
        bias = name;
      } else if (count === 1) {
        initializers.push(createTensor(name, DATA_TYPE.FLOAT, [n], new Float32Array(n).fill(values[0] ?? 0)));
        bias = name;
      } else {
        initializers.push(createTensor(name, DATA_TYPE.FLOAT, constantC.dims, values));
        addAfter = name;
      }
    } else if (beta === 1) {
      addAfter = c;
    } else {
      const betaName = ctx.newName(`${base}_beta`);
      const scaled = ctx.newName(`${c}_times_beta`);
      initializers.push(createTensor(betaName, DATA_TYPE.FLOAT, [], Float32Array.of(beta)));
      nodes.push(createNode("Mul", [c, betaName], [scaled], { name: ctx.newName(`${base}_BetaMul`) }));
      addAfter = scaled;
    }
  }
  const product = addAfter ? ctx.newName(`${base}_product`) : output;
  const key = `${weight.name ?? "B"}|${transB ? "N" : "T"}`;
  const rewrite = nbitsNode(node, a, key, rows, k, n, alpha, bias, product, ctx);
  if ("skip" in rewrite) return rewrite;
  nodes.push(...rewrite.nodes);
  if (addAfter)
    nodes.push(createNode("Add", [product, addAfter], [output], { name: ctx.newName(`${base}_Add`) }));
  return { nodes, initializers: [...initializers, ...rewrite.initializers] };
}

/** The MatMulNBits node (and its quantized initializers, unless the weight was quantized before). */
function nbitsNode(
  node: Node,
  activation: string,
  key: string,
  rows: () => Float32Array,
  k: number,
  n: number,
  alpha: number,
  bias: string | undefined,
  output: string,
  ctx: Context,
): Outcome {
  const { blockSize } = ctx;
  const blocks = Math.ceil(k / blockSize);
  const cacheKey = `${key}|${alpha}`;
  const initializers: Tensor[] = [];
  let names = ctx.quantized.get(cacheKey);
  if (!names) {
    const q = quantizeBlockwise(rows(), n, k, { bits: 4, blockSize, paddedCols: blocks * blockSize });
    const weightName = key.split("|")[0] ?? "B";
    names = {
      b: ctx.newName(`${weightName}_q4`),
      scales: ctx.newName(`${weightName}_q4_scales`),
      zeroPoints: ctx.newName(`${weightName}_q4_zero_points`),
    };
    const scales = alpha === 1 ? q.scales : q.scales.map((s) => s * alpha);
    initializers.push(
      createTensor(names.b, DATA_TYPE.UINT8, [n, blocks, blockSize / 2], q.packed),
      createTensor(names.scales, DATA_TYPE.FLOAT, [n, blocks], scales),
      createTensor(names.zeroPoints, DATA_TYPE.UINT8, [n, q.zeroPointBytesPerRow], q.zeroPoints),
    );
    ctx.quantized.set(cacheKey, names);
    ctx.stats.fp32Bytes += k * n * 4;
    ctx.stats.packedBytes += q.packed.byteLength + scales.byteLength + q.zeroPoints.byteLength;
  }
  const attributes = [
    createIntAttribute("K", k),
    createIntAttribute("N", n),
    createIntAttribute("bits", 4),
    createIntAttribute("block_size", blockSize),
  ];
  if (ctx.accuracyLevel !== undefined)
    attributes.push(createIntAttribute("accuracy_level", ctx.accuracyLevel));
  const inputs = [activation, names.b, names.scales, names.zeroPoints, ...(bias ? ["", bias] : [])];
  const nbits = createNode("MatMulNBits", inputs, [output], {
    name: ctx.newName(`${node.name || output}_MatMulNBits`),
    domain: MICROSOFT_DOMAIN,
    attributes,
  });
  return { nodes: [nbits], initializers };
}
