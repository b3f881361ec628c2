import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { AgentError } from "../errors";
import { buildFeeds, planFeeds } from "../runtime/feeds";
import { CsvReplaySource, parseSeriesCsv, zScore } from "./csv-source";
import { tokenOf } from "./input-source";
import { parseInputSpec } from "./parse-input";
import { RandomSource } from "./random-source";

/** ../shared beside the repository (reference models and datasets); EDGEWATT_SHARED_DIR overrides. */
const SHARED_DIR = process.env.EDGEWATT_SHARED_DIR ?? resolve(import.meta.dirname, "../../../../../shared");

const NYC_TAXI = `${SHARED_DIR}/datasets/nab/realKnownCause/nyc_taxi.csv`;

describe("input sources", () => {
  it("parses a NAB timestamp,value CSV, skipping the header", () => {
    expect(
      parseSeriesCsv("timestamp,value\n2014-07-01 00:00:00,10844\n2014-07-01 00:30:00,8127\n\n"),
    ).toEqual([10844, 8127]);
  });

  it("z-scores the series", () => {
    const z = zScore([1, 2, 3, 4]);
    expect(z.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
    expect(Math.sqrt(z.reduce((a, b) => a + b * b, 0) / z.length)).toBeCloseTo(1, 12);
  });

  it("replays a real NAB stream as sliding windows (stride 1)", async () => {
    const src = await CsvReplaySource.load(NYC_TAXI);
    const a = new Float32Array(64);
    const b = new Float32Array(64);
    src.fillFloats(a);
    src.fillFloats(b);
    expect(Array.from(b.subarray(0, 63))).toEqual(Array.from(a.subarray(1, 64)));
    expect(a.some((v) => v !== 0)).toBe(true);
  });

  it("turns z-scores into token ids in [0, 63]", () => {
    expect(tokenOf(-10)).toBe(0);
    expect(tokenOf(10)).toBe(63);
    expect(tokenOf(0)).toBe(32);
    const out = new BigInt64Array(1000);
    new RandomSource(7).fillTokens(out);
    expect(out.every((t) => t >= 0n && t <= 63n)).toBe(true);
  });

  it("random inputs are deterministic for a seed", () => {
    const a = new Float32Array(10);
    const b = new Float32Array(10);
    new RandomSource(3).fillFloats(a);
    new RandomSource(3).fillFloats(b);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it("rejects bad --input values and unreadable CSVs with a clear message", async () => {
    expect(() => parseInputSpec("file.csv")).toThrow(/random.*csv:/);
    await expect(CsvReplaySource.load("/nonexistent.csv")).rejects.toThrow(AgentError);
  });
});

describe("feeds from a manifest's input specs", () => {
  it("maps symbolic dims to 1 and builds typed tensors", () => {
    const plans = planFeeds([
      { name: "window", elemType: "float32", shape: ["batch", 1, 64] },
      { name: "tokens", elemType: "int64", shape: ["N", 64] },
    ]);
    expect(plans.map((p) => p.dims)).toEqual([
      [1, 1, 64],
      [1, 64],
    ]);
    const feeds = buildFeeds(plans, new RandomSource());
    expect(feeds.window?.type).toBe("float32");
    expect(feeds.window?.dims).toEqual([1, 1, 64]);
    expect(feeds.tokens?.type).toBe("int64");
    expect((feeds.tokens?.data as BigInt64Array).every((t) => t >= 0n && t < 64n)).toBe(true);
  });

  it("refuses element types it cannot feed", () => {
    expect(() => planFeeds([{ name: "s", elemType: "string", shape: [1] }])).toThrow(/element type string/);
  });
});
