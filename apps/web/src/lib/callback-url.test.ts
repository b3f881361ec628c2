import { describe, expect, it } from "vitest";
import { safeCallbackPath } from "./callback-url";

describe("safeCallbackPath", () => {
  it("keeps same-site paths and the path of absolute URLs", () => {
    expect(safeCallbackPath("/devices/dev_1?tab=energy")).toBe("/devices/dev_1?tab=energy");
    expect(safeCallbackPath("http://localhost:3100/models/mdl_1")).toBe("/models/mdl_1");
  });
  it("never leaves the site or loops back to sign-in", () => {
    expect(safeCallbackPath("https://evil.example/steal")).toBe("/steal");
    expect(safeCallbackPath("//evil.example/x")).toBe("/x");
    expect(safeCallbackPath("/signin?x=1")).toBe("/models");
    expect(safeCallbackPath("/api/trpc/x")).toBe("/models");
    expect(safeCallbackPath(undefined)).toBe("/models");
    expect(safeCallbackPath("")).toBe("/models");
  });
});
