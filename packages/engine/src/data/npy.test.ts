import { describe, expect, it } from "vitest";
import { values } from "../../test/fixtures";
import { createNpy } from "../../test/npz-writer";
import { NpyFormatError } from "../errors";
import { parseNpy } from "./npy";

describe("parseNpy", () => {
  it("reads float32, int64, uint8, bool and float64 arrays with their shapes", () => {
    const f = parseNpy(createNpy("<f4", [2, 3], Float32Array.of(1, 2, 3, 4, 5, 6)), "x");
    expect(f).toMatchObject({ name: "x", dtype: "float32", shape: [2, 3] });
    expect(values(f.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(values(parseNpy(createNpy("<i8", [2], BigInt64Array.of(-1n, 2n ** 40n))).data)).toEqual([
      -1n,
      2n ** 40n,
    ]);
    expect(parseNpy(createNpy("|u1", [3], Uint8Array.of(1, 2, 255))).dtype).toBe("uint8");
    expect(parseNpy(createNpy("|b1", [2], Uint8Array.of(1, 0))).dtype).toBe("bool");
    expect(values(parseNpy(createNpy("<f8", [], Float64Array.of(0.25))).data)).toEqual([0.25]);
    expect(parseNpy(createNpy("<f8", [], Float64Array.of(0.25))).shape).toEqual([]);
  });

  it("reads format version 2 headers", () => {
    expect(parseNpy(createNpy("<i4", [1], Int32Array.of(7), { version: 2 })).data[0]).toBe(7);
  });

  it("rejects Fortran order, big-endian and unsupported dtypes with what to do", () => {
    const fortran = createNpy("<f4", [2, 2], new Float32Array(4), { fortran: true });
    expect(() => parseNpy(fortran, "w")).toThrowError(/Fortran.*np.ascontiguousarray/);
    expect(() => parseNpy(createNpy(">f4", [1], new Float32Array(1)))).toThrowError(/big-endian/);
    expect(() => parseNpy(createNpy("<U5", [1], new Uint8Array(20)))).toThrowError(/dtype '<U5'/);
    try {
      parseNpy(fortran);
    } catch (error) {
      expect((error as NpyFormatError).code).toBe("NPY_UNSUPPORTED");
    }
  });

  it("rejects truncated data and non-npy bytes", () => {
    const bytes = createNpy("<f4", [10], new Float32Array(10));
    expect(() => parseNpy(bytes.subarray(0, bytes.length - 4))).toThrowError(/truncated/);
    expect(() => parseNpy(new TextEncoder().encode("hello"))).toThrowError(NpyFormatError);
  });
});
