import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { InferenceSession, type Tensor } from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRecordingLogger } from "../log";
import { buildFeeds, planFeeds } from "../runtime/feeds";
import { CIFAR_RECORD_BYTES } from "./cifar-binary";
import { CIFAR10_MEAN, CIFAR10_STD, ImageSource } from "./image-source";
import { openInputSource, parseInputSpec } from "./parse-input";

/** ../shared beside the repository (reference models and datasets); EDGEWATT_SHARED_DIR overrides. */
const SHARED_DIR = process.env.EDGEWATT_SHARED_DIR ?? resolve(import.meta.dirname, "../../../../../shared");
const CIFAR_TEST_2K = `${SHARED_DIR}/datasets/cifar10/test-2k.bin.gz`;
const RESNET14 = `${SHARED_DIR}/models/cifar10-resnet14.onnx`;

const PLANE = 32 * 32;

/** What the source must produce for sample `v` (of 255) in channel `c`, as float32. */
const norm = (v: number, c: number, maxval = 255) =>
  Math.fround((v / maxval - CIFAR10_MEAN[c]!) / CIFAR10_STD[c]!);

/** One CIFAR record: label byte + R, G, B planes from `pixel(channel, y, x)`. */
function cifarRecord(label: number, pixel: (c: number, y: number, x: number) => number): Uint8Array {
  const record = new Uint8Array(CIFAR_RECORD_BYTES);
  record[0] = label;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) record[1 + c * PLANE + y * 32 + x] = pixel(c, y, x);
  }
  return record;
}

// Record 0: flat planes R=10, G=20, B=30 except R(1,2)=200. Record 1: every byte a function of its position.
const RECORD_0 = cifarRecord(3, (c, y, x) => (c === 0 && y === 1 && x === 2 ? 200 : 10 * (c + 1)));
const RECORD_1 = cifarRecord(7, (c, y, x) => (c * 31 + y * 7 + x * 3) % 256);
const TWO_RECORDS = Buffer.concat([RECORD_0, RECORD_1]);

function image(shape: number[], source: ImageSource): Float32Array {
  const feeds = buildFeeds(planFeeds([{ name: "input", elemType: "float32", shape }]), source);
  return (feeds.input as Tensor).data as Float32Array;
}

/** A binary Netpbm file: header text then raw bytes. */
const netpbm = (header: string, bytes: number[]) =>
  Buffer.concat([Buffer.from(header, "latin1"), Buffer.from(bytes)]);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edgewatt-images-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("image source: CIFAR-10 binary", () => {
  it("serves the records in a loop as normalised CHW float32", async () => {
    const file = join(dir, "two.bin");
    await writeFile(file, TWO_RECORDS);
    const source = await ImageSource.load(file);
    expect(source.size).toBe(2);
    expect(source.description).toMatch(/2 images/);

    const first = image([1, 3, 32, 32], source);
    expect(first[1 * 32 + 2]).toBe(norm(200, 0));
    expect(first[0]).toBe(norm(10, 0));
    expect(first[PLANE + 5]).toBe(norm(20, 1));
    expect(first[2 * PLANE + 1023]).toBe(norm(30, 2));
    expect(first[2 * PLANE + 1023]).toBeCloseTo((30 / 255 - 0.4465) / 0.261, 6);

    const second = image([1, 3, 32, 32], source);
    expect(second[PLANE + 4 * 32 + 9]).toBe(norm((31 + 4 * 7 + 9 * 3) % 256, 1));

    // Back to record 0; then a batch of 2 takes the next two images (records 1 and 0).
    expect(Array.from(image([1, 3, 32, 32], source))).toEqual(Array.from(first));
    const batch = image([2, 3, 32, 32], source);
    expect(Array.from(batch.subarray(0, 3 * PLANE))).toEqual(Array.from(second));
    expect(Array.from(batch.subarray(3 * PLANE))).toEqual(Array.from(first));
  });

  it("reads a gzip'd file (.bin.gz) the same way", async () => {
    const plain = join(dir, "plain.bin");
    const gz = join(dir, "two.bin.gz");
    await writeFile(plain, TWO_RECORDS);
    await writeFile(gz, gzipSync(TWO_RECORDS));
    const a = await ImageSource.load(plain);
    const b = await openInputSource(parseInputSpec(`images:${gz}`));
    for (let i = 0; i < 3; i++) {
      expect(Array.from(image([1, 3, 32, 32], b as ImageSource))).toEqual(
        Array.from(image([1, 3, 32, 32], a)),
      );
    }
  });

  it("resizes bilinearly (32→16 averages 2×2 blocks; 32→64 keeps the corners)", async () => {
    const file = join(dir, "ramp.bin");
    await writeFile(
      file,
      cifarRecord(0, (c, y, x) => (c === 0 ? 8 * x : c === 1 ? 8 * y : 0)),
    );
    const source = await ImageSource.load(file);
    const small = image([1, 3, 16, 16], source);
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) {
        expect(small[y * 16 + x]).toBeCloseTo(norm(16 * x + 4, 0), 5);
        expect(small[256 + y * 16 + x]).toBeCloseTo(norm(16 * y + 4, 1), 5);
        expect(small[512 + y * 16 + x]).toBeCloseTo(norm(0, 2), 5);
      }
    }
    const large = image([1, 3, 64, 64], source);
    expect(large[0]).toBeCloseTo(norm(0, 0), 5);
    expect(large[63]).toBeCloseTo(norm(248, 0), 5);
    expect(large[64 * 64 + 63 * 64]).toBeCloseTo(norm(248, 1), 5);
  });

  it("fills non-image inputs with the images at their own size, and 1-channel inputs with luma", async () => {
    const file = join(dir, "flat.bin");
    await writeFile(file, TWO_RECORDS);
    const source = await ImageSource.load(file);
    const flat = image([1, 3072], source);
    expect(flat[1 * 32 + 2]).toBe(norm(200, 0));
    // Record 1 at (y=0, x=0): R=0, G=31, B=62.
    const grey = image([1, 1, 32, 32], source);
    const luma = (r: number, g: number, b: number) => 0.299 * r + 0.587 * g + 0.114 * b;
    expect(grey[0]).toBeCloseTo(
      (luma(0, 31 / 255, 62 / 255) - luma(...CIFAR10_MEAN)) / luma(...CIFAR10_STD),
      5,
    );
  });
});

