/**
 * Serves images in a loop from a CIFAR-10 binary file (optionally gzip'd) or a folder of binary PPM/PGM images
 * and CIFAR files. Each image becomes CHW float32: samples/maxval, resized (bilinear, half-pixel centres — PyTorch's
 * `align_corners=False`) to the input's H×W when it differs, then normalised per channel with a mean and std
 * (by default the CIFAR-10 ones the reference model was trained with, see shared/datasets/README.md).
 */
import type { Stats } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { AgentError, errorMessage } from "../errors";
import type { Logger } from "../log";
import { parseCifarBinary } from "./cifar-binary";
import { type InputSource, type NchwShape, tokenOf } from "./input-source";
import { looksLikeNetpbm, parseNetpbm } from "./netpbm";
import type { RawImage } from "./raw-image";

const gunzipAsync = promisify(gunzip);

export const CIFAR10_MEAN = [0.4914, 0.4822, 0.4465] as const;
export const CIFAR10_STD = [0.247, 0.243, 0.261] as const;

/** Per-channel statistics of pixel values scaled to [0, 1]; channel c uses index c (mod length). */
export interface ImageNormalisation {
  mean: readonly number[];
  std: readonly number[];
}

export const ACCEPTED_IMAGE_FORMATS =
  "a CIFAR-10 binary file (.bin or .bin.gz) or a folder of binary PPM/PGM images (P6/P5: .ppm, .pgm, .pnm) " +
  "and CIFAR-10 .bin/.bin.gz files (PNG and JPEG are not decoded)";

const CIFAR_NAME = /\.bin(\.gz)?$/i;
const NETPBM_NAME = /\.(ppm|pgm|pnm)(\.gz)?$/i;
/** ITU-R BT.601 luma, for RGB images fed to a 1-channel input. */
const LUMA = [0.299, 0.587, 0.114] as const;

export interface LoadImagesOptions {
  normalisation?: ImageNormalisation;
  /** Receives one warning naming the files skipped in a folder. */
  log?: Logger;
}

export interface SkippedFile {
  file: string;
  reason: string;
}

export class ImageSource implements InputSource {
  readonly description: string;
  private cursor = 0;

  constructor(
    private readonly images: readonly RawImage[],
    label: string,
    private readonly normalisation: ImageNormalisation = { mean: CIFAR10_MEAN, std: CIFAR10_STD },
    /** Files of a folder that were not used, with why. */
    readonly skipped: readonly SkippedFile[] = [],
  ) {
    if (images.length === 0) throw new AgentError("USAGE", `${label} has no images`);
    const { mean, std } = normalisation;
    if (mean.length === 0 || mean.length !== std.length || std.some((s) => !(s > 0))) {
      throw new AgentError("USAGE", "image normalisation needs one mean and one std > 0 per channel");
    }
    const skippedNote = skipped.length > 0 ? `, skipped ${skipped.length} files` : "";
    this.description = `images ${label} (${images.length} images${skippedNote}, normalised)`;
  }

  static async load(path: string, opts: LoadImagesOptions = {}): Promise<ImageSource> {
    const spec = `--input images:${path}`;
    let info: Stats;
    try {
      info = await stat(path);
    } catch (cause) {
      const why = `cannot read ${spec} (${errorMessage(cause)}); pass ${ACCEPTED_IMAGE_FORMATS}`;
      throw new AgentError("USAGE", why, { cause });
    }
    if (!info.isDirectory()) {
      return new ImageSource(await readImageFile(path, spec), path, opts.normalisation);
    }
    const { images, skipped } = await readImageFolder(path, spec);
    if (skipped.length > 0) {
      opts.log?.warn(
        { path, images: images.length, skipped: skipped.length, files: skipped.slice(0, 10) },
        `input images: skipped ${skipped.length} unusable files`,
      );
    }
    return new ImageSource(images, path, opts.normalisation, skipped);
  }

  get size(): number {
    return this.images.length;
  }

  fillImage(out: Float32Array | Float64Array, shape: NchwShape): void {
    const [n, c, h, w] = shape;
    const stride = c * h * w;
    for (let i = 0; i < n && (i + 1) * stride <= out.length; i++) {
      this.writeImage(this.next(), out, i * stride, c, h, w);
    }
  }

  /** Without a shape: the images at their own size, one after another until `out` is full. */
  fillFloats(out: Float32Array | Float64Array): void {
    for (let at = 0; at < out.length; ) {
      const image = this.next();
      this.writeImage(image, out, at, image.channels, image.height, image.width);
      at += image.channels * image.height * image.width;
    }
  }

  /** The normalised values (about a z-score scale) cut into token bins. */
  fillTokens(out: BigInt64Array | Int32Array): void {
    const values = new Float64Array(out.length);
    this.fillFloats(values);
    for (let i = 0; i < out.length; i++) {
      const token = tokenOf(values[i]!);
      if (out instanceof BigInt64Array) out[i] = BigInt(token);
      else out[i] = token;
    }
  }

  private next(): RawImage {
    const image = this.images[this.cursor]!;
    this.cursor = (this.cursor + 1) % this.images.length;
    return image;
  }

