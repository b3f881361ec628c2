/**
 * Binary Netpbm images: P6 (PPM, RGB) and P5 (PGM, grey), 8 or 16 bits per sample. The header is the magic number,
 * width, height and maxval separated by whitespace (with `#` comments), then one whitespace byte and the raster.
 */
import { AgentError } from "../errors";
import type { RawImage } from "./raw-image";

/** Larger images are refused rather than allocated (256 M samples ≈ a 9000×9000 RGB picture). */
const MAX_SAMPLES = 256 * 1024 * 1024;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0b || c === 0x0c || c === 0x0d;
}

/** True when `bytes` starts like a P5/P6 file (what the folder loader uses to recognise one). */
export function looksLikeNetpbm(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && (bytes[1] === 0x35 || bytes[1] === 0x36) && isSpace(bytes[2] ?? 0);
}

/** `name` is how the file is named in error messages. */
export function parseNetpbm(bytes: Uint8Array, name: string): RawImage {
  const fail = (why: string) =>
    new AgentError(
      "USAGE",
      `${name} is not a binary PPM/PGM image: ${why}; convert it to P6 (colour) or P5 (grey), ` +
        "e.g. `magick in.png out.ppm` or `pngtopnm in.png > out.ppm`",
    );
  const magic = String.fromCharCode(bytes[0] ?? 0x20, bytes[1] ?? 0x20);
  if (magic !== "P6" && magic !== "P5") {
    throw fail(
      /^P[1-4]$/.test(magic)
        ? `${magic} is an ASCII or 1-bit Netpbm variant`
        : "the file does not start with P6 or P5",
    );
  }
  let at = 2;
  const fields: number[] = [];
  while (fields.length < 3) {
    const c = bytes[at];
    if (c === undefined) throw fail("the header ends before width, height and maxval");
    if (isSpace(c)) {
      at++;
    } else if (c === 0x23) {
      while (at < bytes.length && bytes[at] !== 0x0a && bytes[at] !== 0x0d) at++;
    } else if (c >= 0x30 && c <= 0x39 && (fields.length > 0 || isSpace(bytes[at - 1] ?? 0))) {
      let value = 0;
      for (let d = bytes[at]; d !== undefined && d >= 0x30 && d <= 0x39; d = bytes[++at]) {
        value = value * 10 + (d - 0x30);
        if (value > 1e9) throw fail("a header number is too large");
      }
      const next = bytes[at];
      if (next !== undefined && !isSpace(next) && next !== 0x23) {
        throw fail(`unexpected "${String.fromCharCode(next)}" after a header number`);
      }
      fields.push(value);
    } else {
      throw fail(`unexpected "${String.fromCharCode(c)}" in the header`);
    }
  }
  const [width = 0, height = 0, maxval = 0] = fields;
  if (!isSpace(bytes[at] ?? 0)) throw fail("the header ends before the pixel data");
  at++;
  if (width < 1 || height < 1) throw fail(`its size is ${width}×${height}`);
  if (maxval < 1 || maxval > 65535) throw fail(`maxval ${maxval} is outside 1..65535`);
  const channels = magic === "P6" ? 3 : 1;
  const plane = width * height;
  if (plane * channels > MAX_SAMPLES) throw fail(`${width}×${height} is too large`);
  const wide = maxval > 255;
  const need = plane * channels * (wide ? 2 : 1);
  if (bytes.length - at < need) {
    throw fail(`the pixel data is truncated (${bytes.length - at} of ${need} bytes)`);
  }
  // Interleaved (RGBRGB…) → planes (RR…GG…BB…); samples above maxval are clamped.
  const data = wide ? new Uint16Array(plane * channels) : new Uint8Array(plane * channels);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < channels; c++) {
      const i = at + (p * channels + c) * (wide ? 2 : 1);
      const v = wide ? (bytes[i]! << 8) | bytes[i + 1]! : bytes[i]!;
      data[c * plane + p] = Math.min(v, maxval);
    }
  }
  return { channels, height, width, data, maxval };
}
