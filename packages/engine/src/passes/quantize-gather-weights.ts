/**
 * Quantized storage for embedding tables: constant float32 tables read only by Gather (axis 0; token
 * embeddings) or Slice (learned position embeddings, `pos[:, :T]`), stored in fewer bits and
 * dequantized on the fly. Two formats:
 *
 * - 'int4-block': com.microsoft GatherBlockQuantized (onnxruntime contrib op; CPU kernel checked in
 *   onnxruntime-node 1.30): uint8 data holding two 4-bit values a byte, blocks of `blockSize` along the
 *   last axis, float scales and packed 4-bit zero points (block-quantize.ts). A Gather of table rows
 *   becomes GatherBlockQuantized(gather_axis 0, quantize_axis last) directly; a table read by Slice is
 *   stored with a leading axis of 1 and materialized by a GatherBlockQuantized of index 0. Needs an
 *   even last dim.
 * - 'uint8-rows': standard ONNX, DequantizeLinear(uint8 table, one scale and zero point per row, axis
 *   rank − 2) feeding the original readers. Runs on any runtime; needs default opset ≥ 13 and a table
 *   whose dims before the last two are 1.
 *
 * Tables read by anything else are left alone (quantizing them would add a copy, not remove one).
 * Used by quantize-int4 (4-bit) and, as an option, quantize-dynamic-int8 (8-bit).
 */
import { createIntAttribute, getIntAttribute } from "../onnx/attributes";
import { createNode } from "../onnx/builder";
import { createConstantResolver } from "../onnx/constants";
import { DATA_TYPE } from "../onnx/data-type";
import { createNameGenerator, findDefaultOpsetVersion, getConsumers } from "../onnx/graph";
import type { Node, OnnxModel, Tensor } from "../onnx/model";
import { createInt64Tensor, createTensor, getElementCount, getTensorData } from "../onnx/tensor";
import { quantizeBlockwise } from "./block-quantize";

export const MICROSOFT_DOMAIN = "com.microsoft";

export type GatherWeightFormat = "int4-block" | "uint8-rows";

export interface QuantizeGatherWeightsOptions {
  format: GatherWeightFormat;
  /** Values per block along the last axis for 'int4-block' (power of 2, ≥ 16); default 32. */
  blockSize?: number;
  /** Tables with fewer elements stay float; default 1024. */
  minElements?: number;
  /** Names of reading nodes to leave alone (their table then stays float). */
  excludeNodes?: ReadonlySet<string>;
}

export interface GatherQuantizeReport {
  /** One line per quantized table: name, shape, bytes before → after. */
  quantized: string[];
  /** One line per constant table read by Gather/Slice that stayed float, with the reason. */
  skipped: string[];
}

/** Adds the com.microsoft opset import (version 1) unless the model already has one. */
export function ensureMicrosoftOpset(model: OnnxModel): void {
  if (!model.opsetImport.some((o) => o.domain === MICROSOFT_DOMAIN)) {
    model.opsetImport.push({ domain: MICROSOFT_DOMAIN, version: 1 });
  }
}

const isDefaultDomain = (node: Node) => !node.domain || node.domain === "ai.onnx";
const readsRows = (node: Node, table: string) =>
  isDefaultDomain(node) &&
  node.opType === "Gather" &&
  node.input[0] === table &&
  getIntAttribute(node, "axis", 0) === 0;
const readsSlice = (node: Node, table: string) =>
  isDefaultDomain(node) &&
  node.opType === "Slice" &&
  node.input[0] === table &&
  !node.input.slice(1).includes(table);

/**
 * Rewrites the model in place (callers clone first) so eligible tables are stored quantized; the
 * replaced float32 tables are removed. Returns what was changed and what stayed float.
 */
