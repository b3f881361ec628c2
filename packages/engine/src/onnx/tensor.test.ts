import { describe, expect, it } from "vitest";
import { values } from "../../test/fixtures";
import { OnnxFormatError } from "../errors";
import { DATA_TYPE } from "./data-type";
import type { Tensor } from "./model";
import {
  createFloatTensor,
  createTensor,
  getElementCount,
  getTensorByteSize,
  getTensorData,
  transposeMatrix,
} from "./tensor";

function typed(partial: Partial<Tensor>): Tensor {
  return {
    dims: [],
    dataType: DATA_TYPE.FLOAT,
    floatData: [],
    int32Data: [],
    stringData: [],
    int64Data: [],
    doubleData: [],
    uint64Data: [],
    externalData: [],
    metadataProps: [],
    ...partial,
  };
}

describe("tensor data", () => {
  it("reads raw_data and the typed fields alike", () => {
    const raw = createFloatTensor("a", [2, 2], [1, 2, 3, 4]);
    expect(values(getTensorData(raw))).toEqual([1, 2, 3, 4]);
    expect(values(getTensorData(typed({ dims: [2], floatData: [0.5, -1] })))).toEqual([0.5, -1]);
    expect(
      values(getTensorData(typed({ dims: [3], dataType: DATA_TYPE.INT8, int32Data: [-1, 0, 127] }))),
    ).toEqual([-1, 0, 127]);
    expect(values(getTensorData(typed({ dims: [1], dataType: DATA_TYPE.INT64, int64Data: [-5n] })))).toEqual([
      -5n,
    ]);
    expect(
      values(getTensorData(typed({ dims: [1], dataType: DATA_TYPE.DOUBLE, doubleData: [0.1] }))),
    ).toEqual([0.1]);
  });

  it("reads raw bytes that sit at an unaligned offset", () => {
    const buffer = new Uint8Array(9);
    buffer.set(new Uint8Array(Float32Array.of(1.5, -2).buffer), 1);
    expect(values(getTensorData(typed({ dims: [2], rawData: buffer.subarray(1) })))).toEqual([1.5, -2]);
  });

  it("rejects payloads that do not match the dims", () => {
    expect(() => getTensorData(typed({ name: "w", dims: [3], rawData: new Uint8Array(8) }))).toThrowError(
      OnnxFormatError,
    );
    expect(() => getTensorData(typed({ name: "w", dims: [3], floatData: [1] }))).toThrowError(/1 values/);
  });

  it("creates tensors with raw data and reports sizes", () => {
    const t = createTensor("q", DATA_TYPE.INT8, [2, 3], Int8Array.of(1, -2, 3, -4, 5, -6));
    expect(getTensorByteSize(t)).toBe(6);
    expect(values(getTensorData(t))).toEqual([1, -2, 3, -4, 5, -6]);
    expect(getElementCount([])).toBe(1);
    expect(() => createTensor("bad", DATA_TYPE.FLOAT, [3], new Float32Array(2))).toThrowError(RangeError);
  });

  it("transposes matrices", () => {
    expect(values(transposeMatrix(Float32Array.of(1, 2, 3, 4, 5, 6), 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
  });
});
