import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseNpz } from "../src/data/npz";

/** ../shared beside the repository (reference models and datasets); EDGEWATT_SHARED_DIR overrides. */
const SHARED_DIR = process.env.EDGEWATT_SHARED_DIR ?? resolve(import.meta.dirname, "../../../../shared");

const DATA = `${SHARED_DIR}/datasets/npz`;

describe("shared .npz datasets", () => {
  it.each(readdirSync(DATA).filter((f) => f.endsWith(".npz")))("%s parses with consistent shapes", (file) => {
    const arrays = parseNpz(new Uint8Array(readFileSync(`${DATA}/${file}`)));
    expect(arrays.size).toBeGreaterThan(0);
    const counts = new Set<number>();
    for (const array of arrays.values()) {
      expect(array.data.length).toBe(array.shape.reduce((a, b) => a * b, 1));
      counts.add(array.shape[0] ?? 0);
    }
    expect(counts.size).toBe(1);
  });

  it("reads values, not just shapes (cifar labels are class ids 0–9, inputs are normalized)", () => {
    const arrays = parseNpz(new Uint8Array(readFileSync(`${DATA}/cifar10-test-2k.npz`)));
    const labels = Array.from(arrays.get("labels")!.data as BigInt64Array, Number);
    expect(Math.min(...labels)).toBe(0);
    expect(Math.max(...labels)).toBe(9);
    const input = arrays.get("input")!.data as Float32Array;
    let sum = 0;
    for (const v of input) sum += v;
    expect(Math.abs(sum / input.length)).toBeLessThan(0.5);
  });
});
