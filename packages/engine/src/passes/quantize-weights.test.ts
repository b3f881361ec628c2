import { describe, expect, it } from "vitest";
import { randomFloats } from "../../test/fixtures";
import { quantizeSymmetric, roundHalfToEven } from "./quantize-weights";

describe("quantizeSymmetric", () => {
  it("keeps every weight within half a step of its value, per column", () => {
    const rows = 16;
    const cols = 4;
    const w = randomFloats(rows * cols, 3, 2);
    for (let i = 0; i < rows; i++) w[i * cols + 1] = (w[i * cols + 1] as number) * 0.01; // a small-magnitude column
    const { values, scales } = quantizeSymmetric(w, { channels: cols, axis: "last", qmax: 127 });
    expect(scales).toHaveLength(cols);
    for (let i = 0; i < w.length; i++) {
      const scale = scales[i % cols] as number;
      expect(Math.abs((values[i] as number) * scale - (w[i] as number))).toBeLessThanOrEqual(
        scale / 2 + 1e-7,
      );
      expect(Math.abs(values[i] as number)).toBeLessThanOrEqual(127);
    }
    expect(scales[1]).toBeLessThan((scales[0] as number) / 10);
  });

  it("uses the first axis for conv weights, 63 for reduced range, and scale 1 for an all-zero channel", () => {
    const w = Float32Array.of(0, 0, 0, 0, 1.2, -2, 0.5, 2);
    const { values, scales } = quantizeSymmetric(w, { channels: 2, axis: "first", qmax: 63 });
    expect(Array.from(scales)).toEqual([1, Math.fround(2 / 63)]);
    expect(Array.from(values)).toEqual([0, 0, 0, 0, 38, -63, 16, 63]);
  });

  it("per-tensor uses one scale", () => {
    const { scales } = quantizeSymmetric(Float32Array.of(-4, 1, 2), { channels: 1, axis: "last", qmax: 127 });
    expect(Array.from(scales)).toEqual([Math.fround(4 / 127)]);
  });

  it("rounds half to even like QuantizeLinear", () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfToEven)).toEqual([0, 2, 2, -0, -2, 2, 3]);
  });
});
