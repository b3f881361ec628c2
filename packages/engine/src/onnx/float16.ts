/**
 * IEEE 754 binary16 ⇄ binary32 conversion on bit patterns (ONNX stores float16 tensors as uint16 bits).
 * float32 → float16 rounds to nearest, ties to even (as hardware conversion does), handles subnormals,
 * infinities and NaN, and optionally saturates finite values beyond the float16 range to ±65504
 * instead of turning them into ±Infinity.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Largest finite float16. */
export const FLOAT16_MAX = 65504;

/** Float16 bits of `value`, rounded to nearest even; finite overflow → ±Inf, or ±65504 with `saturate`. */
export function float32ToFloat16Bits(value: number, saturate = false): number {
  f32[0] = value;
  const x = u32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const abs = x & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00; // NaN
  if (abs >= 0x477ff000) {
    // ≥ 65520 rounds past the largest float16 (65504); true infinities stay infinite.
    return abs === 0x7f800000 || !saturate ? sign | 0x7c00 : sign | 0x7bff;
  }
  if (abs < 0x38800000) {
    // Below 2^-14: a float16 subnormal, a multiple of 2^-24 (exact in double arithmetic).
    u32[0] = abs;
    const scaled = (f32[0] as number) * 2 ** 24;
    const floor = Math.floor(scaled);
    const diff = scaled - floor;
    const rounded = diff > 0.5 || (diff === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
    return sign | rounded;
  }
  const exponent = (abs >>> 23) - 127 + 15;
  const mantissa = abs & 0x7fffff;
  let bits = (exponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (bits & 1) === 1)) bits += 1; // a carry may bump the exponent: still right
  return sign | bits;
}

/** The float32 value of float16 bits (exact: every float16 is a float32). */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export interface Float16Conversion {
  bits: Uint16Array;
  /** Finite values whose magnitude exceeded 65504 (saturated or turned into ±Inf). */
  overflowed: number;
  /** Non-zero values that became zero. */
  flushedToZero: number;
}

/** Converts a float32 array to float16 bits; with `saturate`, finite overflow clamps to ±65504. */
export function toFloat16(values: ArrayLike<number>, saturate = true): Float16Conversion {
  const bits = new Uint16Array(values.length);
  let overflowed = 0;
  let flushedToZero = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    const h = float32ToFloat16Bits(v, saturate);
    bits[i] = h;
    if (Number.isFinite(v) && Math.abs(v) > FLOAT16_MAX) overflowed++;
    else if (v !== 0 && (h & 0x7fff) === 0) flushedToZero++;
  }
  return { bits, overflowed, flushedToZero };
}

/** True when every value survives a float16 round trip exactly (NaN counts as exact). */
export function isExactFloat16(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v)) continue;
    if (float16BitsToFloat32(float32ToFloat16Bits(v)) !== v) return false;
  }
  return true;
}
