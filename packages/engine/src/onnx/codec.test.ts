import { describe, expect, it } from "vitest";
import { createMlpModel } from "../../test/fixtures";
import { OnnxFormatError } from "../errors";
import { createIntsAttribute } from "./attributes";
import { createNode } from "./builder";
import { parseModel, serializeModel } from "./codec";
import { DATA_TYPE } from "./data-type";
import { createInt64Tensor, getTensorData } from "./tensor";

function expectInvalid(bytes: Uint8Array, pattern: RegExp, code = "ONNX_INVALID") {
  try {
    parseModel(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(OnnxFormatError);
    expect((error as OnnxFormatError).code).toBe(code);
    expect((error as Error).message).toMatch(pattern);
    return;
  }
  throw new Error("parseModel accepted invalid bytes");
}

describe("parseModel / serializeModel", () => {
  it("round-trips a built model exactly (structure and bytes)", () => {
    const model = createMlpModel();
    const bytes = serializeModel(model);
    const parsed = parseModel(bytes);
    expect(parsed).toEqual(model);
    expect(serializeModel(parsed)).toEqual(bytes);
  });

  it("keeps 64-bit values exactly (INT64_MAX in attributes and int64 tensors)", () => {
    const model = createMlpModel();
    const max = 9223372036854775807n;
    model.graph.initializer.push(createInt64Tensor("big", [3], [max, -max - 1n, 5n]));
    model.graph.initializer.push({
      ...createInt64Tensor("packed", [0], []),
      rawData: undefined,
      dims: [2],
      int64Data: [max, -1n],
    });
    model.graph.node.push(
      createNode("Identity", ["big"], ["big_out"], { attributes: [createIntsAttribute("ends", [max])] }),
    );
    const parsed = parseModel(serializeModel(model));
    expect(
      Array.from(getTensorData(parsed.graph.initializer.find((t) => t.name === "big")!) as BigInt64Array),
    ).toEqual([max, -max - 1n, 5n]);
    expect(parsed.graph.initializer.find((t) => t.name === "packed")?.int64Data).toEqual([max, -1n]);
    expect(parsed.graph.node.at(-1)?.attribute[0]?.ints).toEqual([max]);
    expect(parsed.graph.initializer.find((t) => t.name === "big")?.dataType).toBe(DATA_TYPE.INT64);
  });

  it("rejects an empty buffer", () => {
    expectInvalid(new Uint8Array(), /empty/);
  });

  it("rejects random bytes", () => {
    const random = new Uint8Array(4096);
    let state = 7;
    for (let i = 0; i < random.length; i++) {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      random[i] = state >> 16;
    }
    expectInvalid(random, /not an ONNX model/);
  });

  it("rejects a PNG header, JSON text and a zip archive by name", () => {
    expectInvalid(
      Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
      /PNG image/,
    );
    expectInvalid(new TextEncoder().encode('{"model": "resnet"}'), /JSON/);
    expectInvalid(Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]), /zip archive/);
  });

  it("rejects a truncated model and says it may be truncated", () => {
    const bytes = serializeModel(createMlpModel());
    for (const cut of [1, 20, Math.floor(bytes.length / 2), bytes.length - 3]) {
      expectInvalid(bytes.subarray(0, cut), /not an ONNX model/);
    }
    expectInvalid(bytes.subarray(0, Math.floor(bytes.length / 2)), /truncated|no /);
  });

  it("rejects a protobuf that is not a model (no graph / ir_version)", () => {
    // A lone OperatorSetIdProto-shaped message: field 1 string, field 2 varint.
    const notAModel = Uint8Array.from([0x0a, 0x03, 0x61, 0x62, 0x63, 0x10, 0x05]);
    expectInvalid(notAModel, /not an ONNX model/);
    const model = createMlpModel();
    const { graph: _graph, ...rest } = model;
    expectInvalid(serializeModel({ ...rest } as never), /no graph/);
  });

  it("reports external data as unsupported with what to do", () => {
    const model = createMlpModel();
    const weight = model.graph.initializer[0]!;
    weight.rawData = undefined;
    weight.dataLocation = 1;
    weight.externalData = [{ key: "location", value: "weights.bin" }];
    expectInvalid(serializeModel(model), /external data.*save_as_external_data=False/, "ONNX_EXTERNAL_DATA");
    expect(
      parseModel(serializeModel(model), { allowExternalData: true }).graph.initializer[0]?.dataLocation,
    ).toBe(1);
  });
});
