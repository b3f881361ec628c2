import { describe, expect, it } from "vitest";
import { createMlpModel, createOldSliceModel } from "../../test/fixtures";
import { findOpsetUpgradeBlockers, raiseDefaultOpset } from "./opset";

describe("opset upgrades", () => {
  it("allows raising when no op changed meaning", () => {
    const model = createMlpModel(9);
    model.irVersion = 4;
    expect(findOpsetUpgradeBlockers(model, 11)).toEqual([]);
    raiseDefaultOpset(model, 11);
    expect(model.opsetImport[0]?.version).toBe(11);
    expect(model.irVersion).toBe(6);
  });

  it("names the ops that block raising", () => {
    expect(findOpsetUpgradeBlockers(createOldSliceModel(), 11)).toEqual(["Slice (s)"]);
  });

  it("never lowers an opset", () => {
    const model = createMlpModel(13);
    raiseDefaultOpset(model, 11);
    expect(model.opsetImport[0]?.version).toBe(13);
  });
});
