/** The ready variants of a model as the manifests an assignment carries (what agents fetch and verify). */
import type { Model, Variant } from "@edgewatt/db";
import { OBJECT_BUCKETS, type VariantManifest } from "@edgewatt/protocol";

export type ReadyVariant = Variant & {
  status: "ready";
  objectName: string;
  sha256: string;
  sizeBytes: number;
};

export function isReadyVariant(v: Variant): v is ReadyVariant {
  return (
    v.status === "ready" &&
    v.objectName !== null &&
    v.sha256 !== null &&
    v.sizeBytes !== null &&
    v.sizeBytes > 0
  );
}

const positiveOrNull = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : null);

export function variantManifest(model: Model, v: ReadyVariant): VariantManifest {
  const fidelity = v.metrics.fidelity?.cosine;
  return {
    variantId: v.id,
    name: v.name,
    bucket: OBJECT_BUCKETS.models,
    objectName: v.objectName,
    sha256: v.sha256,
    sizeBytes: v.sizeBytes,
    passes: v.passes,
    inputs: model.inspection.inputs,
    outputs: model.inspection.outputs,
    fidelity:
      typeof fidelity === "number" && Number.isFinite(fidelity) ? Math.max(-1, Math.min(1, fidelity)) : null,
    energyJ: positiveOrNull(v.metrics.energyJPerInference),
    latencyMs: positiveOrNull(v.metrics.latencyMsP50),
  };
}