describe("image source: folders of PPM/PGM and CIFAR files", () => {
  it("reads P6 and P5 (8- and 16-bit), skipping unusable files with one counted warning", async () => {
    const folder = join(dir, "netpbm");
    await mkdir(folder);
    // 2×2 RGB: red, green, blue, grey 128 — with a header comment.
    await writeFile(
      join(folder, "a.ppm"),
      netpbm("P6\n# a comment\n2 2\n255\n", [255, 0, 0, 0, 255, 0, 0, 0, 255, 128, 128, 128]),
    );
    await writeFile(join(folder, "b.pgm"), netpbm("P5 2 2 255\n", [0, 64, 128, 255]));
    await writeFile(join(folder, "broken.ppm"), Buffer.from("P6\n2 two\n255\n"));
    await writeFile(join(folder, "c16.pgm"), netpbm("P5\n1 1\n1000\n", [0x01, 0xf4])); // 500 of 1000
    await writeFile(join(folder, "notes.txt"), "not an image");
    const log = createRecordingLogger();
    const source = await ImageSource.load(folder, { log });
    expect(source.size).toBe(3);
    expect(source.skipped.map((s) => s.file)).toEqual(["broken.ppm", "notes.txt"]);
    expect(source.description).toMatch(/3 images, skipped 2 files/);
    const warnings = log.entries.filter((e) => e.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.obj.skipped).toBe(2);

    const rgb = image([1, 3, 2, 2], source);
    expect(Array.from(rgb)).toEqual([
      ...[255, 0, 0, 128].map((v) => norm(v, 0)),
      ...[0, 255, 0, 128].map((v) => norm(v, 1)),
      ...[0, 0, 255, 128].map((v) => norm(v, 2)),
    ]);
    const grey = image([1, 3, 2, 2], source);
    expect(Array.from(grey)).toEqual([0, 1, 2].flatMap((c) => [0, 64, 128, 255].map((v) => norm(v, c))));
    const wide = image([1, 3, 2, 2], source);
    expect(Array.from(wide)).toEqual([0, 1, 2].flatMap((c) => Array(4).fill(norm(500, c, 1000))));
  });

  it("mixes CIFAR files into a folder", async () => {
    const folder = join(dir, "mixed");
    await mkdir(folder);
    await writeFile(join(folder, "batch.bin.gz"), gzipSync(TWO_RECORDS));
    await writeFile(join(folder, "z.pgm"), netpbm("P5 1 1 255\n", [7]));
    const source = await ImageSource.load(folder);
    expect(source.size).toBe(3);
  });
});

