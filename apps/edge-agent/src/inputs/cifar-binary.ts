/**
 * The CIFAR-10 binary format: back-to-back records of 1 label byte + 3072 pixel bytes (the R, G and B planes of a
 * 32×32 image, row-major). The images are views into `bytes`, not copies.
 */
import { AgentError } from "../errors";
import type { RawImage } from "./raw-image";

export const CIFAR_SIDE = 32;
export const CIFAR_PIXEL_BYTES = 3 * CIFAR_SIDE * CIFAR_SIDE;
export const CIFAR_RECORD_BYTES = 1 + CIFAR_PIXEL_BYTES;

/** `name` is how the file is named in error messages. */
export function parseCifarBinary(bytes: Uint8Array, name: string): RawImage[] {
  if (bytes.length === 0 || bytes.length % CIFAR_RECORD_BYTES !== 0) {
    const hint =
      bytes.length > 0 && bytes.length % (CIFAR_RECORD_BYTES + 1) === 0
        ? " (its size fits CIFAR-100's 2 label bytes, which this agent does not read)"
        : "";
    throw new AgentError(
      "USAGE",
      `${name} has ${bytes.length} bytes, not a positive multiple of ${CIFAR_RECORD_BYTES} (1 label byte + ` +
        `${CIFAR_PIXEL_BYTES} pixel bytes per image)${hint}: it is truncated or not a CIFAR-10 binary file; ` +
        "re-download or re-extract it (the files in cifar-10-binary.tar.gz)",
    );
  }
  const images: RawImage[] = [];
  for (let at = 0; at < bytes.length; at += CIFAR_RECORD_BYTES) {
    images.push({
      channels: 3,
      height: CIFAR_SIDE,
      width: CIFAR_SIDE,
      data: bytes.subarray(at + 1, at + CIFAR_RECORD_BYTES),
      maxval: 255,
      label: bytes[at],
    });
  }
  return images;
}
