import { describe, expect, it } from "vitest";
import {
  FLOAT16_MAX,
  float16BitsToFloat32,
  float32ToFloat16Bits,
  isExactFloat16,
  toFloat16,
} from "./float16";

const roundTrip = (v: number, saturate = false) => float16BitsToFloat32(float32ToFloat16Bits(v, saturate));

describe("float16", () => {
  it("encodes known values", () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [1 / 3, 0x3555],
      [65504, 0x7bff],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [Number.POSITIVE_INFINITY, 0x7c00],
      [Number.NEGATIVE_INFINITY, 0xfc00],
    ];
    for (const [value, bits] of cases) expect(float32ToFloat16Bits(value)).toBe(bits);
    expect(Number.isNaN(roundTrip(Number.NaN))).toBe(true);
  });

  it("rounds to nearest, ties to even", () => {
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to the even mantissa (1).
    expect(roundTrip(1 + 2 ** -11)).toBe(1);
    // 1 + 3·2^-11 is halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even).
    expect(roundTrip(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9);
    expect(roundTrip(1 + 2 ** -11 + 2 ** -20)).toBe(1 + 2 ** -10);
    // subnormal ties: 0.5 · 2^-24 → 0, 1.5 · 2^-24 → 2 · 2^-24
    expect(roundTrip(2 ** -25)).toBe(0);
    expect(roundTrip(3 * 2 ** -25)).toBe(2 * 2 ** -24);
  });

  it("overflows to infinity, or saturates to ±65504 on request", () => {
    expect(roundTrip(65519)).toBe(65504);
    expect(roundTrip(65520)).toBe(Number.POSITIVE_INFINITY);
    expect(roundTrip(1e6, true)).toBe(FLOAT16_MAX);
    expect(roundTrip(-3.4e38, true)).toBe(-FLOAT16_MAX);
    expect(roundTrip(Number.NEGATIVE_INFINITY, true)).toBe(Number.NEGATIVE_INFINITY);
    const { bits, overflowed, flushedToZero } = toFloat16(Float32Array.of(1e5, -1e9, 1e-9, 0, 2), true);
    expect([...bits].map(float16BitsToFloat32)).toEqual([65504, -65504, 0, 0, 2]);
    expect(overflowed).toBe(2);
    expect(flushedToZero).toBe(1);
  });

  it("is within half an ulp for every float16 interval sampled", () => {
    for (let i = 0; i < 2000; i++) {
      const v = Math.fround((Math.sin(i * 12.9898) * 43758.5453) % 1000);
      const h = roundTrip(v);
      const ulp = 2 ** (Math.floor(Math.log2(Math.abs(v) || 2 ** -24)) - 10);
      expect(Math.abs(h - v)).toBeLessThanOrEqual(Math.max(ulp, 2 ** -24) / 2);
    }
  });

  it("detects tensors that are exact in float16", () => {
    expect(isExactFloat16(Float32Array.of(0, Number.NEGATIVE_INFINITY, 1, -2.5, 1024))).toBe(true);
    expect(isExactFloat16(Float32Array.of(0.1))).toBe(false);
  });
});
