import { type InputSource, TOKEN_VOCAB } from "./input-source";

/** mulberry32: a small, fast, seeded PRNG — the same seed gives the same inputs on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class RandomSource implements InputSource {
  readonly description: string;
  private readonly next: () => number;

  constructor(seed = 0x5eed) {
    this.description = `pseudo-random (seed ${seed})`;
    this.next = mulberry32(seed);
  }

  /** Standard normal values (Box–Muller), the scale of z-scored sensor data. */
  fillFloats(out: Float32Array | Float64Array): void {
    for (let i = 0; i < out.length; i += 2) {
      const u = Math.max(this.next(), Number.EPSILON);
      const v = this.next();
      const r = Math.sqrt(-2 * Math.log(u));
      out[i] = r * Math.cos(2 * Math.PI * v);
      if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * v);
    }
  }

  fillTokens(out: BigInt64Array | Int32Array): void {
    for (let i = 0; i < out.length; i++) {
      const token = Math.floor(this.next() * TOKEN_VOCAB);
      if (out instanceof BigInt64Array) out[i] = BigInt(token);
      else out[i] = token;
    }
  }
}
