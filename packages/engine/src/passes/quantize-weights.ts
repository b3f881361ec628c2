/** Offline weight quantization math: symmetric int8, per tensor or per channel. */

export interface QuantizedWeights {
  /** Quantized values, same layout as the input. */
  values: Int8Array;
  /** One scale per channel (length 1 when per-tensor). real ≈ values × scale. */
  scales: Float32Array;
}

export interface SymmetricQuantizeOptions {
  /** Number of channels; 1 = per-tensor. */
  channels: number;
  /** Where the channel index lives: the last axis (MatMul B [K, N] per column) or the first (Conv W [M, …]). */
  axis: "last" | "first";
  /** Largest magnitude of a quantized value: 127 (full int8) or 63 (7-bit, "reduce range"). */
  qmax: number;
}

/** Round half to even, as ONNX QuantizeLinear does. */
export function roundHalfToEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function quantizeSymmetric(
  weights: Float32Array,
  options: SymmetricQuantizeOptions,
): QuantizedWeights {
  const { channels, axis, qmax } = options;
  if (channels < 1 || weights.length % channels !== 0) {
    throw new RangeError(`cannot split ${weights.length} weights into ${channels} channels`);
  }
  const perChannel = weights.length / channels;
  const channelOf = axis === "last" ? (i: number) => i % channels : (i: number) => Math.floor(i / perChannel);
  const maxAbs = new Float32Array(channels);
  for (let i = 0; i < weights.length; i++) {
    const c = channelOf(i);
    const v = Math.abs(weights[i] as number);
    if (v > (maxAbs[c] as number)) maxAbs[c] = v;
  }
  // An all-zero channel gets scale 1 so it still dequantizes to exact zeros.
  const scales = maxAbs.map((m) => (m > 0 && Number.isFinite(m) ? m / qmax : 1));
  const values = new Int8Array(weights.length);
  for (let i = 0; i < weights.length; i++) {
    const q = roundHalfToEven((weights[i] as number) / (scales[channelOf(i)] as number));
    values[i] = Math.max(-qmax, Math.min(qmax, q));
  }
  return { values, scales };
}