export function quantizeGatherWeights(
  model: OnnxModel,
  options: QuantizeGatherWeightsOptions,
): GatherQuantizeReport {
  const blockSize = options.blockSize ?? 32;
  const minElements = options.minElements ?? 1024;
  const graph = model.graph;
  const resolve = createConstantResolver(model);
  const newName = createNameGenerator(model);
  const consumers = getConsumers(graph);
  const report: GatherQuantizeReport = { quantized: [], skipped: [] };
  /** Table name → how each reading node is rewritten, plus nodes to emit before the first reader. */
  const plans = new Map<string, { rewrite: (reader: Node) => Node; prelude: Node[] }>();
  const added: Tensor[] = [];

  for (const tensor of graph.initializer) {
    const name = tensor.name ?? "";
    const readers = consumers.get(name) ?? [];
    const table = resolve(name);
    if (!table || table.dataType !== DATA_TYPE.FLOAT || readers.length === 0) continue;
    if (table.dataLocation === 1 || table.externalData.length > 0) continue;
    if (!readers.some((r) => readsRows(r, name) || readsSlice(r, name))) continue;
    const dims = table.dims;
    const count = getElementCount(dims);
    const last = dims[dims.length - 1] ?? 0;
    const gatherOnly = dims.length === 2 && readers.every((r) => readsRows(r, name));
    const why = readers.some((r) => !readsRows(r, name) && !readsSlice(r, name))
      ? "the table is also read by other ops"
      : readers.some((r) => options.excludeNodes?.has(r.name ?? ""))
        ? "a reader is excluded"
        : count < minElements
          ? `only ${count} elements (minElements ${minElements})`
          : options.format === "int4-block" && last % 2 !== 0
            ? `last dim ${last} is odd (4-bit packing needs pairs)`
            : options.format === "uint8-rows" && (dims.length < 2 || dims.slice(0, -2).some((d) => d !== 1))
              ? `dims [${dims.join(", ")}] are not a 2-D table`
              : options.format === "uint8-rows" && (findDefaultOpsetVersion(model) ?? 1) < 13
                ? "per-row DequantizeLinear needs opset ≥ 13"
                : undefined;
    const values = why ? undefined : (getTensorData(table) as Float32Array);
    const reason =
      why ?? (values?.every(Number.isFinite) ? undefined : "has non-finite values (e.g. a −inf mask)");
    if (reason || !values) {
      report.skipped.push(`'${name}' [${dims.join(", ")}]: ${reason}`);
      continue;
    }
    const rows = count / last;
    const before = count * 4;
    let after: number;
    if (options.format === "int4-block") {
      const q = quantizeBlockwise(values, rows, last, { bits: 4, blockSize });
      const lead = gatherOnly ? dims.slice(0, -1) : [1, ...dims.slice(0, -1)];
      const names = {
        data: newName(`${name}_q4`),
        scales: newName(`${name}_q4_scales`),
        zp: newName(`${name}_q4_zero_points`),
      };
      added.push(
        createTensor(names.data, DATA_TYPE.UINT8, [...lead, last / 2], q.packed),
        createTensor(names.scales, DATA_TYPE.FLOAT, [...lead, q.blocks], q.scales),
        createTensor(names.zp, DATA_TYPE.UINT8, [...lead, q.zeroPointBytesPerRow], q.zeroPoints),
      );
      after = q.packed.byteLength + q.scales.byteLength + q.zeroPoints.byteLength;
      const gbq = (indices: string, outputs: string[], base: string) =>
        createNode("GatherBlockQuantized", [names.data, indices, names.scales, names.zp], outputs, {
          name: newName(`${base}_GatherBlockQuantized`),
          domain: MICROSOFT_DOMAIN,
          attributes: [
            createIntAttribute("bits", 4),
            createIntAttribute("block_size", blockSize),
            createIntAttribute("gather_axis", 0),
            createIntAttribute("quantize_axis", lead.length),
          ],
        });
      ensureMicrosoftOpset(model);
      if (gatherOnly) {
        plans.set(name, {
          prelude: [],
          rewrite: (r) => gbq(r.input[1] ?? "", r.output, r.name || (r.output[0] ?? name)),
        });
      } else {
        const index = newName(`${name}_index0`);
        const dequantized = newName(`${name}_dequantized`);
        added.push(createInt64Tensor(index, [], [0]));
        plans.set(name, {
          prelude: [gbq(index, [dequantized], name)],
          rewrite: (r) => rewire(r, dequantized),
        });
      }
      report.quantized.push(
        `'${name}' [${dims.join(", ")}] → 4-bit blocks of ${blockSize}: ${before} → ${after} bytes`,
      );
    } else {
      const q = quantizeBlockwise(values, rows, last, { bits: 8, blockSize: last });
      const names = {
        data: newName(`${name}_u8`),
        scales: newName(`${name}_u8_scale`),
        zp: newName(`${name}_u8_zero_point`),
        dequantized: newName(`${name}_dequantized`),
      };
      added.push(
        createTensor(names.data, DATA_TYPE.UINT8, dims, q.packed),
        createTensor(names.scales, DATA_TYPE.FLOAT, [rows], q.scales),
        createTensor(names.zp, DATA_TYPE.UINT8, [rows], q.zeroPoints),
      );
      after = q.packed.byteLength + q.scales.byteLength + q.zeroPoints.byteLength;
      const dequantize = createNode(
        "DequantizeLinear",
        [names.data, names.scales, names.zp],
        [names.dequantized],
        {
          name: newName(`${name}_DequantizeLinear`),
          attributes: [createIntAttribute("axis", dims.length - 2)],
        },
      );
      plans.set(name, { prelude: [dequantize], rewrite: (r) => rewire(r, names.dequantized) });
      report.quantized.push(
        `'${name}' [${dims.join(", ")}] → uint8, one scale per row: ${before} → ${after} bytes`,
      );
    }
  }
  if (plans.size === 0) return report;
  const nodes: Node[] = [];
  const emitted = new Set<string>();
  for (const node of graph.node) {
    const table = node.input[0] ?? "";
    const plan = plans.get(table);
    if (!plan) {
      nodes.push(node);
      continue;
    }
    if (!emitted.has(table)) nodes.push(...plan.prelude);
    emitted.add(table);
    nodes.push(plan.rewrite(node));
  }
  graph.node = nodes;
  graph.initializer = [...graph.initializer.filter((t) => !plans.has(t.name ?? "")), ...added];
  graph.input = graph.input.filter((i) => !plans.has(i.name));
  return report;
}

/** A copy of a reading node with its table input replaced. */
function rewire(reader: Node, table: string): Node {
  return { ...reader, input: [table, ...reader.input.slice(1)] };
}
