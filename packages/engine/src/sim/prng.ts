/**
 * A seeded PRNG for the fleet simulator: the same seed gives the same run. mulberry32 — one 32-bit word of state,
 * so hundreds of virtual devices each own a stream for four bytes apiece; good enough statistics for arrival
 * times and jitter (not for cryptography).
 */

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [min, max). */
  uniform(min: number, max: number): number;
  /** Exponentially distributed with the given rate (mean 1 / rate); Infinity for rate 0. */
  exponential(rate: number): number;
}

class Mulberry32 implements Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  exponential(rate: number): number {
    if (!(rate > 0)) return Number.POSITIVE_INFINITY;
    // 1 - next() is in (0, 1]: never log(0).
    return -Math.log(1 - this.next()) / rate;
  }
}

export function createRng(seed: number): Rng {
  return new Mulberry32(seed);
}

/**
 * A seed for one stream derived from a run seed and a few integers (device index, purpose…), mixed so that
 * neighbouring indices give unrelated streams (the splitmix32 finaliser).
 */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = seed >>> 0;
  for (const p of parts) {
    h = (h ^ (p >>> 0)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    h = (h + 0x9e3779b9) >>> 0;
  }
  return h;
}
