import { describe, expect, it } from "vitest";
import { randomFloats } from "../../test/fixtures";
import { dequantizeBlockwise, quantizeBlockwise } from "./block-quantize";

describe("quantizeBlockwise", () => {
  it("packs 4-bit values low nibble first, zero points per row", () => {
    // one row, one block of 16: values 0..15 with min 0 → scale 1, zero point 0
    const values = Float32Array.from({ length: 16 }, (_, i) => i);
    const q = quantizeBlockwise(values, 1, 16, { bits: 4, blockSize: 16 });
    expect(q.scales[0]).toBe(1);
    expect([...q.packed.subarray(0, 2)]).toEqual([0x10, 0x32]);
    expect([...q.zeroPoints]).toEqual([0]);
    // negative range: [-15, 0] → zero point 15
    const negative = quantizeBlockwise(
      values.map((v) => -v),
      1,
      16,
      { bits: 4, blockSize: 16 },
    );
    expect([...negative.zeroPoints]).toEqual([15]);
  });

  it("keeps every value within half a step and pads partial blocks with the zero point", () => {
    const rows = 5;
    const cols = 40; // 3 blocks of 16, the last one partial
    const values = randomFloats(rows * cols, 3, 2);
    const q = quantizeBlockwise(values, rows, cols, { bits: 4, blockSize: 16, paddedCols: 48 });
    expect(q.blocks).toBe(3);
    expect(q.zeroPointBytesPerRow).toBe(2);
    expect(q.packed.length).toBe((rows * 48) / 2);
    const back = dequantizeBlockwise(q, rows, cols, { bits: 4, blockSize: 16, paddedCols: 48 });
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const scale = q.scales[r * 3 + Math.floor(c / 16)] as number;
        expect(
          Math.abs((back[r * cols + c] as number) - (values[r * cols + c] as number)),
        ).toBeLessThanOrEqual(scale / 2 + 1e-6);
      }
    }
    // padding of row 0, block 2 (columns 40..47) holds that block's zero point
    const zp = ((q.zeroPoints[1] as number) & 0x0f) as number;
    expect(q.packed[20] ?? -1).toBe(zp | (zp << 4));
  });

  it("quantizes 8-bit rows and maps an all-zero block to exact zeros", () => {
    const values = new Float32Array(64);
    values.set(randomFloats(32, 4), 32);
    const q = quantizeBlockwise(values, 2, 32, { bits: 8, blockSize: 32 });
    const back = dequantizeBlockwise(q, 2, 32, { bits: 8, blockSize: 32 });
    expect([...back.subarray(0, 32)].every((v) => v === 0)).toBe(true);
    const maxErr = Math.max(...back.subarray(32).map((v, i) => Math.abs(v - (values[32 + i] as number))));
    expect(maxErr).toBeLessThanOrEqual((q.scales[1] as number) / 2 + 1e-7);
  });
});