describe("image source: errors", () => {
  it("parses images:<path> and lists every form on a bad --input", () => {
    expect(parseInputSpec("images:/data/x.bin")).toEqual({ kind: "images", path: "/data/x.bin" });
    expect(() => parseInputSpec("images:")).toThrow(/images: needs a path/);
    expect(() => parseInputSpec("photos:/x")).toThrow(/random \| csv:.* \| images:.* \| none/);
  });

  it("rejects a missing path, a truncated CIFAR file, a truncated gzip and a bad PPM header", async () => {
    const usage = (pattern: RegExp) => ({
      name: "AgentError",
      code: "USAGE",
      message: expect.stringMatching(pattern),
    });
    await expect(ImageSource.load(join(dir, "nope"))).rejects.toMatchObject(usage(/cannot read.*CIFAR-10/));

    const truncated = join(dir, "truncated.bin");
    await writeFile(truncated, TWO_RECORDS.subarray(0, TWO_RECORDS.length - 5));
    await expect(ImageSource.load(truncated)).rejects.toMatchObject(
      usage(/not a positive multiple of 3073.*re-download/),
    );

    const badGz = join(dir, "cut.bin.gz");
    const gz = gzipSync(TWO_RECORDS);
    await writeFile(badGz, gz.subarray(0, gz.length >> 1));
    await expect(ImageSource.load(badGz)).rejects.toMatchObject(usage(/not a complete gzip file/));

    const badPpm = join(dir, "bad.ppm");
    await writeFile(badPpm, Buffer.from("P6\n32 x\n255\n"));
    await expect(ImageSource.load(badPpm)).rejects.toMatchObject(
      usage(/not a binary PPM\/PGM image.*convert it/),
    );
    const ascii = join(dir, "ascii.ppm");
    await writeFile(ascii, Buffer.from("P3\n1 1\n255\n0 0 0\n"));
    await expect(ImageSource.load(ascii)).rejects.toMatchObject(usage(/P3 is an ASCII/));
    const short = join(dir, "short.ppm");
    await writeFile(short, netpbm("P6 2 2 255\n", [1, 2, 3]));
    await expect(ImageSource.load(short)).rejects.toMatchObject(usage(/truncated \(3 of 12 bytes\)/));
  });

  it("refuses a folder with no usable image, naming the accepted formats", async () => {
    const unsupported = join(dir, "photos");
    await mkdir(unsupported);
    await writeFile(join(unsupported, "cat.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    await writeFile(join(unsupported, "dog.jpg"), Buffer.from([0xff, 0xd8, 0xff]));
    await expect(ImageSource.load(unsupported)).rejects.toMatchObject({
      code: "USAGE",
      message: expect.stringMatching(/no usable images.*CIFAR-10.*PPM\/PGM.*PNG and JPEG are not decoded/),
    });

    const broken = join(dir, "broken");
    await mkdir(broken);
    await writeFile(join(broken, "cut.bin"), RECORD_0.subarray(0, 100));
    await writeFile(join(broken, "bad.pgm"), Buffer.from("P5\n"));
    await expect(ImageSource.load(broken)).rejects.toMatchObject({
      code: "USAGE",
      message: expect.stringMatching(
        /no usable images.*bad\.pgm is not a binary PPM.*cut\.bin has 100 bytes/,
      ),
    });
  });
});

describe("image source with the reference model", () => {
  it("feeds real CIFAR-10 test images that cifar10-resnet14 classifies (top-1 ≥ 0.75 on the first 64)", async () => {
    const n = 64;
    const source = await ImageSource.load(CIFAR_TEST_2K);
    const raw = gunzipSync(await readFile(CIFAR_TEST_2K));
    const labels = Array.from({ length: n }, (_, i) => raw[i * CIFAR_RECORD_BYTES]!);
    const session = await InferenceSession.create(RESNET14, { intraOpNumThreads: 1 });
    try {
      const input = session.inputNames[0]!;
      const feeds = buildFeeds(
        planFeeds([{ name: input, elemType: "float32", shape: [n, 3, 32, 32] }]),
        source,
      );
      const result = await session.run(feeds);
      const logits = result[session.outputNames[0]!]!.data as Float32Array;
      let correct = 0;
      for (let i = 0; i < n; i++) {
        const row = Array.from(logits.subarray(i * 10, i * 10 + 10));
        if (row.indexOf(Math.max(...row)) === labels[i]) correct++;
      }
      expect(correct / n).toBeGreaterThanOrEqual(0.75);
    } finally {
      await session.release();
    }
  });
});
