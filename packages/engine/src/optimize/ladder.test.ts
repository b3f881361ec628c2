import { describe, expect, it } from "vitest";
import { getDropReason, getMatMulShare, isKnownRecipeEntry, planRecipe } from "./ladder";

const convNet = { macs: 1000, macsByOp: { Conv: 990, Gemm: 10 } };
const transformer = { macs: 1000, macsByOp: { MatMul: 800, Gemm: 100, Conv: 100 } };

describe("recipe planning", () => {
  it("expands auto to the ladder, with int4 only where MatMul/Gemm carry ≥ 50 % of the MACs", () => {
    expect(getMatMulShare(transformer)).toBeCloseTo(0.9);
    const gpt = planRecipe(["auto"], transformer);
    expect(gpt.planned.map((p) => p.fallbackName)).toEqual(["int8-dynamic", "int8-static", "int4", "fp16"]);
    expect(gpt.planned.every((p) => p.fromLadder)).toBe(true);
    expect(gpt.skipped).toEqual([]);

    const resnet = planRecipe(["auto"], convNet);
    expect(resnet.planned.map((p) => p.passes.join("+"))).toEqual([
      "quantize-dynamic-int8",
      "quantize-static-int8",
      "fp16",
    ]);
    expect(resnet.skipped).toEqual([
      expect.objectContaining({ name: "int4", reason: expect.stringMatching(/1\.0 % of the MACs/) }),
    ]);
  });

  it("keeps explicit entries (chains too), outside the ladder rule, without duplicates", () => {
    const { planned } = planRecipe(["quantize-dynamic-int8", "auto", "a+b"], convNet);
    expect(planned.map((p) => [p.passes.join("+"), p.fromLadder])).toEqual([
      ["quantize-dynamic-int8", false],
      ["quantize-static-int8", true],
      ["fp16", true],
      ["a+b", false],
    ]);
    expect(isKnownRecipeEntry("auto")).toBe(true);
    expect(isKnownRecipeEntry("quantize-dynamic-int8")).toBe(true);
    expect(isKnownRecipeEntry("quantize-dynamic-int8+no-such-pass")).toBe(false);
  });

  it("drops a variant only when it is slower without being smaller", () => {
    const base = { sizeBytes: 100, p50Ms: 1 };
    expect(getDropReason({ sizeBytes: 100, p50Ms: 1.2 }, base, 1)).toMatch(
      /slower than the baseline at 1 thread\(s\) \(p50 1\.200 ms vs 1\.000 ms\) without being smaller/,
    );
    expect(getDropReason({ sizeBytes: 99, p50Ms: 1.2 }, base, 1)).toBeUndefined();
    expect(getDropReason({ sizeBytes: 150, p50Ms: 0.9 }, base, 1)).toBeUndefined();
    expect(getDropReason({ sizeBytes: 150 }, base, 1)).toBeUndefined();
  });
});
