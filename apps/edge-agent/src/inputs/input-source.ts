/** Where inference inputs come from: a replayed sensor CSV, images, or deterministic pseudo-random data. */

export const TOKEN_VOCAB = 64;

export interface InputSource {
  readonly description: string;
  /** Fills `out` with the next values on a z-score scale. */
  fillFloats(out: Float32Array | Float64Array): void;
  /** Fills `out` with token ids in [0, TOKEN_VOCAB). */
  fillTokens(out: BigInt64Array | Int32Array): void;
  /**
   * Optional, for sources that know what an image is: fills a 4-D float input of `shape` [N, C, H, W] with N images
   * (CHW each). Feeds prefer it over `fillFloats` for 4-D float inputs.
   */
  fillImage?(out: Float32Array | Float64Array, shape: NchwShape): void;
}

export type NchwShape = readonly [n: number, c: number, h: number, w: number];

/** z-scored value → token id: clip to [-3, 3], cut into TOKEN_VOCAB uniform bins (as the reference datasets do). */
export function tokenOf(z: number): number {
  const clipped = Math.min(3, Math.max(-3, z));
  return Math.min(TOKEN_VOCAB - 1, Math.floor(((clipped + 3) / 6) * TOKEN_VOCAB));
}
