import { describe, expect, it } from "vitest";
import { values } from "../../test/fixtures";
import { createNpy, createZip } from "../../test/npz-writer";
import { NpyFormatError } from "../errors";
import { parseArrays, parseNpz } from "./npz";

const input = createNpy("<f4", [2, 3], Float32Array.of(1, 2, 3, 4, 5, 6));
const labels = createNpy("<i8", [2], BigInt64Array.of(3n, 7n));

describe("parseNpz", () => {
  it("reads stored and deflated members, with and without zip64 local headers", () => {
    for (const deflate of [false, true]) {
      const bytes = createZip([
        { name: "input.npy", data: input, deflate, zip64Local: true },
        { name: "labels.npy", data: labels, deflate },
      ]);
      const arrays = parseNpz(bytes);
      expect([...arrays.keys()]).toEqual(["input", "labels"]);
      expect(arrays.get("input")).toMatchObject({ dtype: "float32", shape: [2, 3] });
      expect(values(arrays.get("input")!.data)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(values(arrays.get("labels")!.data)).toEqual([3n, 7n]);
    }
  });

  it("detects corruption (CRC), truncation and non-zip data", () => {
    const bytes = createZip([{ name: "input.npy", data: input }]);
    const corrupt = bytes.slice();
    corrupt[100] = (corrupt[100] as number) ^ 0xff;
    expect(() => parseNpz(corrupt)).toThrowError(/CRC-32/);
    expect(() => parseNpz(bytes.subarray(0, bytes.length - 30))).toThrowError(NpyFormatError);
    expect(() => parseNpz(new Uint8Array(10))).toThrowError(/end-of-central-directory/);
  });

  it("parseArrays accepts .npz or a single .npy and rejects anything else", () => {
    expect([...parseArrays(createZip([{ name: "input.npy", data: input }])).keys()]).toEqual(["input"]);
    expect([...parseArrays(input, "window").keys()]).toEqual(["window"]);
    expect(() => parseArrays(new TextEncoder().encode("{}"))).toThrowError(/np.savez/);
  });
});
