/**
 * A ~200 MB model (four big MatMul weights in raw_data) built with the builder, serialized, parsed back
 * and serialized again: byte-identical, ORT runs it, and the JS memory held after each step (heap +
 * ArrayBuffers, sampled between steps) stays a small multiple of the model size (measured ≈ 3×: the
 * source bytes, the parsed tensors and the re-serialized bytes), i.e. nothing is copied quadratically.
 */
import { describe, expect, it } from "vitest";
import { createGraph, createModel, createNode, createValueInfo } from "../src/onnx/builder";
import { parseModel, serializeModel } from "../src/onnx/codec";
import { inspectModel } from "../src/onnx/inspect";
import { createFloatTensor } from "../src/onnx/tensor";
import { floatInput, randomFloats } from "./fixtures";
import { runModel } from "./ort-runtime";

const WIDTH = 3584; // 4 weights of 3584 × 3584 float32 ≈ 4 × 51.4 MB

function createLargeModel() {
  const names = ["W1", "W2", "W3", "W4"];
  return createModel({
    graph: createGraph({
      name: "large",
      inputs: [createValueInfo("x", "float32", ["batch", WIDTH])],
      outputs: [createValueInfo("y", "float32", ["batch", WIDTH])],
      initializers: names.map((n, i) =>
        createFloatTensor(n, [WIDTH, WIDTH], randomFloats(WIDTH * WIDTH, 100 + i, 0.02)),
      ),
      nodes: names.map((n, i) =>
        createNode("MatMul", [i === 0 ? "x" : `h${i}`, n], [i === names.length - 1 ? "y" : `h${i + 1}`], {
          name: `fc${i + 1}`,
        }),
      ),
    }),
  });
}

describe("a 200 MB model", () => {
  it(
    "round-trips byte for byte within a few model sizes of memory, and runs in ORT",
    { timeout: 120_000 },
    async () => {
      let peak = 0;
      const sample = () => {
        const m = process.memoryUsage();
        peak = Math.max(peak, m.arrayBuffers + m.heapUsed);
      };
      const baseline = process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed;
      let model: ReturnType<typeof createLargeModel> | undefined = createLargeModel();
      const bytes = serializeModel(model);
      sample();
      model = undefined;
      const size = bytes.byteLength;
      expect(size).toBeGreaterThan(200_000_000);
      const parsed = parseModel(bytes);
      sample();
      expect(parsed.graph.initializer.map((t) => t.rawData?.byteLength)).toEqual(
        new Array(4).fill(WIDTH * WIDTH * 4),
      );
      const again = serializeModel(parsed);
      sample();
      expect(
        Buffer.compare(
          Buffer.from(again.buffer, again.byteOffset, again.byteLength),
          Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        ),
      ).toBe(0);
      const grown = (peak - baseline) / size;
      console.log(
        `model ${(size / 1e6).toFixed(1)} MB; peak JS memory above baseline ${(grown).toFixed(2)}× the model size`,
      );
      expect(grown).toBeLessThan(8);
      expect(inspectModel(parsed, { sizeBytes: size }).macs).toBe(4 * WIDTH * WIDTH);

      const feeds = { x: floatInput([1, WIDTH], 3) };
      const a = await runModel(bytes, feeds);
      const b = await runModel(again, feeds);
      expect(Array.from(b.y!.data as Float32Array)).toEqual(Array.from(a.y!.data as Float32Array));
    },
  );
});
