import { describe, expect, it } from "vitest";
import { PassError } from "../errors";
import type { Pass } from "../types";
import { findPass, getPass, listPasses, registerPass } from "./registry";

describe("pass registry", () => {
  it("has the built-in quantize-dynamic-int8 pass", () => {
    const pass = getPass("quantize-dynamic-int8");
    expect(pass.variantName).toBe("int8-dynamic");
    expect(listPasses().map((p) => p.name)).toContain("quantize-dynamic-int8");
  });

  it("throws PASS_UNKNOWN listing available passes", () => {
    expect(() => getPass("nope")).toThrowError(PassError);
    expect(() => getPass("nope")).toThrowError(/available passes: .*quantize-dynamic-int8/);
    expect(findPass("nope")).toBeUndefined();
  });

  it("refuses duplicate names unless replacing on purpose", () => {
    const pass: Pass = {
      name: "test-rename-graph",
      description: "test",
      variantName: "renamed",
      run: (m) => m,
    };
    registerPass(pass);
    expect(() => registerPass(pass)).toThrowError(/already registered/);
    registerPass({ ...pass, description: "v2" }, { replace: true });
    expect(getPass("test-rename-graph").description).toBe("v2");
  });
});
