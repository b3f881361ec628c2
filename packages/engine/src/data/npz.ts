/** NumPy .npz archives (np.savez / np.savez_compressed) and a loader that accepts .npz or .npy bytes. */
import { NpyFormatError } from "../errors";
import { isNpy, type NpyArray, parseNpy } from "./npy";
import { isZip, readZip } from "./zip";

/** Arrays of an .npz archive keyed by name (the member name without `.npy`), in archive order. */
export function parseNpz(bytes: Uint8Array): Map<string, NpyArray> {
  const arrays = new Map<string, NpyArray>();
  for (const entry of readZip(bytes)) {
    if (!entry.name.endsWith(".npy")) continue;
    const name = entry.name.slice(0, -4);
    arrays.set(name, parseNpy(entry.data, name));
  }
  return arrays;
}

/** Parses .npz or a single .npy (named `fallbackName`); anything else is an NpyFormatError. */
export function parseArrays(bytes: Uint8Array, fallbackName = "array"): Map<string, NpyArray> {
  if (isZip(bytes)) return parseNpz(bytes);
  if (isNpy(bytes)) return new Map([[fallbackName, parseNpy(bytes, fallbackName)]]);
  throw new NpyFormatError(
    "NPY_INVALID",
    "the data file is neither .npz (zip) nor .npy; save it with np.savez(path, input=array) (one array per model input)",
  );
}