  /** Writes `image` as c×h×w normalised values at `out[offset…]`; values past the end of `out` are dropped. */
  private writeImage(
    image: RawImage,
    out: Float32Array | Float64Array,
    offset: number,
    c: number,
    h: number,
    w: number,
  ): void {
    const { mean, std } = this.normalisation;
    const plane = image.height * image.width;
    const ys = samplingGrid(image.height, h);
    const xs = samplingGrid(image.width, w);
    for (let ch = 0; ch < c; ch++) {
      // A grey image feeds every channel; an RGB image fed to a 1-channel input gives its luma (and the luma of
      // the channel statistics); otherwise channel ch reads image channel ch (mod its channel count).
      const luma = c === 1 && image.channels === 3;
      const stat = (s: readonly number[]) =>
        luma && s.length === 3 ? LUMA[0] * s[0]! + LUMA[1] * s[1]! + LUMA[2] * s[2]! : s[ch % s.length]!;
      const m = stat(mean);
      const sd = stat(std);
      const base = (ch % image.channels) * plane;
      const sample = luma
        ? (i: number) =>
            LUMA[0] * image.data[i]! + LUMA[1] * image.data[plane + i]! + LUMA[2] * image.data[2 * plane + i]!
        : (i: number) => image.data[base + i]!;
      for (let y = 0; y < h; y++) {
        const y0 = ys.lo[y]! * image.width;
        const y1 = ys.hi[y]! * image.width;
        const fy = ys.frac[y]!;
        for (let x = 0; x < w; x++) {
          const o = offset + (ch * h + y) * w + x;
          if (o >= out.length) return;
          const x0 = xs.lo[x]!;
          const x1 = xs.hi[x]!;
          const fx = xs.frac[x]!;
          const top = fx === 0 ? sample(y0 + x0) : sample(y0 + x0) * (1 - fx) + sample(y0 + x1) * fx;
          const value =
            fy === 0
              ? top
              : top * (1 - fy) +
                (fx === 0 ? sample(y1 + x0) : sample(y1 + x0) * (1 - fx) + sample(y1 + x1) * fx) * fy;
          out[o] = (value / image.maxval - m) / sd;
        }
      }
    }
  }
}

interface Grid {
  lo: Int32Array;
  hi: Int32Array;
  frac: Float64Array;
}

const grids = new Map<string, Grid>();

/** Source positions for `to` output samples over `from` input samples (half-pixel centres, clamped at edges). */
function samplingGrid(from: number, to: number): Grid {
  const key = `${from}:${to}`;
  let grid = grids.get(key);
  if (grid) return grid;
  grid = { lo: new Int32Array(to), hi: new Int32Array(to), frac: new Float64Array(to) };
  for (let i = 0; i < to; i++) {
    const src = from === to ? i : Math.max(0, ((i + 0.5) * from) / to - 0.5);
    const lo = Math.min(Math.floor(src), from - 1);
    grid.lo[i] = lo;
    grid.hi[i] = Math.min(lo + 1, from - 1);
    grid.frac[i] = lo === from - 1 ? 0 : src - lo;
  }
  if (grids.size < 64) grids.set(key, grid);
  return grid;
}

/** Reads one CIFAR or PPM/PGM file (either may be gzip'd); every problem is an AgentError("USAGE"). */
async function readImageFile(path: string, name: string): Promise<RawImage[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new AgentError("USAGE", `cannot read ${name} (${errorMessage(cause)})`, { cause });
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (cause) {
      throw new AgentError(
        "USAGE",
        `${name} is not a complete gzip file (${errorMessage(cause)}); re-download it, or gunzip it and pass the result`,
        { cause },
      );
    }
  }
  if (CIFAR_NAME.test(path)) return parseCifarBinary(bytes, name);
  if (NETPBM_NAME.test(path) || looksLikeNetpbm(bytes)) return [parseNetpbm(bytes, name)];
  throw new AgentError(
    "USAGE",
    `${name} is neither a .bin/.bin.gz file nor a PPM/PGM image; pass ${ACCEPTED_IMAGE_FORMATS}`,
  );
}

/** Every usable image in a folder (not recursive), files in natural name order; the rest is skipped with a reason. */
async function readImageFolder(
  dir: string,
  name: string,
): Promise<{ images: RawImage[]; skipped: SkippedFile[] }> {
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  } catch (cause) {
    throw new AgentError("USAGE", `cannot list ${name} (${errorMessage(cause)})`, { cause });
  }
  entries.sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const images: RawImage[] = [];
  const skipped: SkippedFile[] = [];
  for (const file of entries) {
    if (!CIFAR_NAME.test(file) && !NETPBM_NAME.test(file)) {
      skipped.push({ file, reason: "unsupported format" });
      continue;
    }
    try {
      images.push(...(await readImageFile(join(dir, file), file)));
    } catch (err) {
      skipped.push({ file, reason: errorMessage(err) });
    }
  }
  if (images.length === 0) {
    const bad = skipped.filter((s) => s.reason !== "unsupported format");
    const problems =
      bad.length > 0
        ? `; ${bad
            .slice(0, 3)
            .map((s) => s.reason)
            .join("; ")}`
        : "";
    throw new AgentError(
      "USAGE",
      `${name} has no usable images (${entries.length} files${problems}); pass ${ACCEPTED_IMAGE_FORMATS}`,
    );
  }
  return { images, skipped };
}
