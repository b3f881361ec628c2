/**
 * Block-wise asymmetric weight quantization to 4 or 8 bits, in the packed layout onnxruntime's
 * com.microsoft block-quantized ops read (MatMulNBits, GatherBlockQuantized):
 *
 * - a [rows, cols] matrix is cut along its last axis into blocks of `blockSize` values; each block has
 *   its own float scale and unsigned zero point: real ≈ (q − zero_point) × scale, q ∈ [0, 2^bits − 1];
 * - values are packed little end first: with 4 bits, element 2i is the low nibble of byte i and 2i + 1
 *   the high nibble; zero points are packed the same way, per row (ceil(blocks × bits / 8) bytes a row);
 * - `paddedCols` (≥ cols) pads each row with the zero point so that every block is complete
 *   (MatMulNBits stores B as [N, blocks, blockSize × bits / 8]); GatherBlockQuantized stores exactly
 *   `cols` values a row.
 *
 * The range of each block is [min, max] widened to contain 0 (the usual convention; it keeps the zero
 * point inside [0, 2^bits − 1]). Searching narrower, MSE-optimal clipping ranges per block was tried on
 * sensor-gpt and made next-token NLL worse (+2.4 % vs +2.1 % over fp32), so ranges are not clipped.
 */
import { roundHalfToEven } from "./quantize-weights";

export interface BlockQuantizeOptions {
  bits: 4 | 8;
  blockSize: number;
  /** Values stored per row (≥ cols); the padding holds the zero point. Default cols. */
  paddedCols?: number;
}

export interface BlockQuantized {
  /** Packed values, rows × paddedCols × bits / 8 bytes. */
  packed: Uint8Array;
  /** One scale per block, [rows, blocks] row-major. */
  scales: Float32Array;
  /** Packed zero points, [rows, ceil(blocks × bits / 8)]. */
  zeroPoints: Uint8Array;
  blocks: number;
  /** Bytes of packed zero points per row. */
  zeroPointBytesPerRow: number;
  /** Sum over all values of (real − dequantized)², for reporting. */
  squaredError: number;
}

/** Writes a `bits`-wide unsigned value at element `index` of a packed byte array. */
function putPacked(target: Uint8Array, index: number, bits: number, value: number): void {
  if (bits === 8) {
    target[index] = value;
    return;
  }
  const perByte = 8 / bits;
  const byte = Math.floor(index / perByte);
  const shift = (index % perByte) * bits;
  target[byte] = ((target[byte] as number) | (value << shift)) & 0xff;
}

/** Scale and zero point of one block [start, end) and its squared quantization error. */
function quantizeBlockParams(values: Float32Array, start: number, end: number, qmax: number) {
  let min = 0;
  let max = 0;
  for (let i = start; i < end; i++) {
    const v = values[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const scale = Math.fround((max - min) / qmax);
  if (!(scale > 0) || !Number.isFinite(scale)) return { scale: 1, zeroPoint: 0, error: 0 };
  const zeroPoint = Math.max(0, Math.min(qmax, roundHalfToEven(-min / scale)));
  let error = 0;
  for (let i = start; i < end; i++) {
    const v = values[i] as number;
    const q = Math.max(0, Math.min(qmax, roundHalfToEven(v / scale) + zeroPoint));
    const d = (q - zeroPoint) * scale - v;
    error += d * d;
  }
  return { scale, zeroPoint, error };
}

/** Quantizes a row-major [rows, cols] float matrix block-wise along its last axis. */
export function quantizeBlockwise(
  values: Float32Array,
  rows: number,
  cols: number,
  options: BlockQuantizeOptions,
): BlockQuantized {
  const { bits, blockSize } = options;
  const paddedCols = options.paddedCols ?? cols;
  if (values.length !== rows * cols)
    throw new RangeError(`expected ${rows}×${cols} values, got ${values.length}`);
  if (paddedCols < cols || (paddedCols * bits) % 8 !== 0) {
    throw new RangeError(`cannot pack rows of ${cols} values into ${paddedCols} ${bits}-bit slots`);
  }
  const qmax = (1 << bits) - 1;
  const blocks = Math.ceil(cols / blockSize);
  const zeroPointBytesPerRow = Math.ceil((blocks * bits) / 8);
  const packed = new Uint8Array((rows * paddedCols * bits) / 8);
  const scales = new Float32Array(rows * blocks);
  const zeroPoints = new Uint8Array(rows * zeroPointBytesPerRow);
  let squaredError = 0;
  for (let r = 0; r < rows; r++) {
    const rowStart = r * cols;
    for (let b = 0; b < blocks; b++) {
      const start = rowStart + b * blockSize;
      const end = rowStart + Math.min(cols, (b + 1) * blockSize);
      const { scale, zeroPoint, error } = quantizeBlockParams(values, start, end, qmax);
      squaredError += error;
      scales[r * blocks + b] = scale;
      putPacked(zeroPoints, r * zeroPointBytesPerRow * (8 / bits) + b, bits, zeroPoint);
      for (let i = start; i < end; i++) {
        const q = Math.max(0, Math.min(qmax, roundHalfToEven((values[i] as number) / scale) + zeroPoint));
        putPacked(packed, r * paddedCols + (i - rowStart), bits, q);
      }
      const padEnd = Math.min(paddedCols, (b + 1) * blockSize);
      for (let c = end - rowStart; c < padEnd; c++) putPacked(packed, r * paddedCols + c, bits, zeroPoint);
    }
  }
  return { packed, scales, zeroPoints, blocks, zeroPointBytesPerRow, squaredError };
}

/** Reverses `quantizeBlockwise` (for tests and error reports): the [rows, cols] dequantized matrix. */
export function dequantizeBlockwise(
  q: BlockQuantized,
  rows: number,
  cols: number,
  options: Pick<BlockQuantizeOptions, "bits" | "blockSize" | "paddedCols">,
): Float32Array {
  const { bits, blockSize } = options;
  const paddedCols = options.paddedCols ?? cols;
  const perByte = 8 / bits;
  const mask = (1 << bits) - 1;
  const read = (source: Uint8Array, index: number) =>
    ((source[Math.floor(index / perByte)] as number) >> ((index % perByte) * bits)) & mask;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const b = Math.floor(c / blockSize);
      const zeroPoint = read(q.zeroPoints, r * q.zeroPointBytesPerRow * perByte + b);
      out[r * cols + c] =
        (read(q.packed, r * paddedCols + c) - zeroPoint) * (q.scales[r * q.blocks + b] as number);
    }
  }
  return out;
}
