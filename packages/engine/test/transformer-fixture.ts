/** A tiny exporter-style attention block, for the low-precision passes' tests. */
import { createIntAttribute, createIntsAttribute } from "../src/onnx/attributes";
import { createGraph, createModel, createNode, createValueInfo } from "../src/onnx/builder";
import type { OnnxModel } from "../src/onnx/model";
import { createFloatTensor, createInt64Tensor } from "../src/onnx/tensor";
import type { RuntimeTensor } from "../src/types";
import { randomFloats } from "./fixtures";

export const TINY_VOCAB = 32;
export const TINY_SEQ = 8;
const D = 32;

/**
 * tokens int64 [batch, 8] → Gather(tok [32, 32]) + Slice(pos [1, 8, 32]) → x
 * q, k, v = x · Wq, x · Wk, x · Wv;  scores = (q · Transpose(k)) × ¼ + Slice(mask [8, 8] of 0/−inf)
 * a = Softmax(scores) · v;  h = a · Transpose(WoT) + x;  logits = h · Whead [32, 32]
 * Two MatMuls multiply activations (q·kᵀ, p·v); Wo comes through a Transpose of a constant.
 */
export function createTinyTransformerModel(): OnnxModel {
  const mask = new Float32Array(TINY_SEQ * TINY_SEQ);
  for (let r = 0; r < TINY_SEQ; r++)
    for (let c = r + 1; c < TINY_SEQ; c++) mask[r * TINY_SEQ + c] = -Infinity;
  const slice = (name: string, data: string) =>
    createNode("Slice", [data, `${name}_starts`, `${name}_ends`, `${name}_axes`], [name], { name });
  return createModel({
    opset: 14,
    graph: createGraph({
      name: "tiny-transformer",
      inputs: [createValueInfo("tokens", "int64", ["batch", TINY_SEQ])],
      outputs: [createValueInfo("logits", "float32", ["batch", TINY_SEQ, TINY_VOCAB])],
      initializers: [
        createFloatTensor("tok", [TINY_VOCAB, D], randomFloats(TINY_VOCAB * D, 31, 1)),
        createFloatTensor("pos", [1, TINY_SEQ, D], randomFloats(TINY_SEQ * D, 32, 0.5)),
        createFloatTensor("mask", [TINY_SEQ, TINY_SEQ], mask),
        createFloatTensor("Wq", [D, D], randomFloats(D * D, 33, 0.3)),
        createFloatTensor("Wk", [D, D], randomFloats(D * D, 34, 0.3)),
        createFloatTensor("Wv", [D, D], randomFloats(D * D, 35, 0.3)),
        createFloatTensor("WoT", [D, D], randomFloats(D * D, 36, 0.3)),
        createFloatTensor("Whead", [D, TINY_VOCAB], randomFloats(D * TINY_VOCAB, 37, 0.3)),
        createFloatTensor("quarter", [], [0.25]),
        ...["pos_slice", "mask_slice"].flatMap((n) => [
          createInt64Tensor(`${n}_starts`, n === "pos_slice" ? [1] : [2], n === "pos_slice" ? [0] : [0, 0]),
          createInt64Tensor(
            `${n}_ends`,
            n === "pos_slice" ? [1] : [2],
            n === "pos_slice" ? [TINY_SEQ] : [TINY_SEQ, TINY_SEQ],
          ),
          createInt64Tensor(`${n}_axes`, n === "pos_slice" ? [1] : [2], n === "pos_slice" ? [1] : [0, 1]),
        ]),
      ],
      nodes: [
        createNode("Gather", ["tok", "tokens"], ["embedded"], { name: "embed" }),
        slice("pos_slice", "pos"),
        createNode("Add", ["embedded", "pos_slice"], ["x"], { name: "add_pos" }),
        createNode("MatMul", ["x", "Wq"], ["q"], { name: "q_proj" }),
        createNode("MatMul", ["x", "Wk"], ["k"], { name: "k_proj" }),
        createNode("MatMul", ["x", "Wv"], ["v"], { name: "v_proj" }),
        createNode("Transpose", ["k"], ["kt"], {
          name: "k_t",
          attributes: [createIntsAttribute("perm", [0, 2, 1])],
        }),
        createNode("MatMul", ["q", "kt"], ["scores"], { name: "qk" }),
        createNode("Mul", ["scores", "quarter"], ["scaled"], { name: "scale" }),
        slice("mask_slice", "mask"),
        createNode("Add", ["scaled", "mask_slice"], ["masked"], { name: "add_mask" }),
        createNode("Softmax", ["masked"], ["probs"], {
          name: "softmax",
          attributes: [createIntAttribute("axis", -1)],
        }),
        createNode("MatMul", ["probs", "v"], ["attended"], { name: "pv" }),
        createNode("Transpose", ["WoT"], ["Wo"], {
          name: "wo_t",
          attributes: [createIntsAttribute("perm", [1, 0])],
        }),
        createNode("MatMul", ["attended", "Wo"], ["o"], { name: "o_proj" }),
        createNode("Add", ["o", "x"], ["h"], { name: "residual" }),
        createNode("MatMul", ["h", "Whead"], ["logits"], { name: "head" }),
      ],
    }),
  });
}

/** Deterministic token ids [batch, 8]. */
export function tokenInput(batch: number, seed: number): RuntimeTensor {
  const data = new BigInt64Array(batch * TINY_SEQ);
  for (let i = 0; i < data.length; i++) data[i] = BigInt((i * 7 + seed * 13) % TINY_VOCAB);
  return { type: "int64", dims: [batch, TINY_SEQ], data };
}
